"""The widget's images (logo, operator avatar): checked by content, resized, stored.

Stored through the `widget_assets` storage alias (fastlead/settings.py): django-storages' S3
backend when WIDGET_ASSETS_S3_BUCKET is set (any S3-compatible service), else local files
under MEDIA_ROOT/widget served by `widget_asset_file` (public_api). The images are public by
nature: the widget shows them on the tenant's site. Every stored byte counts against the
tenant's quota (WIDGET_UPLOAD_QUOTA_BYTES, 100 MB); replacing an image frees the old one.
"""

from __future__ import annotations

import io
import uuid
import warnings

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from apps.core.errors import LimitReached, ValidationFailed
from apps.leads.models_widget import WidgetAsset, WidgetConfig
from apps.leads.widget_assets import asset_storage
from apps.leads.widget_config import widget_config_forget
from apps.tenants.audit import audit_record
from apps.tenants.models import AuditAction

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # larger images are refused before decoding (decompression bombs)
FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}
# Logos keep their proportions inside a box; avatars are cropped to a square.
SIZES = {WidgetAsset.Kind.LOGO: (480, 160), WidgetAsset.Kind.AVATAR: (256, 256)}


def asset_bytes_used(tenant) -> int:
    return WidgetAsset.objects.for_tenant(tenant).aggregate(total=Sum("size"))["total"] or 0


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed(message, "invalid_image", fields={"image": [message]})


def image_prepare(data: bytes, kind: str) -> bytes:
    """The upload as a resized PNG, or ValidationFailed if it is not a picture we accept.
    Checked by content (Pillow decodes it), never by the name or the declared type."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise _refuse(_("The image is larger than 5 MB."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            if probe.format not in FORMATS:
                raise _refuse(_("Upload a PNG, JPEG, GIF or WebP image."))
            if probe.width * probe.height > MAX_PIXELS:
                raise _refuse(_("The image has too many pixels."))
            probe.verify()
            image = Image.open(io.BytesIO(data))
            image.load()
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        raise _refuse(_("This file is not an image we can read.")) from None
    image = ImageOps.exif_transpose(image).convert("RGBA")
    if kind == WidgetAsset.Kind.AVATAR:
        image = ImageOps.fit(image, SIZES[kind])
    else:
        image.thumbnail(SIZES[kind])
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def widget_image_upload(tenant, *, actor, kind: str, data: bytes, request=None) -> WidgetAsset:
    """Check, resize and store a logo or avatar, replacing the previous one (audited; the
    config's version goes up so editors and caches see it)."""
    if kind not in WidgetAsset.Kind.values:
        raise _refuse(_("Unknown image kind."))
    png = image_prepare(data, kind)
    quota = settings.WIDGET_UPLOAD_QUOTA_BYTES
    if asset_bytes_used(tenant) + len(png) > quota:
        raise LimitReached(
            _("The %(mb)s MB of storage for widget images is used up. Remove an image first.")
            % {"mb": quota // (1024 * 1024)},
            "upload_quota_exceeded",
        )
    name = asset_storage().save(f"{tenant.pk}/{kind}-{uuid.uuid4().hex}.png", ContentFile(png))
    try:
        asset = _attach(tenant, actor=actor, kind=kind, name=name, size=len(png), request=request)
    except BaseException:
        asset_storage().delete(name)  # nothing half-written: no file without its row
        raise
    return asset


def widget_image_remove(tenant, *, actor, kind: str, request=None) -> None:
    _attach(tenant, actor=actor, kind=kind, name="", size=0, request=request)


@transaction.atomic
def _attach(tenant, *, actor, kind: str, name: str, size: int, request=None):
    config = WidgetConfig.objects.for_tenant(tenant).select_for_update().first()
    if config is None:
        config = WidgetConfig.objects.create(tenant=tenant)
    before = getattr(config, kind)
    old = list(WidgetAsset.objects.for_tenant(tenant).filter(kind=kind))
    WidgetAsset.objects.for_tenant(tenant).filter(kind=kind).delete()
    asset = (
        WidgetAsset.objects.create(tenant=tenant, kind=kind, name=name, size=size) if name else None
    )
    setattr(config, kind, name)
    config.version = F("version") + 1
    config.save(update_fields=[kind, "version", "updated_at"])
    config.refresh_from_db(fields=["version"])
    audit_record(
        tenant=tenant,
        actor=actor,
        action=AuditAction.WIDGET_CONFIG_CHANGED,
        target=config,
        before={kind: before},
        after={kind: name, "version": config.version},
        request=request,
    )
    storage = asset_storage()
    tenant_id = tenant.pk

    def after_commit():
        for previous in old:
            storage.delete(previous.name)
        widget_config_forget(tenant_id)

    transaction.on_commit(after_commit)
    return asset
