"""The widget's configuration: read (created lazily), saved (version bumped, audited), and
published to the public widget API in the visitor's language (cached per tenant).

The public form is cached under the tenant id together with its version; a save bumps the
version and, once committed, drops the cached copy, so the next widget load reads the new one.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.forms.models import model_to_dict
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.core.errors import Conflict
from apps.leads.models import WidgetConfig
from apps.leads.models_widget import FieldMode, quick_reply_lines
from apps.leads.widget_assets import asset_url
from apps.leads.widget_channels import channel_choices
from apps.tenants.audit import audit_record
from apps.tenants.models import AuditAction

CACHE_PREFIX = "widget-config:"
CACHE_SECONDS = 600
LANGUAGES = ("ru", "en")
EDITABLE = tuple(
    f.name
    for f in WidgetConfig._meta.get_fields()
    if f.concrete and f.name not in ("id", "tenant", "version", "updated_at", "logo", "avatar")
)
WIDGET_SCRIPT = "/static/widget/fastlead.js"
FIELD_TYPES = {"name": "text", "phone": "tel", "email": "email", "message": "textarea"}


def _defaults(lang: str) -> dict:
    """The built-in texts, in `lang`; used where the tenant left a text blank."""
    with translation.override(lang):
        return {
            "title": _("Leave a request"),
            "greeting": "",
            "button": _("Send"),
            "success": _("Thank you! Your request has been sent, we will get back to you soon."),
            "consent": _("I agree to the processing of my personal data by %(company)s."),
            "marketing": _("I agree to receive news and offers from %(company)s."),
            "offline": _(
                "We are offline now. Leave your contacts and we will reply during working hours."
            ),
            "labels": {
                "name": _("Name"),
                "phone": _("Phone"),
                "email": _("E-mail"),
                "message": _("Message"),
            },
        }


def widget_snippet(key: str) -> str:
    """The one line a site owner pastes into their pages."""
    return f'<script src="{settings.SITE_URL}{WIDGET_SCRIPT}" data-key="{key}" async></script>'


def widget_config_get(tenant) -> WidgetConfig:
    """The tenant's configuration; until its first save, the defaults as an unsaved row (a
    reader never writes: the row is created by the first save or upload)."""
    config = WidgetConfig.objects.for_tenant(tenant).first()
    return config if config is not None else WidgetConfig(tenant=tenant)


def _widget_config_ensure(tenant) -> WidgetConfig:
    """The tenant's configuration row, created with the defaults if it does not exist yet."""
    config = WidgetConfig.objects.for_tenant(tenant).first()
    if config is not None:
        return config
    try:
        with transaction.atomic():
            return WidgetConfig.objects.create(tenant=tenant)
    except IntegrityError:  # a concurrent request created it first
        return WidgetConfig.objects.for_tenant(tenant).get()


def widget_config_snapshot(config: WidgetConfig) -> dict:
    data = model_to_dict(config, fields=EDITABLE)
    for name in ("work_from", "work_to"):
        value = data[name]
        data[name] = value.strftime("%H:%M") if hasattr(value, "strftime") else str(value)[:5]
    return data


def widget_config_save(
    tenant, *, actor, data: dict, expected_version: int | None = None, request=None
) -> WidgetConfig:
    """Apply `data` (validated fields), bump the version, audit and drop the cached copy.
    With `expected_version` (the version the editor started from), a save over someone
    else's newer save raises Conflict (409) carrying the current settings.
    Raises ValidationError (per field) and writes nothing if the result is invalid."""
    _widget_config_ensure(tenant)  # exists before the row lock below
    with transaction.atomic():
        config = WidgetConfig.objects.for_tenant(tenant).select_for_update().get()
        if expected_version is not None and int(expected_version) != config.version:
            raise Conflict(
                _("Someone saved the widget while you were editing it."),
                "version_conflict",
                extra={"version": config.version, "current": widget_config_snapshot(config)},
            )
        before = widget_config_snapshot(config)
        for name, value in data.items():
            if name in EDITABLE:
                setattr(config, name, value)
        config.full_clean(exclude=["tenant"])
        config.version = F("version") + 1
        config.save()
        config.refresh_from_db()
        after = widget_config_snapshot(config)
        changed = {k: v for k, v in after.items() if before.get(k) != v}
        audit_record(
            tenant=tenant,
            actor=actor,
            action=AuditAction.WIDGET_CONFIG_CHANGED,
            target=config,
            before={k: before.get(k) for k in changed},
            after={**changed, "version": config.version},
            request=request,
        )
        transaction.on_commit(lambda: widget_config_forget(tenant.pk))
    return config


def widget_config_forget(tenant_id) -> None:
    """Drop the cached public copy (after a save, an upload, a channel change)."""
    cache.delete(widget_config_cache_key(tenant_id))


# --- the public form ------------------------------------------------------------------------


def widget_config_cache_key(tenant_id) -> str:
    return CACHE_PREFIX + str(tenant_id)


def _cached_config(tenant_id: str, found=None) -> dict:
    """The saved settings the public API needs (cached until the next save). `found`: the
    caller read `widget_config_cache_key` with its own keys in one `get_many`."""
    key = widget_config_cache_key(tenant_id)
    cached = found.get(key) if found is not None else cache.get(key)
    if cached is not None:
        return cached
    cached = widget_settings_read(tenant_id)
    cache.set(key, cached, CACHE_SECONDS)
    return cached


def widget_settings_read(tenant_id: str) -> dict:
    """The saved settings from the database (the defaults while nothing is saved)."""
    config = WidgetConfig.objects.unscoped().filter(tenant_id=tenant_id).first()
    if config is None:
        config = WidgetConfig(tenant_id=tenant_id, version=0)
    return {"version": config.version, **widget_config_resolved(config)}


def widget_config_resolved(config: WidgetConfig) -> dict:
    """The snapshot plus what the public form needs from elsewhere: the labels of the chosen
    channels that are still offered, and the images' public addresses."""
    data = widget_config_snapshot(config)
    offered = dict(channel_choices(config.tenant_id))
    data["channel_options"] = [[k, offered[k]] for k in data["channels"] if k in offered]
    data["logo_url"] = asset_url(config.logo)
    data["avatar_url"] = asset_url(config.avatar)
    return data


def visitor_language() -> str:
    lang = (translation.get_language() or "ru")[:2]
    return lang if lang in LANGUAGES else "ru"


def is_open(settings: dict, now: datetime | None = None) -> bool:
    """Whether `now` falls in the working hours (always, when hours are off)."""
    if not settings["hours_enabled"]:
        return True
    local = (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(settings["time_zone"]))
    current = local.strftime("%H:%M")
    return local.weekday() in settings["work_days"] and (
        settings["work_from"] <= current < settings["work_to"]
    )


def required_fields(tenant_id: str, *, found=None) -> list[str]:
    settings = _cached_config(tenant_id, found)
    return [n for n in WidgetConfig.FIELDS if settings[f"field_{n}"] == FieldMode.REQUIRED]


def public_config(tenant_id: str, company: str, lang: str, now: datetime | None = None) -> dict:
    """What the widget renders, in `lang` (ru or en)."""
    return public_config_from(_cached_config(tenant_id), company, lang, now)


def public_config_from(settings: dict, company: str, lang: str, now=None) -> dict:
    """The public form of `settings` (saved, or an unsaved draft for the live preview)."""
    defaults = _defaults(lang)

    def text(name: str) -> str:
        return settings[f"{name}_{lang}"] or defaults[name]

    fields = [
        {
            "name": name,
            "type": FIELD_TYPES[name],
            "label": defaults["labels"][name],
            "required": settings[f"field_{name}"] == FieldMode.REQUIRED,
        }
        for name in WidgetConfig.FIELDS
        if settings[f"field_{name}"] != FieldMode.HIDDEN
    ]
    shown = {field["name"]: field for field in fields}
    contact_required = any(shown.get(n, {}).get("required") for n in ("email", "phone"))
    consents = {
        "processing": {"required": True, "text": text("consent").replace("%(company)s", company)},
    }
    if settings["marketing_enabled"]:
        consents["marketing"] = {
            "required": False,
            "text": text("marketing").replace("%(company)s", company),
        }
    open_now = is_open(settings, now)
    return {
        "version": settings["version"],
        "language": lang,
        "texts": {
            "title": text("title"),
            "greeting": text("greeting"),
            "button": text("button"),
            "success": text("success"),
            "offline": "" if open_now else text("offline"),
        },
        "colors": {"primary": settings["primary_color"], "text": settings["text_color"]},
        "position": settings["position"],
        "open": open_now,
        "fields": fields,
        "require_one_of": [] if contact_required else [n for n in ("email", "phone") if n in shown],
        "consents": consents,
        "policy_url": settings["policy_url"],
        "quick_replies": quick_reply_lines(settings[f"quick_replies_{lang}"]),
        "channels": [{"key": k, "label": label} for k, label in settings["channel_options"]],
        "logo_url": settings["logo_url"],
        "avatar_url": settings["avatar_url"],
    }


def offered_channels(tenant_id: str, *, found=None) -> list[str]:
    return [key for key, _label in _cached_config(tenant_id, found)["channel_options"]]


def missing_required(tenant_id: str, submission: dict, *, found=None) -> list[str]:
    return [name for name in required_fields(tenant_id, found=found) if not submission.get(name)]
