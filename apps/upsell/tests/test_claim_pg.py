"""Two classifications of two tickets by the same person for the same product, racing on
PostgreSQL: exactly one case (the claim's unique row and its conditional renewal)."""

import threading

import pytest
from django.db import connection

from apps.tenants.scoping import tenant_scope
from apps.upsell.models import OutreachClaim, UpsellCase
from apps.upsell.services.intake import _claim

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_racing_claims_for_the_same_person_and_product_let_one_through(tenant):
    start = threading.Barrier(4)
    won = []

    def worker():
        try:
            with tenant_scope(tenant):
                start.wait(timeout=10)
                won.append(_claim(tenant, "e:ivan@romashka.ru", "Fast Lead") is not None)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(won) == [False, False, False, True]
    with tenant_scope(tenant):
        assert OutreachClaim.objects.count() == 1 and not UpsellCase.objects.exists()
