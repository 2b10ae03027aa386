"""Operators' figures (one query: counts and the median time to first contact) equal a count
by hand, on PostgreSQL (percentile_cont) and elsewhere (Python)."""

from datetime import timedelta
from statistics import median

import pytest

from apps.analytics import selectors
from apps.analytics.periods import period_parse
from apps.analytics.tests.conftest import NOW
from apps.leads.models import Lead

pytestmark = pytest.mark.django_db
CONTACTED = ("contacted", "booked", "won")


def test_operator_stats_equal_a_count_by_hand(
    tenant, mixed_leads, admin_user, operator_user, django_assert_num_queries
):
    # given: the mixed leads shared by two operators, a third unassigned
    people = [admin_user, operator_user, None]
    for n, lead in enumerate(mixed_leads):
        Lead.objects.for_tenant(tenant).filter(pk=lead.pk).update(assigned_to=people[n % 3])
    first = (NOW - timedelta(days=30)).date().isoformat()
    period = period_parse(tenant, {"from": first, "to": NOW.date().isoformat()})
    # when
    with django_assert_num_queries(1):
        rows = selectors.operator_stats(tenant, period)
    # then
    assert [r["user_id"] for r in rows] == [admin_user.pk, operator_user.pk]  # 8, 7 leads
    for row in rows:
        mine = Lead.objects.for_tenant(tenant).filter(assigned_to_id=row["user_id"])
        answered = [
            (lead.first_contact_at - lead.created_at).total_seconds()
            for lead in mine
            if lead.first_contact_at
        ]
        assert row["created"] == mine.count()
        contacted = [lead for lead in mine if lead.first_contact_at or lead.status in CONTACTED]
        assert row["contacted"] == len(contacted)
        assert row["booked"] == mine.filter(status__in=("booked", "won")).count()
        assert row["won"] == mine.filter(status="won").count()
        assert row["median_seconds"] == round(median(answered))
        assert (
            row["label"] == (admin_user if row["user_id"] == admin_user.pk else operator_user).email
        )
