"""Upsell radar's reads."""

from __future__ import annotations

from django.db.models import Count, Q

from apps.core.errors import ObjectNotFound
from apps.upsell.models import CaseStatus, CatalogueItem, UpsellCase, UpsellSettings


def settings_by_webhook_token(token: str) -> UpsellSettings:
    row = (
        UpsellSettings.objects.unscoped()
        .select_related("tenant")
        .filter(webhook_token=str(token)[:64])
        .first()
    )
    if row is None or not row.webhook_secret_encrypted:
        raise ObjectNotFound()
    return row


def case_list(tenant, *, status: str = ""):
    rows = (
        UpsellCase.objects.for_tenant(tenant)
        .select_related("ticket", "lead", "classification")
        .order_by("-created_at", "-id")
    )
    if status:
        rows = rows.filter(status=status)
    return rows


def case_get(tenant, case_id) -> UpsellCase:
    case = (
        UpsellCase.objects.for_tenant(tenant)
        .select_related("ticket", "lead", "classification", "decided_by")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise ObjectNotFound()
    return case


def cases_for_lead(tenant, lead_id: int):
    return list(
        UpsellCase.objects.for_tenant(tenant)
        .filter(lead_id=lead_id)
        .select_related("ticket")
        .order_by("-created_at")[:5]
    )


def catalogue_item_for_case(tenant, case) -> CatalogueItem | None:
    """The catalogue entry a case recommends (its price and description), if still listed."""
    if not case.product:
        return None
    return (
        CatalogueItem.objects.for_tenant(tenant)
        .filter(product__iexact=case.product, tier__iexact=case.tier)
        .first()
    )


def catalogue(tenant):
    return list(CatalogueItem.objects.for_tenant(tenant).order_by("product", "tier", "id"))


def funnel(tenant) -> dict[str, int]:
    """Cases → approved → won, for analytics."""
    approved = [
        s for s in CaseStatus.values
        if s not in (CaseStatus.IDENTIFIED, CaseStatus.LEAD_CREATED,
                     CaseStatus.AWAITING_APPROVAL, CaseStatus.REJECTED)
    ]  # fmt: skip
    return UpsellCase.objects.for_tenant(tenant).aggregate(
        cases=Count("id"),
        approved=Count("id", filter=Q(status__in=approved)),
        won=Count("id", filter=Q(status=CaseStatus.WON)),
    )
