"""The weekly e-mail to a company's administrators and the lead drop alert, each in the
recipient's language, with a signed opt-out link that works without logging in."""

from __future__ import annotations

import statistics
from datetime import date, datetime, timedelta
from email.mime.image import MIMEImage

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from apps.analytics import selectors
from apps.analytics.chart_png import bar_chart_png
from apps.analytics.dashboard import dashboard
from apps.analytics.display import cards_for_display
from apps.analytics.models import DailyLeadStats, LeadDropAlert, ReportOptOut, WeeklyReport
from apps.analytics.periods import Period
from apps.analytics.rollups import local_day, tenant_zone
from apps.tenants.models import Membership
from apps.tenants.roles import Role

OPT_OUT_SALT = "analytics.weekly-report.opt-out"
SEND_WEEKDAY, SEND_HOUR = 0, 9  # Monday 09:00 in the tenant's time zone
DROP_WINDOW_DAYS = 28
DROP_MIN_MEDIAN = 4  # below this the median is noise, not a trend


def opt_out_token(tenant, user) -> str:
    return signing.dumps({"t": str(tenant.pk), "u": user.pk}, salt=OPT_OUT_SALT)


def opt_out_read(token: str) -> tuple[str, int] | None:
    try:
        data = signing.loads(token, salt=OPT_OUT_SALT)
        return data["t"], int(data["u"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def opt_out_record(tenant_id: str, user_id: int) -> None:
    ReportOptOut.objects.unscoped().get_or_create(tenant_id=tenant_id, user_id=user_id)


def _recipients(tenant) -> list:
    opted_out = ReportOptOut.objects.for_tenant(tenant).values("user_id")
    memberships = (
        Membership.objects.for_tenant(tenant)
        .filter(role=Role.ADMIN, user__is_active=True)
        .exclude(user_id__in=opted_out)
        .select_related("user")
        .order_by("pk")
    )
    return [m.user for m in memberships]


def week_period(tenant, today: date) -> Period:
    """The last full Monday–Sunday week before `today`."""
    monday = today - timedelta(days=today.weekday())
    return Period(
        "week", monday - timedelta(days=7), monday - timedelta(days=1), tenant_zone(tenant)
    )


def weekly_report_message(tenant, user, period: Period) -> EmailMultiAlternatives:
    """The e-mail for one administrator, in their language (rendered, not sent)."""
    language = getattr(user, "language", "") or settings.LANGUAGE_CODE
    with translation.override(language):
        cards = cards_for_display(dashboard(tenant, period))
        days = selectors.daily(tenant, period)
        chart = bar_chart_png(
            [d["day"].strftime("%d.%m") for d in days],
            [d["created"] for d in days],
            _("Leads per day"),
        )
        context = {
            "tenant_name": tenant.name,
            "period": period,
            "cards": cards,
            "analytics_url": settings.SITE_URL + reverse("analytics:index", args=[tenant.slug]),
            "opt_out_url": settings.SITE_URL
            + reverse("analytics:opt_out", args=[opt_out_token(tenant, user)]),
        }
        subject = render_to_string("analytics/email/weekly_subject.txt", context)
        text = render_to_string("analytics/email/weekly_message.txt", context)
        html = render_to_string("analytics/email/weekly_message.html", context)
    message = EmailMultiAlternatives(
        " ".join(subject.split()), text, settings.DEFAULT_FROM_EMAIL, [user.email]
    )
    message.attach_alternative(html, "text/html")
    message.mixed_subtype = "related"
    image = MIMEImage(chart, "png")
    image.add_header("Content-ID", "<leads-chart>")
    image.add_header("Content-Disposition", "inline", filename="leads.png")
    message.attach(image)
    message.extra_headers["List-Unsubscribe"] = f"<{context['opt_out_url']}>"
    return message


def weekly_report_due(tenant, now: datetime) -> str | None:
    """The ISO week key when the report is due now (Monday from 09:00 local), else None."""
    local = now.astimezone(tenant_zone(tenant))
    if local.weekday() != SEND_WEEKDAY or local.hour < SEND_HOUR:
        return None
    year, week, _day = local.date().isocalendar()
    return f"{year}-W{week:02d}"


def weekly_report_send(tenant, now: datetime) -> int:
    """Send this week's report once (the WeeklyReport row is the idempotency key)."""
    week = weekly_report_due(tenant, now)
    if week is None:
        return 0
    try:
        with transaction.atomic():
            report = WeeklyReport.objects.create(tenant=tenant, week=week)
    except IntegrityError:
        return 0  # sent already (or being sent by another worker)
    period = week_period(tenant, local_day(now, tenant_zone(tenant)))
    sent = 0
    for user in _recipients(tenant):
        weekly_report_message(tenant, user, period).send()
        sent += 1
    WeeklyReport.objects.for_tenant(tenant).filter(pk=report.pk).update(sent_to=sent)
    return sent


def lead_drop_check(tenant, now: datetime) -> LeadDropAlert | None:
    """Yesterday's leads below half the median of the 28 days before: alert once."""
    yesterday = local_day(now, tenant_zone(tenant)) - timedelta(days=1)
    first = yesterday - timedelta(days=DROP_WINDOW_DAYS)
    rows = dict(
        DailyLeadStats.objects.for_tenant(tenant)
        .using("default")
        .filter(day__gte=first, day__lte=yesterday)
        .values("day")
        .annotate(n=Sum("created"))
        .values_list("day", "n")
    )
    window = [rows.get(first + timedelta(days=i), 0) for i in range(DROP_WINDOW_DAYS)]
    median = statistics.median(window)
    count = rows.get(yesterday, 0)
    if median < DROP_MIN_MEDIAN or count * 2 >= median:
        return None
    try:
        with transaction.atomic():
            alert = LeadDropAlert.objects.create(
                tenant=tenant, day=yesterday, count=count, median=median
            )
    except IntegrityError:
        return None
    for user in _recipients(tenant):
        with translation.override(getattr(user, "language", "") or settings.LANGUAGE_CODE):
            context = {
                "tenant_name": tenant.name,
                "alert": alert,
                "analytics_url": settings.SITE_URL + reverse("analytics:index", args=[tenant.slug]),
            }
            subject = render_to_string("analytics/email/drop_subject.txt", context)
            text = render_to_string("analytics/email/drop_message.txt", context)
        EmailMultiAlternatives(
            " ".join(subject.split()), text, settings.DEFAULT_FROM_EMAIL, [user.email]
        ).send()
    return alert
