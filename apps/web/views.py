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
from apps.web import onboarding


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


WIZARD_SHOWN_SESSION_KEY = "onboarding_shown"


@dashboard_view()
def overview(request, tenant_slug):
    tenant = request.tenant
    progress = onboarding.wizard_progress(request) if is_admin(request) else None
    if _wizard_first_visit(request, progress):
        return redirect("web:onboarding", tenant_slug=tenant.slug)
    members = selectors.team_list(tenant).count()
    invited = selectors.invitations_pending(tenant).exists()
    context = {
        "leads_count": lead_filter(tenant).count(),
        "members_count": members,
        "colleague_invited": members > 1 or invited,
        "origins_set": bool(tenant.allowed_origins),
        "can_manage": is_admin(request),
        "origin_attempts": origin_attempts_pending(tenant) if is_admin(request) else [],
        "onboarding": _wizard_summary(progress),
        "show_tour": progress is not None
        and progress.finished_at is not None
        and (not progress.tour_seen or request.GET.get("tour") == "1"),
    }
    context["steps_done"] = 1 + context["colleague_invited"] + context["origins_set"]
    return render(request, "web/overview.html", context)


def _wizard_first_visit(request, progress) -> bool:
    """Straight after sign-up the wizard opens by itself, once a session; afterwards the
    overview offers to continue it."""
    key = f"{WIZARD_SHOWN_SESSION_KEY}:{request.tenant.pk}"
    if progress is None or progress.finished_at or request.session.get(key):
        return False
    request.session[key] = True
    return True


def _wizard_summary(progress) -> dict | None:
    if progress is None:
        return None
    handled = len(set(progress.done) | set(progress.skipped))
    return {
        "steps": [
            (label, key in progress.done, key in progress.skipped)
            for key, label in onboarding.STEPS
        ],
        "handled": handled,
        "total": len(onboarding.STEPS),
        "finished": progress.finished_at is not None,
    }


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
