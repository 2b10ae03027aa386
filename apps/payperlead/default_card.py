"""The tenant's first rate card: the default card at seed 002's prices, valid from the start.

Below cards.py (publishing marks open months for a refresh, which queues the refresh task):
the valuation in services.py needs this card and nothing of publishing.
"""

from __future__ import annotations

from apps.payperlead.models import DEFAULT_CARD, EPOCH, RateCard


def rate_card_ensure_default(tenant) -> None:
    """Give the tenant its first default card (seed 002's prices) if it has none."""
    cards = RateCard.objects.for_tenant(tenant)
    if cards.filter(customer__isnull=True, lead_type="").exists():
        return
    RateCard.objects.bulk_create(
        [RateCard(tenant=tenant, version=1, valid_from=EPOCH, **DEFAULT_CARD)],
        ignore_conflicts=True,  # a concurrent first report created it: same row
    )
