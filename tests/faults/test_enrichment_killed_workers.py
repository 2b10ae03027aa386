"""Fault injection (issue 12): 200 small enrichment runs whose workers are "killed" at seeded
random points, then the recovery beat with the clock moved past the claim deadline.

A kill is a `BaseException` raised at the chosen step: nothing after it runs, no `except
Exception` handler catches it, its open transaction rolls back, and what was committed before
it stays — the rows a killed process leaves. The steps: right after the claim, after the
model answered (before anything is written), the settle message lost (the process died
before queueing it), inside the settle (after the refund, before it is counted), or the
lead's message lost altogether. Some leads are deleted while queued, so their runs have
something to give back.

Then: 0 lost items (every lead enriched, or skipped because it was deleted), 0 double
charges (one charge per run, one card payment per card run, nothing given back twice), and
every run settled (what was not delivered given back, to the minor unit).
"""

from __future__ import annotations

import random
import time
from collections import Counter
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.conf import settings
from django.db.models import Sum
from django.test import TestCase
from django.utils import timezone

from apps.billing.models import CreditEntry, UsageCharge
from apps.billing.services import usage_settle
from apps.billing.services.credits import credit_add, credit_balance
from apps.billing.tests.helpers import subscribe
from apps.core.money import Money
from apps.enrichment import services
from apps.enrichment.models import EnrichmentRun, LeadEnrichment
from apps.enrichment.services import items as items_module
from apps.enrichment.services import settle as settle_module
from apps.enrichment.tasks import recover_stale_enrichment_runs_task
from apps.enrichment.tests.fixtures import fake_ai  # noqa: F401 (a fixture)
from apps.features.services import tenant_feature_set
from apps.leads.models import Lead
from apps.leads.tests.conftest import make_leads
from apps.payments.models import Payment, Refund
from apps.tenants.scoping import tenant_scope
from tests.factories import TenantFactory

# A configured (fake) Claude: the offline heuristic takes no money, so it would test nothing here.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db, pytest.mark.usefixtures("fake_ai")]

RUNS = 200
SEED = 20261205
KILL_POINTS = ("none", "after_claim", "after_model", "settle_lost", "in_settle", "message_lost")
CREDIT = 100_000_000


class Killed(BaseException):
    """The worker process died here."""


@contextmanager
def killed_at(point: str, stats: Counter):
    """Arm one kill at `point` for the next matching step (once)."""
    armed = {"left": 1}

    def once(original):
        def step(*args, **kwargs):
            if armed["left"]:
                armed["left"] -= 1
                stats[f"killed {point}"] += 1
                if point == "settle_lost":
                    return None  # the process died before the settle message was sent
                raise Killed(point)
            return original(*args, **kwargs)

        return step

    targets = {
        "after_claim": (items_module, "_process"),
        "after_model": (items_module, "_apply"),
        "settle_lost": (settle_module, "enrichment_run_settle_later"),
        "in_settle": (usage_settle, "_count_given_back"),
    }
    with ExitStack() as stack:
        if point in targets:
            module, name = targets[point]
            stack.enter_context(mock.patch.object(module, name, once(getattr(module, name))))
        yield


def _executed(fn):
    """Run `fn` and what it queues on commit (the tasks run eagerly), as a worker would;
    a kill stops it there."""
    try:
        with TestCase.captureOnCommitCallbacks(execute=True):
            return fn()
    except Killed:
        return "killed"


def _tenant(kind: str):
    tenant = TenantFactory(name=f"{kind} payer")
    tenant_feature_set(tenant=tenant, feature="enrichment", mode="grant", reason="faults")
    subscription = subscribe(tenant, "business" if kind == "credit" else "pro")
    if kind == "credit":  # no card: the credit balance pays
        credit_add(
            tenant=tenant, money=Money(CREDIT, "RUB"), reason="faults", idempotency_key="f-credit"
        )
    else:
        subscription.provider, subscription.payment_method_id = "sandbox", "sandbox_card_ok"
        subscription.save()
    return tenant


def _one_run(tenant, n: int, rng: random.Random, point: str, stats: Counter):
    lead_ids = make_leads(
        tenant,
        [{"email": f"x{rng.randrange(10**9)}@firm{rng.randrange(10**6)}.ru"} for _ in range(n)],
    )
    with TestCase.captureOnCommitCallbacks(execute=False) as queued:
        run = services.enrichment_run_start(tenant=tenant, actor=None, lead_ids=lead_ids)
    assert run.status == "running" and queued
    rows = list(LeadEnrichment.objects.for_tenant(tenant).filter(run=run).order_by("pk"))
    if n > 1 and rng.random() < 0.3:  # a lead deleted while queued: given back at settle
        Lead.objects.for_tenant(tenant).filter(pk=rows[-1].lead_id).delete()
        stats["leads deleted"] += 1
    victim = rng.randrange(n)
    for position, row in enumerate(rows):
        if point == "message_lost" and position == victim:
            stats["killed message_lost"] += 1
            continue  # its task never arrives
        kill = point if position == victim else "none"
        with tenant_scope(tenant), killed_at(kill, stats):
            outcome = _executed(lambda row=row: services.enrichment_item_process(tenant, row.pk))
        stats[f"item {outcome}"] += 1
    return run


def _recover(stats: Counter) -> None:
    later = timezone.now() + timedelta(seconds=settings.ENRICHMENT_CLAIM_TIMEOUT + 60)
    with time_machine.travel(later, tick=False):
        for _round in range(4):
            outcome = _executed(lambda: recover_stale_enrichment_runs_task.apply().get())
            stats["recovery rounds"] += 1
            stats["requeued"] += outcome["requeued"]
            stats["settles requeued"] += outcome.get("settled", 0)
            if not outcome["requeued"] and not outcome.get("settled", 0):
                break


def test_killed_workers_lose_nothing_and_charge_once():
    began = time.monotonic()
    rng = random.Random(SEED)
    stats: Counter[str] = Counter()
    tenants = {kind: _tenant(kind) for kind in ("credit", "card")}
    runs = []
    for index in range(RUNS):
        kind = "credit" if index % 2 == 0 else "card"
        point = rng.choice(KILL_POINTS)
        runs.append((kind, _one_run(tenants[kind], rng.randint(1, 3), rng, point, stats)))
    _recover(stats)

    given_back = {"credit": 0, "card": 0}
    for kind, run in runs:
        tenant = tenants[kind]
        run = EnrichmentRun.objects.for_tenant(tenant).get(pk=run.pk)
        rows = list(LeadEnrichment.objects.for_tenant(tenant).filter(run=run))
        enriched = sum(r.status == "enriched" for r in rows)
        # 0 lost items: every lead enriched, or skipped because it was deleted
        for row in rows:
            expected = "enriched" if row.lead_id is not None else "skipped"
            assert row.status == expected, (kind, run.pk, row.status, row.failure_reason)
        assert run.status == "done" and run.leads_done == len(rows)
        # 0 double charges, and settled: the undelivered leads given back exactly once
        [charge] = UsageCharge.objects.for_tenant(tenant).filter(reference=str(run.pk))
        assert charge.quantity == len(rows)
        assert charge.refunded_quantity == len(rows) - enriched, (kind, run.pk)
        assert charge.refunded_amount == charge.refunded_quantity * charge.unit_amount
        given_back[kind] += charge.refunded_amount
        if kind == "card":
            payment = Payment.objects.for_tenant(tenant).get(pk=charge.payment_id)
            refunded = Refund.objects.for_tenant(tenant).filter(payment=payment, status="succeeded")
            assert payment.amount == charge.amount and payment.status in ("succeeded", "refunded")
            assert (refunded.aggregate(s=Sum("amount"))["s"] or 0) == charge.refunded_amount
            assert payment.refunded_amount == charge.refunded_amount
    charged = UsageCharge.objects.for_tenant(tenants["credit"]).aggregate(s=Sum("amount"))["s"]
    assert credit_balance(tenants["credit"], "RUB").amount == (
        CREDIT - charged + given_back["credit"]
    )
    spends = CreditEntry.objects.for_tenant(tenants["credit"]).filter(amount__lt=0)
    assert spends.count() == RUNS // 2  # one spend per credit run
    card_payments = Payment.objects.for_tenant(tenants["card"]).filter(kind="usage")
    assert card_payments.count() == RUNS // 2  # one card payment per card run
    stats["runs"] = RUNS
    stats["items"] = (
        LeadEnrichment.objects.unscoped().filter(run__in=[r.pk for _k, r in runs]).count()
    )
    stats["seconds"] = round(time.monotonic() - began)
    print("\nenrichment faults:", dict(sorted(stats.items())))
