"""Weekly e-mail (ru/en, chart image, Monday 09:00 local, once a week, signed opt-out) and
the lead drop alert."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from apps.analytics.models import DailyLeadStats, ReportOptOut
from apps.analytics.reports import lead_drop_check, opt_out_token, weekly_report_send
from apps.analytics.tests.conftest import MSK
from apps.tenants.roles import Role
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db
MONDAY_0905 = datetime(2026, 12, 7, 9, 5, tzinfo=MSK)


@pytest.fixture
def admins(tenant):
    ru = MembershipFactory(tenant=tenant, role=Role.ADMIN, user__language="ru").user
    en = MembershipFactory(tenant=tenant, role=Role.ADMIN, user__language="en").user
    MembershipFactory(tenant=tenant, role=Role.OPERATOR)  # operators get no report
    return ru, en


def test_weekly_report_renders_in_both_languages_with_a_chart(tenant, admins, rolled):
    assert weekly_report_send(tenant, MONDAY_0905) == 2
    by_to = {m.to[0]: m for m in mail.outbox}
    ru, en = by_to[admins[0].email], by_to[admins[1].email]
    assert "Лиды" in ru.body and "Конверсия" in ru.body and "30 ноября" in ru.subject
    assert "Leads" in en.body and "Conversion to meeting" in en.body
    for message in (ru, en):
        html = message.alternatives[0][0]
        assert 'src="cid:leads-chart"' in html
        image = message.attachments[0]
        assert image.get_content_type() == "image/png"
        assert image.get_payload(decode=True).startswith(b"\x89PNG")
        assert "/reports/unsubscribe/" in message.body


def test_weekly_report_waits_for_monday_nine_local_and_goes_once(tenant, admins):
    assert weekly_report_send(tenant, MONDAY_0905 - timedelta(minutes=10)) == 0
    assert weekly_report_send(tenant, MONDAY_0905 - timedelta(days=1)) == 0
    # 09:05 in Vladivostok is still Sunday night in Moscow's terms: the tenant's zone decides
    tenant.time_zone = "Asia/Vladivostok"
    tenant.save(update_fields=["time_zone"])
    vladivostok = datetime(2026, 12, 7, 9, 5, tzinfo=ZoneInfo("Asia/Vladivostok"))
    assert weekly_report_send(tenant, vladivostok) == 2
    assert weekly_report_send(tenant, vladivostok + timedelta(hours=3)) == 0
    assert len(mail.outbox) == 2


def test_opt_out_link_works_without_login(client, tenant, admins):
    ru, en = admins
    url = f"/reports/unsubscribe/{opt_out_token(tenant, ru)}/"
    assert client.get(url).status_code == 200
    assert not ReportOptOut.objects.for_tenant(tenant).exists()
    assert b"data-opted-out" in client.post(url).content
    assert client.get(url[:-6] + "xxxxx/").status_code == 404
    assert weekly_report_send(tenant, MONDAY_0905) == 1
    assert mail.outbox[0].to == [en.email]


def test_lead_drop_alert_once_when_below_half_the_four_week_median(tenant, admins):
    yesterday = date(2026, 12, 6)
    for i in range(1, 29):
        DailyLeadStats.objects.create(
            tenant=tenant, day=yesterday - timedelta(days=i), source="widget", created=10
        )
    DailyLeadStats.objects.create(tenant=tenant, day=yesterday, source="widget", created=6)
    assert lead_drop_check(tenant, MONDAY_0905) is None  # 6 is not below half of 10
    DailyLeadStats.objects.for_tenant(tenant).filter(day=yesterday).update(created=4)
    alert = lead_drop_check(tenant, MONDAY_0905)
    assert alert is not None and (alert.count, alert.median) == (4, 10)
    assert lead_drop_check(tenant, MONDAY_0905) is None
    assert len(mail.outbox) == 2 and "4" in mail.outbox[0].body
