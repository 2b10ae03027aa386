"""Public pages and the dashboard shell: landing, home redirect, overview, language switch."""

from django.conf import settings
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from apps.accounts.invitations import PENDING_INVITATION_SESSION_KEY
from apps.billing.selectors import plan_list_public
from apps.leads.selectors import lead_filter
from apps.leads.widget_origins import origin_attempts_pending
from apps.tenants import selectors
from apps.tenants.dashboard import LAST_TENANT_SESSION_KEY, dashboard_view, is_admin


def home(request):
    """Anonymous visitors see the landing page; members go back to their last company."""
    if not request.user.is_authenticated:
        return render(request, "web/landing.html", {"plans": landing_plans()})
    if request.session.get(PENDING_INVITATION_SESSION_KEY):
        return redirect("tenants:invitation_resume")
    slug = _home_tenant_slug(request)
    if slug is None:
        return redirect("tenants:create")
    return redirect("web:overview", tenant_slug=slug)


def landing_plans() -> list:
    """The rouble plans on sale for the landing page's pricing (the trial is a sentence)."""
    return [p for p in plan_list_public() if p.currency == "RUB" and not p.is_trial]


def _home_tenant_slug(request) -> str | None:
    slugs = list(
        selectors.memberships_for_user(request.user)
        .order_by("tenant__name")
        .values_list("tenant__slug", flat=True)
    )
    last = request.session.get(LAST_TENANT_SESSION_KEY)
    if last in slugs:
        return last
    return slugs[0] if slugs else None


@dashboard_view()
def overview(request, tenant_slug):
    tenant = request.tenant
    members = selectors.team_list(tenant).count()
    invited = selectors.invitations_pending(tenant).exists()
    context = {
        "leads_count": lead_filter(tenant).count(),
        "members_count": members,
        "colleague_invited": members > 1 or invited,
        "origins_set": bool(tenant.allowed_origins),
        "can_manage": is_admin(request),
        "origin_attempts": origin_attempts_pending(tenant) if is_admin(request) else [],
    }
    context["steps_done"] = 1 + context["colleague_invited"] + context["origins_set"]
    return render(request, "web/overview.html", context)


@require_POST
def set_language(request):
    """Django's /i18n/setlang/ plus: a signed-in user's choice is saved to the profile,
    so it follows them to other browsers and to the e-mails we send them."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    user = request.user
    if user.is_authenticated and language in dict(settings.LANGUAGES) and user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return response
