"""Billing notices to a company's administrators, each in the recipient's language."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from apps.billing.models import Plan
from apps.core.tasks import send_mail_task
from apps.tenants.emails import admin_recipients

KINDS = (
    "trial_reminder",
    "trial_ended",
    "access_blocked",
    "usage_warning",
    "payment_succeeded",
    "payment_failed",
    "renewal_upcoming",
)
_DATETIME_PARAMS = frozenset(
    {
        "trial_ends_at",
        "read_only_until",
        "period_start",
        "period_end",
        "next_retry_at",
        "grace_until",
        "renews_at",
    }
)


def send_billing_notice(tenant, kind: str, params: dict | None = None) -> int:
    """Render templates/billing/email/<kind>_{subject.txt,message.txt,message.html} for every
    administrator of the tenant and queue them (a worker sends each); returns how many."""
    if kind not in KINDS:
        raise ValueError(f"Unknown billing notice {kind!r}")
    params = dict(params or {})
    for key in _DATETIME_PARAMS & params.keys():  # JSON task arguments carry ISO strings
        if isinstance(params[key], str):
            params[key] = datetime.fromisoformat(params[key])
    for plan in ("plan", "lift_plan"):  # names rendered in each recipient's language
        if params.get(f"{plan}_code"):
            params[plan] = Plan.objects.filter(code=params[f"{plan}_code"]).first()
    context = {
        "tenant_name": tenant.name,
        "billing_url": settings.SITE_URL + reverse("billing:overview", args=[tenant.slug]),
        **params,
    }
    sent = 0
    for user in admin_recipients(tenant):
        with translation.override(getattr(user, "language", "") or settings.LANGUAGE_CODE):
            subject = render_to_string(f"billing/email/{kind}_subject.txt", context).strip()
            text = render_to_string(f"billing/email/{kind}_message.txt", context)
            html = render_to_string(f"billing/email/{kind}_message.html", context)
        # one task per recipient: a mail server that is down is retried for each alone
        send_mail_task.delay(" ".join(subject.split()), text, [user.email], html)
        sent += 1
    return sent
