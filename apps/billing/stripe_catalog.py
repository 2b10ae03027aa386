"""Our EUR plans as Stripe Products and monthly Prices (`manage.py billing_stripe_sync`).

Idempotent: the Product id is `fastlead_<plan code>` and the Price is found by its
`lookup_key` (= the plan code). A price change creates a new Price that takes the lookup key
over (Stripe prices are immutable) and archives the old one; existing subscribers keep their
price until they change plans. The price id is stored in `Plan.provider_price_ids["stripe"]`
and both objects are synced into dj-stripe's models.
"""

from __future__ import annotations

from dataclasses import dataclass

import stripe
from django.db.models import Q

from apps.billing.models import BillingInterval, Plan, PlanStatus
from apps.payments import gateways
from apps.payments.gateways.stripe import StripeGateway, plain, provider_error


@dataclass(frozen=True)
class SyncedPlan:
    plan_code: str
    product_id: str
    price_id: str
    action: str  # created | updated | unchanged


def stripe_plans():
    """The plans Stripe sells or renews: EUR, paid, not retired."""
    return (
        Plan.objects.filter(currency="EUR", trial_days=0)
        .filter(Q(status=PlanStatus.ACTIVE) | Q(status=PlanStatus.CLOSED))
        .order_by("sort_order", "code")
    )


def product_id_for(plan: Plan) -> str:
    return f"fastlead_{plan.code}"


def stripe_catalog_sync(gateway: StripeGateway | None = None) -> list[SyncedPlan]:
    gateway = gateway or gateways.get_gateway(gateways.STRIPE)
    try:
        return [_sync_plan(gateway, plan) for plan in stripe_plans()]
    except stripe.StripeError as exc:
        raise provider_error(exc) from exc


def _sync_plan(gateway: StripeGateway, plan: Plan) -> SyncedPlan:
    client = gateway.client
    product_id = product_id_for(plan)
    product_fields = {
        "name": f"Fast Lead {plan.name_en}",
        "description": plan.description_en or plan.name_en,
        "metadata": {"plan_code": plan.code},
        "active": True,
    }
    try:
        product = client.v1.products.retrieve(product_id)
    except stripe.InvalidRequestError as exc:
        if getattr(exc, "http_status", None) != 404:
            raise
        product = client.v1.products.create(
            params={"id": product_id, **product_fields},  # type: ignore[arg-type]
            options={"idempotency_key": f"fastlead-product-{product_id}"},
        )
    else:
        if (
            product.name != product_fields["name"]
            or getattr(product, "description", None) != product_fields["description"]
            or not product.active
        ):
            product = client.v1.products.update(product_id, params=product_fields)  # type: ignore[arg-type]

    interval = "year" if plan.interval == BillingInterval.YEAR else "month"
    found = client.v1.prices.list(params={"lookup_keys": [plan.code], "limit": 1})
    current = found.data[0] if found.data else None
    action = "unchanged"
    if current is None or not _price_matches(current, plan, interval, product_id):
        old = current
        current = client.v1.prices.create(
            params={  # type: ignore[arg-type]
                "product": product_id,
                "currency": plan.currency.lower(),
                "unit_amount": plan.price_amount,
                "recurring": {"interval": interval},
                "lookup_key": plan.code,
                "transfer_lookup_key": True,
                "metadata": {"plan_code": plan.code},
            },
            options={
                "idempotency_key": (
                    f"fastlead-price-{plan.code}-{plan.price_amount}-{plan.currency}-{interval}"
                )
            },
        )
        if old is not None and old.id != current.id and old.active:
            client.v1.prices.update(old.id, params={"active": False})
        action = "created" if old is None else "updated"

    if (plan.provider_price_ids or {}).get("stripe") != current.id:
        plan.provider_price_ids = {**(plan.provider_price_ids or {}), "stripe": current.id}
        plan.save(update_fields=["provider_price_ids", "updated_at"])
        if action == "unchanged":
            action = "updated"
    _sync_djstripe(product, current, gateway)
    return SyncedPlan(plan.code, product_id, current.id, action)


def _price_matches(price, plan: Plan, interval: str, product_id: str) -> bool:
    recurring = getattr(price, "recurring", None)
    product = getattr(price, "product", None)
    product = product if isinstance(product, str) else getattr(product, "id", "")
    return (
        bool(price.active)
        and price.unit_amount == plan.price_amount
        and (price.currency or "").upper() == plan.currency
        and getattr(recurring, "interval", None) == interval
        and product == product_id
    )


def _sync_djstripe(product, price, gateway: StripeGateway) -> None:
    """Keep dj-stripe's Product and Price rows in step (admin, webhooks, reports)."""
    from djstripe.models import Price as DjPrice
    from djstripe.models import Product as DjProduct

    api_key = gateway.api_key
    DjProduct.sync_from_stripe_data(_wire(product), api_key=api_key)
    DjPrice.sync_from_stripe_data(_wire(price), api_key=api_key)


def _wire(obj) -> dict:
    return plain(obj)
