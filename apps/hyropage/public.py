"""The public page at /p/{tenant_slug}/{page_slug}/: our template renders the content (the
model never writes HTML), with title, meta description, Open Graph, the canonical URL, and the
tenant's widget, which records its leads with source "hyropage" through a signed token
(apps/leads/source_tokens.py). A draft, an unknown page and a tenant without the tool answer
404."""

from __future__ import annotations

from csp.decorators import csp_update
from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from apps.features.guards import feature_enabled
from apps.hyropage import selectors, services
from apps.hyropage.models import HyroPage
from apps.leads.models import Source
from apps.leads.source_tokens import source_token_make
from apps.leads.views_widget_site import WIDGET_PAGE_CSP
from apps.tenants.keys import publishable_key_live

TOOL = "hyropage"
OG_LOCALES = {"ru": "ru_RU", "en": "en_US"}


def public_path(page: HyroPage) -> str:
    return reverse("hyropage-public", args=[page.tenant.slug, page.slug])


def public_url(page: HyroPage) -> str:
    return settings.SITE_URL + public_path(page)


def render_page(request, page: HyroPage, *, preview: bool = False, status: int = 200):
    key = publishable_key_live(page.tenant) if not preview else None
    context = {
        "page": page,
        "content": page.content,
        "preview": preview,
        "canonical": public_url(page),
        "og_locale": OG_LOCALES.get(page.language, "ru_RU"),
        "widget_key": key.key if key else "",
        "source_token": source_token_make(page.tenant_id, Source.HYROPAGE.value, page.pk)
        if key
        else "",
    }
    return render(request, "hyropage/public.html", context, status=status)


@require_GET
@csp_update(WIDGET_PAGE_CSP)
def page_public(request, company_slug: str, page_slug: str):
    page = selectors.published_page_get(company_slug, page_slug)
    if not feature_enabled(page.tenant, TOOL) or not page.content:
        raise Http404
    if request.method == "GET":
        services.page_view_record(page)
    response = render_page(request, page)
    response["Cache-Control"] = "no-cache"  # unpublishing takes effect at once
    return response
