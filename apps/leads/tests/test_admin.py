"""Staff console of leads: the changelist pager counts up to a cap; the widget's intake queue."""

import pytest
from django.utils import timezone

from apps.core.admin_paging import CappedCountPaginator
from apps.leads.models import Lead, WidgetIntake
from tests.factories import UserFactory
from tests.staff import staff_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    staff_login(client, UserFactory(is_staff=True, is_superuser=True))
    return client


def _leads(tenant, n):
    Lead.objects.bulk_create(
        Lead(
            tenant=tenant,
            person_key=f"e:p{i}@x.ru",
            identity_key=f"e:p{i}@x.ru",
            email=f"p{i}@x.ru",
            source="api",
        )
        for i in range(n)
    )


def test_capped_paginator_counts_no_further_than_its_cap(tenant, monkeypatch):
    _leads(tenant, 7)
    monkeypatch.setattr(CappedCountPaginator, "CAP", 5)
    paginator = CappedCountPaginator(Lead.objects.unscoped().order_by("pk"), 2)
    assert paginator.count == 6 and paginator.is_capped
    assert paginator.num_pages == 3
    small = CappedCountPaginator(Lead.objects.unscoped().order_by("pk")[:0], 2)
    assert small.count == 0 and not small.is_capped


def test_lead_changelist_uses_the_capped_count(staff_client, tenant, monkeypatch):
    _leads(tenant, 4)
    monkeypatch.setattr(CappedCountPaginator, "CAP", 2)
    response = staff_client.get("/admin/leads/lead/")
    assert response.status_code == 200
    assert response.context["cl"].paginator.count == 3


def test_staff_see_failed_widget_submissions_and_queue_them_again(
    staff_client, tenant, monkeypatch
):
    failed = WidgetIntake.objects.create(
        tenant=tenant,
        payload={"item": {"email": "a@example.com"}, "source": "widget", "consent_source": ""},
        received_at=timezone.now(),
        failed_at=timezone.now(),
        error="bad row",
    )
    page = staff_client.get("/admin/leads/widgetintake/?failed_at__isempty=0")
    assert page.status_code == 200
    assert b"bad row" in page.content
    woken = []
    monkeypatch.setattr("apps.leads.admin.widget_intake_wake", lambda: woken.append(1))
    response = staff_client.post(
        "/admin/leads/widgetintake/",
        {"action": "queue_again", "_selected_action": [failed.pk]},
        follow=True,
    )
    assert response.status_code == 200
    failed.refresh_from_db()
    assert failed.failed_at is None and failed.error == ""
    assert woken == [1]
