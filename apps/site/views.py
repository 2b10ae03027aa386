"""Public pages: landing, pricing (+ the Enterprise form), features (+ the widget demo), use
cases, blog, legal pages, robots.txt. Thin: a selector and a template each."""

from __future__ import annotations

from functools import wraps

from csp.decorators import csp_update
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods

from apps.core.errors import ApplicationError
from apps.core.net import client_ip
from apps.site import selectors, seo
from apps.site.claims import claims_shown
from apps.site.content import FAQ, USE_CASES, use_case_get, use_case_steps
from apps.site.forms import EnterpriseInquiryForm
from apps.site.markup import reading_minutes, render_markdown
from apps.site.page_cache import anonymous_page_cache, csrf_context
from apps.site.services import enterprise_inquiry_submit

LEGAL_PAGES = {
    "offer": (
        lambda: _("Public offer"),
        lambda: _("The terms on which Fast Lead provides its service."),
    ),
    "privacy": (
        lambda: _("Privacy policy"),
        lambda: _("How Fast Lead processes and protects personal data."),
    ),
    "consent": (
        lambda: _("Consent to personal data processing"),
        lambda: _("What a visitor agrees to when sending us their contact details."),
    ),
}
POSTS_PER_PAGE = 10


def public_page(view):
    """Anyone may open it; `?lang=en|ru` shows that language (the alternate links use it)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        language = request.GET.get(seo.LANG_PARAM, "")
        if language in dict(settings.LANGUAGES):
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return view(request, *args, **kwargs)

    return require_http_methods(["GET", "HEAD"])(wrapper)


def _render(request, template: str, seo_data: seo.Seo, context=None, status: int = 200):
    base = {"seo": seo_data, "contact_email": settings.SITE_CONTACT_EMAIL}
    return render(
        request, template, {**base, **(context or {}), **csrf_context(request)}, status=status
    )


@public_page
@anonymous_page_cache
def landing(request):
    """The landing page for visitors (anonymous ones get it from a short cache, see
    apps/site/page_cache.py); signed-in users go on to their dashboard."""
    if request.user.is_authenticated:
        return redirect("web:home")
    catalogue = selectors.pricing_catalogue()
    page = seo.Seo(
        title=_("Fast Lead — every lead from your site in one list"),
        description=_(
            "A lead form for your site, one list of leads without duplicates, AI enrichment "
            "and a team to work them. 14 days free."
        ),
        path=request.path,
    )
    context = {
        "plans": catalogue.rub,
        "trial": catalogue.trial,
        "capture": claims_shown("capture"),
        "work": claims_shown("work") + claims_shown("money"),
        "ai": claims_shown("ai"),
        "channels": claims_shown("channels"),
        "faq": FAQ,
    }
    return _render(request, "site/landing.html", page, context)


def _pricing_context(request, form=None) -> dict:
    catalogue = selectors.pricing_catalogue()
    tab = "email" if request.GET.get("tab") == "email" else "rub"
    return {
        "catalogue": catalogue,
        "tab": tab,
        "cards": catalogue.email if tab == "email" else catalogue.rub,
        "form": form or EnterpriseInquiryForm(),
    }


def _pricing_seo(request, catalogue) -> seo.Seo:
    url = seo.absolute(reverse("site:pricing"))
    return seo.Seo(
        title=_("Pricing"),
        description=_(
            "Fast Lead plans in roubles and the e-mail plans in euros: leads a month, "
            "companies, team members and tools of each plan. 14 days free."
        ),
        path=reverse("site:pricing"),
        structured=[seo.pricing_structured_data(catalogue.rub + catalogue.email, url)],
    )


@public_page
def pricing(request):
    context = _pricing_context(request)
    page = _pricing_seo(request, context["catalogue"])
    return _render(request, "site/pricing.html", page, context)


@require_http_methods(["POST"])
def enterprise_inquiry(request):
    """The Enterprise form: a lead in the staff company, then back to the pricing page."""
    form = EnterpriseInquiryForm(request.POST)
    if form.is_valid() and not form.is_bot():
        try:
            enterprise_inquiry_submit(
                data=form.cleaned_data,
                ip=client_ip(request),
                page_url=seo.absolute(reverse("site:pricing")),
            )
        except ApplicationError as error:
            for field, errors in error.fields.items():
                form.add_error(field if field in form.fields else None, errors)
            if not error.fields:
                form.add_error(None, error.message)
            return _pricing_error(request, form, error.status_code)
        messages.success(request, _("Thank you! We will answer within one working day."))
        return redirect(f"{reverse('site:pricing')}#enterprise")
    if form.is_bot():  # answered as a success, stored nowhere
        messages.success(request, _("Thank you! We will answer within one working day."))
        return redirect(f"{reverse('site:pricing')}#enterprise")
    return _pricing_error(request, form, 400)


def _pricing_error(request, form, status: int):
    context = _pricing_context(request, form=form)
    page = _pricing_seo(request, context["catalogue"])
    return _render(request, "site/pricing.html", page, context, status=status)


@public_page
def features(request):
    page = seo.Seo(
        title=_("Features"),
        description=_(
            "What Fast Lead does today: the lead form, one list of leads, AI enrichment, "
            "channels, export, API and billing. Try the widget on this page."
        ),
        path=request.path,
    )
    sections = [
        ("capture", _("Capture")),
        ("ai", _("AI")),
        ("channels", _("Channels")),
        ("work", _("Work with leads")),
        ("money", _("Billing")),
    ]
    context = {
        "sections": [(key, title, claims_shown(key)) for key, title in sections],
        "demo_live": _demo_key(request) is not None,
    }
    return _render(request, "site/features.html", page, context)


def _demo_key(request) -> str | None:
    origin = f"{request.scheme}://{request.get_host()}"
    return selectors.demo_widget_key(origin)


# The frame holds the real widget script, which injects its own <style> as on any site.
@require_GET
@xframe_options_sameorigin
@csp_update({"style-src": ["'unsafe-inline'"], "frame-ancestors": ["'self'"]})
def widget_demo(request):
    key = _demo_key(request)
    if key is None:
        raise Http404
    lang = (translation.get_language() or "ru")[:2]
    context = {"key": key, "lang": lang, "script": "/static/widget/fastlead.js"}
    return render(request, "site/widget_demo.html", context)


@public_page
def use_cases(request):
    page = seo.Seo(
        title=_("Use cases"),
        description=_("How clinics, real-estate agencies, schools and B2B services use Fast Lead."),
        path=request.path,
    )
    return _render(request, "site/use_cases.html", page, {"cases": USE_CASES})


@public_page
def use_case(request, slug: str):
    case = use_case_get(slug)
    if case is None:
        raise Http404
    page = seo.Seo(title=str(case.title), description=str(case.summary), path=request.path)
    context = {"case": case, "steps": use_case_steps(case), "cases": USE_CASES}
    return _render(request, "site/use_case.html", page, context)


@public_page
def legal(request, page: str):
    if page not in LEGAL_PAGES:
        raise Http404
    title, description = (text() for text in LEGAL_PAGES[page])
    lang = (translation.get_language() or "ru")[:2]
    context = {"page": page, "body": f"site/legal/{page}_{'en' if lang == 'en' else 'ru'}.html"}
    context["legal_pages"] = [(key, texts[0]()) for key, texts in LEGAL_PAGES.items()]
    seo_data = seo.Seo(title=title, description=description, path=request.path)
    return _render(request, "site/legal.html", seo_data, context)


# --- blog -------------------------------------------------------------------------------------


def _language() -> str:
    return (translation.get_language() or "ru")[:2]


@public_page
def blog(request, category_slug: str | None = None):
    category = None
    if category_slug is not None:
        category = selectors.category_get(category_slug)
        if category is None:
            raise Http404
    posts = selectors.post_list_published(language=_language(), category=category)
    page_obj = Paginator(posts, POSTS_PER_PAGE).get_page(request.GET.get("page"))
    title = category.name if category else _("Blog")
    page = seo.Seo(
        title=str(title),
        description=_("Notes on capturing and working leads, and on what is new in Fast Lead."),
        path=request.path,
    )
    context = {
        "category": category,
        "categories": selectors.category_list_with_posts(_language()),
        "page_obj": page_obj,
        "posts": [(post, reading_minutes(post.body)) for post in page_obj],
    }
    return _render(request, "site/blog/index.html", page, context)


@public_page
def post_detail(request, slug: str):
    post = selectors.post_get_public(slug, staff=request.user.is_staff)
    if post is None:
        raise Http404
    page = seo.Seo(
        title=post.title,
        description=post.summary,
        path=request.path,
        og_type="article",
        noindex=not selectors.post_list_published().filter(pk=post.pk).exists(),
    )
    page.structured.append(
        {
            "@context": "https://schema.org",
            "@type": "BlogPosting",
            "headline": post.title,
            "description": post.summary,
            "datePublished": post.published_at.isoformat(),
            "dateModified": post.updated_at.isoformat(),
            "inLanguage": post.language,
            "author": {"@type": "Organization", "name": post.author_name or "Fast Lead"},
            "mainEntityOfPage": seo.absolute(request.path),
        }
    )
    context = {
        "post": post,
        "html": render_markdown(post.body),
        "minutes": reading_minutes(post.body),
    }
    return _render(request, "site/blog/post.html", page, context)


@require_GET
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /t/",
        "Disallow: /admin/",
        "Disallow: /accounts/",
        "Disallow: /api/",
        "Disallow: /dev/",
        "Disallow: /features/widget-demo/",
        "Allow: /",
        "",
        f"Sitemap: {seo.absolute(reverse('site:sitemap'))}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
