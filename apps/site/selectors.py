"""Reads of the public site: the plan catalogue as price cards, blog posts, the staff company
and the demo widget's key."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.formats import number_format

from apps.billing.plan_tools import plan_tools_sold
from apps.billing.selectors import plan_list_public
from apps.core.money import Money, exponent
from apps.site.models import Category, Post, PostStatus
from apps.tenants import keys
from apps.tenants.models import Tenant

CURRENCY_SIGNS = {"RUB": "₽", "EUR": "€", "USD": "$"}


def price_label(money: Money) -> str:
    """4 990 ₽ / 19,99 € in Russian, 4,990 ₽ / 19.99 € in English: whole amounts without
    the kopecks, others with them."""
    value = money.to_decimal()
    places = 0 if money.amount % (10 ** exponent(money.currency)) == 0 else 2
    text = number_format(value, places, use_l10n=True, force_grouping=True)
    return f"{text}\u00a0{CURRENCY_SIGNS.get(money.currency, money.currency)}"


@dataclass(frozen=True)
class PriceCard:
    code: str
    name: str
    description: str
    price: Money
    price_label: str
    interval: str
    lead_limit: int | None
    max_tenants: int | None
    max_members: int | None
    tools: tuple[str, ...]

    @property
    def price_decimal(self) -> Decimal:
        return self.price.to_decimal()


def _card(plan) -> PriceCard:
    return PriceCard(
        code=plan.code,
        name=plan.name,
        description=plan.description,
        price=plan.price,
        price_label=price_label(plan.price),
        interval=plan.interval,
        lead_limit=plan.lead_limit,
        max_tenants=plan.max_tenants,
        max_members=plan.max_members,
        tools=tuple(str(label) for _key, label in plan_tools_sold(plan.tools)),
    )


@dataclass(frozen=True)
class Catalogue:
    rub: list[PriceCard]  # the rouble plans on sale, trial excluded
    email: list[PriceCard]  # the euro e-mail tiers (Stripe)
    trial: PriceCard | None


def pricing_catalogue() -> Catalogue:
    """The plans on sale as price cards, grouped as the pricing page shows them."""
    plans = list(plan_list_public())
    trial = next((plan for plan in plans if plan.is_trial), None)
    return Catalogue(
        rub=[_card(p) for p in plans if p.currency == "RUB" and not p.is_trial],
        email=[_card(p) for p in plans if p.currency == "EUR" and not p.is_trial],
        trial=_card(trial) if trial else None,
    )


# --- blog -------------------------------------------------------------------------------------


def post_list_published(*, language: str | None = None, category: Category | None = None):
    """Published posts whose time has come, newest first (optionally one language/category)."""
    posts = Post.objects.filter(status=PostStatus.PUBLISHED, published_at__lte=timezone.now())
    if language:
        posts = posts.filter(language=language)
    if category is not None:
        posts = posts.filter(category=category)
    return posts.select_related("category")


def post_get_public(slug: str, *, staff: bool = False) -> Post | None:
    """A published post by slug; staff also see drafts and scheduled posts (a preview)."""
    posts = Post.objects.select_related("category").filter(slug=slug)
    if not staff:
        posts = posts.filter(status=PostStatus.PUBLISHED, published_at__lte=timezone.now())
    return posts.first()


def category_list_with_posts(language: str | None = None) -> QuerySet:
    """Categories that hold at least one public post (in `language`, if given)."""
    public = Q(posts__status=PostStatus.PUBLISHED, posts__published_at__lte=timezone.now())
    if language:
        public &= Q(posts__language=language)
    return Category.objects.filter(public).distinct()


def category_get(slug: str) -> Category | None:
    return Category.objects.filter(slug=slug).first()


# --- the staff company and its widget ------------------------------------------------------------


def staff_tenant() -> Tenant | None:
    """Fast Lead's own company (settings.STAFF_TENANT_SLUG), where site inquiries land."""
    return Tenant.objects.filter(slug=settings.STAFF_TENANT_SLUG).first()


def demo_widget_key(origin: str) -> str | None:
    """The staff company's live widget key when the widget can really work on this site
    (`origin` is among the company's allowed origins); None means: show the static preview."""
    tenant = staff_tenant()
    if tenant is None or origin.rstrip("/").lower() not in tenant.allowed_origins:
        return None
    key = keys.publishable_key_live(tenant)
    return key.key if key else None
