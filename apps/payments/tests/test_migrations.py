"""Payments moved out of billing without data loss: a database filled at the old layout
(billing 0007, payments not there yet) is migrated forward and read through the new models.

The move is state-only (the tables keep their names), so migrating back to the old layout
and forward again touches no table: it runs on SQLite and on PostgreSQL alike, over a graph without
dj-stripe's migrations (tests/migrating.py), which this move does not need."""

import datetime as dt
import uuid

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType

from apps.billing.models import Plan, Subscription, UsageCharge
from apps.payments.models import (
    Invoice,
    InvoiceSequence,
    Payment,
    PaymentEvent,
    PaymentStatus,
    Refund,
)
from apps.tenants.scoping import tenant_scope
from tests import migrating

OLD = [("billing", "0007_billing_event_renewal_upcoming"), ("payments", None)]
MOVED = ("payment", "paymentevent", "refund", "invoice", "invoiceline", "invoicesequence")
START = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def _migrate(targets):
    """Migrate to `targets`; the historical models of the state reached."""
    return migrating.migrate(targets)


def _leaves():
    return migrating.latest()


def _fill_old_layout(apps) -> dict:
    """Rows as the old code wrote them, through billing's historical models."""
    tenant = apps.get_model("tenants", "Tenant").objects.create(name="Old Co", slug="old-co")
    plan = apps.get_model("billing", "Plan").objects.create(
        code="old-pro", name_ru="Про", name_en="Pro", price_amount=499000, currency="RUB"
    )
    subscription = apps.get_model("billing", "Subscription").objects.create(
        tenant=tenant,
        plan=plan,
        status="active",
        current_period_start=START,
        current_period_end=START + dt.timedelta(days=31),
        provider="yookassa",
        payment_method_id="pm-old",
    )
    payment = apps.get_model("billing", "Payment").objects.create(
        id=uuid.uuid4(),
        tenant=tenant,
        subscription=subscription,
        plan=plan,
        kind="renewal",
        amount=499000,
        refunded_amount=1000,
        currency="RUB",
        provider="yookassa",
        provider_id="yk-old-1",
        idempotency_key="fl-pay-old-1",
        status="succeeded",
        period_start=START,
        raw={"id": "yk-old-1"},
    )
    apps.get_model("billing", "PaymentEvent").objects.create(
        provider="yookassa", provider_event_id="yk-old-1:succeeded", payment=payment
    )
    refund = apps.get_model("billing", "Refund").objects.create(
        id=uuid.uuid4(),
        tenant=tenant,
        payment=payment,
        amount=1000,
        currency="RUB",
        reason="goodwill",
        idempotency_key="rf-old-1",
        status="succeeded",
    )
    apps.get_model("billing", "InvoiceSequence").objects.create(currency="RUB", last_number=7)
    invoice = apps.get_model("billing", "Invoice").objects.create(
        tenant=tenant,
        number="FL-RUB-2026-000007",
        sequence=7,
        status="paid",
        currency="RUB",
        subtotal=415834,
        vat_rate_bp=2000,
        vat_amount=83166,
        total=499000,
        payment=payment,
    )
    invoice.lines.create(description="Plan Pro", quantity=1, unit_amount=499000, amount=499000)
    charge = apps.get_model("billing", "UsageCharge").objects.create(
        tenant=tenant,
        kind="enrichment",
        reference="run-old",
        quantity=1,
        unit_amount=499000,
        amount=499000,
        currency="RUB",
        mode="card",
        status="authorized",
        idempotency_key="usage-old-1",
        payment=payment,
        invoice=invoice,
    )
    content_type = _old_content_type(apps)
    return {
        "payment": payment.pk,
        "refund": refund.pk,
        "invoice": invoice.pk,
        "subscription": subscription.pk,
        "plan": plan.pk,
        "charge": charge.pk,
        "content_type": content_type.pk,
    }


def _old_content_type(apps):
    """The old database's content types of the moved models, with an admin log entry and a
    permission given to a user (the new code's ones do not exist there yet)."""
    ContentTypes = apps.get_model("contenttypes", "ContentType")
    ContentTypes.objects.filter(app_label="payments").delete()
    for model in MOVED:
        ContentTypes.objects.get_or_create(app_label="billing", model=model)
    payment_type = ContentTypes.objects.get(app_label="billing", model="payment")
    Permission.objects.filter(content_type_id=payment_type.pk).delete()
    apps.get_model("auth", "Permission").objects.create(
        content_type=payment_type, codename="add_payment", name="Can add payment"
    )
    user = apps.get_model("accounts", "User").objects.create(email="staff@example.com")
    apps.get_model("admin", "LogEntry").objects.create(
        user=user,
        content_type=payment_type,
        object_id="old",
        object_repr="old payment",
        action_flag=2,
    )
    return payment_type


@pytest.mark.django_db(transaction=True)
def test_a_database_filled_at_the_old_layout_reads_through_the_new_models():
    # given: the database as billing 0007 left it, with rows in every moved table
    old_apps = _migrate(OLD)
    ids = _fill_old_layout(old_apps)

    # when: it is migrated forward
    _migrate(_leaves())
    ContentType.objects.clear_cache()

    # then: every row is there, related as before, read through payments' models
    payment = Payment.objects.unscoped().get(pk=ids["payment"])
    assert (payment.kind, payment.status, payment.amount) == (
        "renewal",
        PaymentStatus.SUCCEEDED,
        499000,
    )
    assert payment.subscription_id == ids["subscription"] and payment.plan_id == ids["plan"]
    assert payment.period_start == START and payment.raw == {"id": "yk-old-1"}
    with tenant_scope(payment.tenant):  # the reverse relations billing reads through
        assert Subscription.objects.get(pk=ids["subscription"]).payments.get() == payment
        assert Plan.objects.get(pk=ids["plan"]).payments.get() == payment
    assert PaymentEvent.objects.get(payment=payment).provider_event_id == "yk-old-1:succeeded"
    refund = Refund.objects.unscoped().get(pk=ids["refund"])
    assert refund.payment == payment and refund.money.amount == 1000
    invoice = Invoice.objects.unscoped().get(pk=ids["invoice"])
    assert invoice.payment == payment and invoice.number == "FL-RUB-2026-000007"
    assert [line.amount for line in invoice.lines.all()] == [499000]
    assert InvoiceSequence.objects.get(currency="RUB").last_number == 7
    charge = UsageCharge.objects.unscoped().get(pk=ids["charge"])
    assert charge.payment == payment and charge.invoice == invoice
    # the content types moved with their permissions and admin log
    content_type = ContentType.objects.get(pk=ids["content_type"])
    assert (content_type.app_label, content_type.model) == ("payments", "payment")
    assert content_type.model_class() is Payment
    assert not ContentType.objects.filter(app_label="billing", model__in=MOVED).exists()
    assert Permission.objects.get(content_type=content_type, codename="add_payment")
    assert LogEntry.objects.get(object_id="old").content_type_id == ids["content_type"]

    # and the move is reversible, the sequences keeping their numbers
    _the_move_is_reversible_and_the_sequence_keeps_numbering()


def _the_move_is_reversible_and_the_sequence_keeps_numbering():
    # given: an invoice sequence written by the new code
    InvoiceSequence.objects.create(currency="EUR", last_number=41)

    # when: migrated back to the old layout and forward again
    old_apps = _migrate(OLD)
    old_row = old_apps.get_model("billing", "InvoiceSequence").objects.get(currency="EUR")
    _migrate(_leaves())

    # then: the old layout saw the same row, and the new one still has it
    assert old_row.last_number == 41
    assert InvoiceSequence.objects.get(currency="EUR").last_number == 41
