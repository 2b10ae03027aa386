"""Reads of HyroPage: the tenant's pages with their conversions, one page, its versions, its
latest generation, and the published page behind a public address."""

from __future__ import annotations

from apps.core.errors import ObjectNotFound
from apps.hyropage.models import Generation, HyroPage, PageStatus, PageVersion
from apps.leads.models import Source
from apps.leads.selectors import hosted_submissions_count
from apps.tenants.models import Tenant


def page_list(tenant) -> list[HyroPage]:
    """The pages, newest first, each with `.conversions` (widget submissions on it)."""
    pages = list(HyroPage.objects.for_tenant(tenant))
    conversions_attach(tenant, pages)
    return pages


def conversions_attach(tenant, pages: list[HyroPage]) -> None:
    counts = hosted_submissions_count(tenant, Source.HYROPAGE.value, [p.pk for p in pages])
    for page in pages:
        page.conversions = counts.get(str(page.pk), 0)


def page_get(tenant, page_id) -> HyroPage:
    try:
        return HyroPage.objects.for_tenant(tenant).get(pk=int(page_id))
    except (HyroPage.DoesNotExist, ValueError, TypeError):
        raise ObjectNotFound from None


def version_list(tenant, page: HyroPage) -> list[PageVersion]:
    return list(PageVersion.objects.for_tenant(tenant).filter(page=page).order_by("-number"))


def generation_latest(tenant, page: HyroPage) -> Generation | None:
    return Generation.objects.for_tenant(tenant).filter(page=page).order_by("-id").first()


def published_page_get(tenant_slug: str, page_slug: str) -> HyroPage:
    """The published page at /p/{tenant_slug}/{page_slug}/ (a draft answers 404)."""
    tenant = Tenant.objects.filter(slug=tenant_slug).first()
    if tenant is None:
        raise ObjectNotFound
    page = (
        HyroPage.objects.for_tenant(tenant)
        .filter(slug=page_slug, status=PageStatus.PUBLISHED)
        .select_related("tenant")
        .first()
    )
    if page is None:
        raise ObjectNotFound
    return page


def published_pages() -> list[HyroPage]:
    """Every published page of every tenant (the sitemap; public by definition)."""
    return list(
        HyroPage.objects.unscoped()
        .filter(status=PageStatus.PUBLISHED, lead__isnull=True)  # personal pages stay out
        .select_related("tenant")
        .order_by("tenant_id", "slug")
    )


def lead_page_list(tenant, lead) -> list[HyroPage]:
    """The personal pages made for one lead (the lead page's card)."""
    return list(HyroPage.objects.for_tenant(tenant).filter(lead=lead))
