"""Upsell radar's per-tenant configuration: thresholds, the helpdesk webhook secret and the
product catalogue the classifier may recommend from."""

from __future__ import annotations

import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.errors import ObjectNotFound, ValidationFailed
from apps.upsell.models import CatalogueItem, UpsellSettings


def upsell_settings_get(tenant) -> UpsellSettings:
    row = UpsellSettings.objects.for_tenant(tenant).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return UpsellSettings.objects.create(tenant=tenant)
    except IntegrityError:
        return UpsellSettings.objects.for_tenant(tenant).get()


def upsell_settings_save(tenant, *, threshold, auto_approve_threshold) -> UpsellSettings:
    row = upsell_settings_get(tenant)
    row.threshold = threshold
    row.auto_approve_threshold = auto_approve_threshold
    row.save(update_fields=["threshold", "auto_approve_threshold"])
    return row


def webhook_secret_rotate(tenant) -> str:
    """A new HMAC secret for the helpdesk webhook; the plain value is answered once."""
    row = upsell_settings_get(tenant)
    secret = secrets.token_urlsafe(32)
    row.webhook_secret = secret
    row.secret_created_at = timezone.now()
    row.save(update_fields=["webhook_secret_encrypted", "secret_created_at"])
    return secret


def catalogue_add(tenant, *, product: str, tier: str = "", description: str = "",
                  price_amount=None, currency: str = "RUB") -> CatalogueItem:  # fmt: skip
    product, tier = product.strip(), tier.strip()
    if not product:
        raise ValidationFailed(_("Name the product."), fields={"product": [_("Required.")]})
    try:
        with transaction.atomic():
            return CatalogueItem.objects.create(
                tenant=tenant, product=product[:120], tier=tier[:120],
                description=description.strip()[:500], price_amount=price_amount,
                currency=(currency or "RUB")[:3].upper(),
            )  # fmt: skip
    except IntegrityError:
        raise ValidationFailed(
            _("This product and tier are already listed."), fields={"tier": [_("Taken.")]}
        ) from None


def catalogue_remove(tenant, item_id: int) -> None:
    deleted, _rows = CatalogueItem.objects.for_tenant(tenant).filter(pk=item_id).delete()
    if not deleted:
        raise ObjectNotFound()
