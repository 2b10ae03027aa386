"""The dashboard shell: home redirect, overview, language switch (the public site is
apps/site)."""

import structlog
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from apps.accounts.invitations import PENDING_INVITATION_SESSION_KEY
from apps.analytics.dashboard import dashboard
from apps.analytics.display import cards_for_display
from apps.analytics.periods import period_parse
from apps.leads.selectors import lead_filter
from apps.leads.widget_origins import origin_attempts_pending
from apps.tenants import selectors
from apps.tenants.dashboard import LAST_TENANT_SESSION_KEY, dashboard_view, is_admin
from apps.web import onboarding

logger = structlog.get_logger(__name__)


@login_required
def home(request):
    """The dashboard's entry: members go back to their last company."""
    if request.session.get(PENDING_INVITATION_SESSION_KEY):
        return redirect("tenants:invitation_resume")
    slug = _home_tenant_slug(request)
    if slug is None:
        return redirect("tenants:create")
    return redirect("web:overview", tenant_slug=slug)


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
    context["analytics_cards"] = _analytics_cards(request)
    return render(request, "web/overview.html", context)


def _analytics_cards(request) -> list | None:
    """The last 30 days' cards; None when analytics fails (the rest of the page still works)."""
    try:
        period = period_parse(request.tenant, {"period": "30d"})
        return cards_for_display(dashboard(request.tenant, period))
    except Exception:
        logger.exception("overview_analytics_failed", tenant_id=str(request.tenant.pk))
        return None


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
