"""Refunds: the service (reserve, provider call, completion), its idempotency and failures,
the automatic refund of a double payment, the staff action, and the providers' refund calls
against the local fakes."""

import threading

import pytest
import requests
import respx
from django.contrib.auth.models import Permission
from django.db import connection
from django.urls import reverse

from apps.billing import services
from apps.billing.models import BillingEvent
from apps.billing.services import payment_notices
from apps.billing.tests.helpers import plan, start_trial
from apps.core.errors import Conflict, ProviderError, ValidationFailed
from apps.core.money import Money
from apps.payments.gateways.sandbox import SandboxGateway
from apps.payments.gateways.yookassa import YooKassaGateway
from apps.payments.models import Invoice, Payment, PaymentStatus, Refund
from apps.payments.services import payments as payment_steps
from apps.payments.services.refunds import RefundFailed, payment_refund
from apps.payments.tasks import refund_duplicate_payment_task
from apps.payments.tests.fakes import FakeServer, FakeTBank, FakeYooKassa
from apps.payments.tests.requests import refund_request
from apps.tenants.models import AuditAction, AuditLogEntry
from apps.tenants.scoping import tenant_scope
from tests.factories import TenantFactory, UserFactory
from tests.staff import staff_login

pytestmark = pytest.mark.django_db

TBANK = "https://securepay.test/v2"


def _paid(tenant, code="pro") -> Payment:
    """A successful sandbox payment for `code`."""
    with tenant_scope(tenant):
        payment = services.payment_start(tenant=tenant, plan=plan(code))
        payment_steps.payment_sandbox_complete(payment=payment, approve=True)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    return payment


def _rub(amount):
    return Money(amount, "RUB")


# --- the service --------------------------------------------------------------------------------


def test_partial_then_full_refund_adds_up_and_marks_the_payment_refunded(tenant):
    start_trial(tenant)
    payment = _paid(tenant)
    first = payment_refund(
        payment=payment, money=_rub(100000), reason="goodwill", idempotency_key="rf-a"
    )
    payment.refresh_from_db()
    assert first.status == PaymentStatus.SUCCEEDED and first.provider_id
    assert payment.refunded_amount == 100000 and payment.status == PaymentStatus.SUCCEEDED
    rest = payment_refund(
        payment=payment, money=_rub(899000), reason="cancel", idempotency_key="rf-b"
    )
    payment.refresh_from_db()
    assert rest.status == PaymentStatus.SUCCEEDED
    assert payment.refunded_amount == payment.amount and payment.status == PaymentStatus.REFUNDED
    events = BillingEvent.objects.for_tenant(tenant).filter(kind="refunded")
    assert sorted(e.amount for e in events) == [100000, 899000]
    # a credit note per refund (helper D's invoices), negative totals

    notes = Invoice.objects.for_tenant(tenant).filter(refund__isnull=False)
    assert notes.count() == 2


def test_the_same_key_returns_the_same_refund_without_calling_the_provider_again(tenant):
    payment = _paid(tenant)
    calls = []
    real = SandboxGateway.refund

    def counting(self, request):
        calls.append(request.idempotency_key)
        return real(self, request)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SandboxGateway, "refund", counting)
        one = payment_refund(payment=payment, money=_rub(5000), reason="x", idempotency_key="k1")
        two = payment_refund(payment=payment, money=_rub(5000), reason="x", idempotency_key="k1")
    assert one.pk == two.pk and calls == ["k1"]
    payment.refresh_from_db()
    assert payment.refunded_amount == 5000


def test_a_key_reused_for_another_amount_is_a_conflict(tenant):
    payment = _paid(tenant)
    payment_refund(payment=payment, money=_rub(5000), reason="x", idempotency_key="k1")
    with pytest.raises(Conflict):
        payment_refund(payment=payment, money=_rub(6000), reason="x", idempotency_key="k1")


def test_never_more_than_what_is_left_counting_pending_refunds(tenant):
    payment = _paid(tenant)
    with pytest.raises(ValidationFailed) as info:
        payment_refund(
            payment=payment, money=_rub(payment.amount + 1), reason="x", idempotency_key="big"
        )
    assert info.value.code == "refund_too_large"
    # a refund the provider has not confirmed yet still holds its amount
    Refund.objects.create(
        tenant=tenant, payment=payment, amount=payment.amount - 100, currency="RUB",
        reason="pending", idempotency_key="held",
    )  # fmt: skip
    with pytest.raises(ValidationFailed):
        payment_refund(payment=payment, money=_rub(101), reason="x", idempotency_key="more")
    payment_refund(payment=payment, money=_rub(100), reason="x", idempotency_key="fits")
    with pytest.raises(ValidationFailed):
        payment_refund(payment=payment, money=Money(100, "EUR"), reason="x", idempotency_key="e")
    with pytest.raises(ValidationFailed):
        payment_refund(payment=payment, money=_rub(0), reason="x", idempotency_key="zero")


def test_only_successful_payments_are_refunded(tenant):
    with tenant_scope(tenant):
        payment = services.payment_start(tenant=tenant, plan=plan("pro"))
    with pytest.raises(Conflict):
        payment_refund(payment=payment, money=_rub(100), reason="x", idempotency_key="p")
    assert not Refund.objects.for_tenant(tenant).exists()


def test_provider_timeout_keeps_the_refund_pending_and_the_retry_sends_the_same_key(tenant):
    payment = _paid(tenant)
    keys = []
    real = SandboxGateway.refund

    def flaky(self, request):
        keys.append(request.idempotency_key)
        if len(keys) == 1:
            raise ProviderError("timeout", retry_after=60)
        return real(self, request)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SandboxGateway, "refund", flaky)
        with pytest.raises(RefundFailed) as info:
            payment_refund(payment=payment, money=_rub(7000), reason="x", idempotency_key="t1")
        assert info.value.status_code == 502 and info.value.extra["retryable"]
        refund = Refund.objects.for_tenant(tenant).get()
        assert refund.status == PaymentStatus.PENDING
        payment.refresh_from_db()
        assert payment.refunded_amount == 0
        again = payment_refund(payment=payment, money=_rub(7000), reason="x", idempotency_key="t1")
    assert again.pk == refund.pk and again.status == PaymentStatus.SUCCEEDED
    assert keys == [refund.idempotency_key, refund.idempotency_key]
    payment.refresh_from_db()
    assert payment.refunded_amount == 7000


def test_a_refused_refund_fails_and_releases_the_amount(tenant):
    payment = _paid(tenant)

    def refuse(self, request):
        raise ProviderError("no", permanent=True, user_message="Refund refused.")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SandboxGateway, "refund", refuse)
        with pytest.raises(RefundFailed) as info:
            payment_refund(payment=payment, money=_rub(payment.amount), reason="x",
                           idempotency_key="r1")  # fmt: skip
    assert "Refund refused." in info.value.message
    assert Refund.objects.for_tenant(tenant).get().status == PaymentStatus.FAILED
    refund = payment_refund(
        payment=payment, money=_rub(payment.amount), reason="x", idempotency_key="r2"
    )
    assert refund.status == PaymentStatus.SUCCEEDED


# --- the double payment ----------------------------------------------------------------------


def test_paying_twice_for_one_plan_refunds_the_second_payment_after_commit(
    tenant, django_capture_on_commit_callbacks, monkeypatch
):
    celebrated = []
    monkeypatch.setattr(payment_notices, "payment_succeeded_notify", celebrated.append)
    with tenant_scope(tenant):
        first = services.payment_start(tenant=tenant, plan=plan("pro"))
        second = services.payment_start(tenant=tenant, plan=plan("pro"))
        payment_steps.payment_sandbox_complete(payment=first, approve=True)
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            payment_steps.payment_sandbox_complete(payment=second, approve=True)
    assert len(callbacks) >= 1
    second.refresh_from_db()
    first.refresh_from_db()
    assert first.status == PaymentStatus.SUCCEEDED and first.refunded_amount == 0
    assert second.status == PaymentStatus.REFUNDED and second.refunded_amount == second.amount
    assert [p.pk for p in celebrated] == [first.pk]  # no "payment succeeded" mail for the double
    refund = Refund.objects.for_tenant(tenant).get()
    assert refund.idempotency_key == f"double-{second.pk}"
    kinds = list(BillingEvent.objects.for_tenant(tenant).values_list("kind", "data"))
    assert any(kind == "refunded" for kind, _ in kinds)
    assert any(data.get("duplicate") for _, data in kinds)
    # the task running again (a re-delivery) changes nothing

    assert refund_duplicate_payment_task(str(second.pk)) == "nothing"
    assert Refund.objects.for_tenant(tenant).count() == 1


# --- staff -----------------------------------------------------------------------------------


def test_staff_refunds_a_payment_from_the_payment_list(tenant, admin_client_staff):
    payment = _paid(tenant)
    url = reverse("admin:payments_payment_changelist")
    response = admin_client_staff.post(
        url, {"action": "refund_in_full", "_selected_action": [str(payment.pk)]}, follow=True
    )
    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    event = BillingEvent.objects.for_tenant(tenant).get(kind="refunded")
    assert event.actor == admin_client_staff.staff_user
    # a second click finds nothing left to refund and says so
    response = admin_client_staff.post(
        url, {"action": "refund_in_full", "_selected_action": [str(payment.pk)]}, follow=True
    )
    assert Refund.objects.for_tenant(tenant).count() == 1


def test_the_refund_action_needs_the_refund_permission(tenant, client):
    payment = _paid(tenant)
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_payment"))
    staff_login(client, staff)
    url = reverse("admin:payments_payment_changelist")
    page = client.get(url)
    assert page.status_code == 200 and "refund_in_full" not in page.content.decode()
    client.post(url, {"action": "refund_in_full", "_selected_action": [str(payment.pk)]})
    assert not Refund.objects.for_tenant(tenant).exists()


# --- the providers' refund calls, end to end through the service ------------------------------


@pytest.fixture
def tinkoff_fake(settings):
    settings.TINKOFF_TERMINAL_KEY = "TinkoffBankTest"
    settings.TINKOFF_PASSWORD = "secret-pass"
    settings.TINKOFF_API_URL = TBANK
    settings.PAYMENTS_RUB_PROVIDER = "tinkoff"
    fake = FakeTBank(password="secret-pass")
    fake.base_url = "https://securepay.test"
    with respx.mock:
        respx.route(host="securepay.test").mock(side_effect=fake.respx_handler)
        yield fake


def _paid_on_tinkoff(tenant, fake) -> Payment:
    with tenant_scope(tenant):
        payment = services.payment_start(tenant=tenant, plan=plan("pro"))
    fake.pay_submit(payment.provider_id, "pay")
    with tenant_scope(tenant):
        payment_steps.payment_refresh(payment)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    return payment


def test_tinkoff_refund_lost_answer_then_retry_refunds_once(tenant, tinkoff_fake):
    payment = _paid_on_tinkoff(tenant, tinkoff_fake)
    tinkoff_fake.fail("Cancel", "lost")  # T-Bank refunds, the answer never arrives
    with pytest.raises(RefundFailed):
        payment_refund(payment=payment, money=_rub(300000), reason="x", idempotency_key="tb-1")
    refund = payment_refund(payment=payment, money=_rub(300000), reason="x", idempotency_key="tb-1")
    assert refund.status == PaymentStatus.SUCCEEDED
    assert tinkoff_fake.payments[payment.provider_id]["Refunded"] == 300000
    assert tinkoff_fake.payments[payment.provider_id]["Status"] == "PARTIAL_REFUNDED"
    payment.refresh_from_db()
    assert payment.refunded_amount == 300000 and payment.status == PaymentStatus.SUCCEEDED


@pytest.fixture
def yookassa_fake(settings):
    fake = FakeYooKassa()
    with FakeServer(fake) as url:
        settings.YOOKASSA_SHOP_ID, settings.YOOKASSA_SECRET_KEY = "100500", "test_secret"
        settings.YOOKASSA_API_URL = f"{url}/v3"
        settings.PAYMENTS_RUB_PROVIDER = "yookassa"
        yield fake


def test_yookassa_refund_sends_the_idempotence_key_and_a_repeat_refunds_once(tenant, yookassa_fake):
    with tenant_scope(tenant):
        payment = services.payment_start(tenant=tenant, plan=plan("pro"))
    yookassa_fake.checkout_submit(payment.provider_id, "pay")
    with tenant_scope(tenant):
        payment_steps.payment_refresh(payment)
    payment.refresh_from_db()
    yookassa_fake.fail("POST refunds", "lost")
    with pytest.raises(RefundFailed):
        payment_refund(payment=payment, money=_rub(payment.amount), reason="x",
                       idempotency_key="yk-1")  # fmt: skip
    refund = payment_refund(
        payment=payment, money=_rub(payment.amount), reason="x", idempotency_key="yk-1"
    )
    assert refund.status == PaymentStatus.SUCCEEDED and refund.provider_id
    assert len(yookassa_fake.refunds) == 1 and yookassa_fake.calls["POST refunds"] == 2
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED


def test_yookassa_canceled_refund_is_a_permanent_error(yookassa_fake):
    gateway = YooKassaGateway(
        shop_id="100500", secret_key="test_secret", api_url=f"{yookassa_fake.base_url}/v3"
    )
    with pytest.raises(ProviderError) as info:  # the payment is unknown: 400 from the fake
        gateway.refund(refund_request(provider_id="nope", amount=_rub(100), idempotency_key="k"))
    assert info.value.permanent


def test_fake_server_survives_parallel_clients(yookassa_fake):
    """The threaded fake answers concurrent requests (the browser and the app at once)."""
    errors = []

    def get():
        try:
            requests.get(f"{yookassa_fake.base_url}/checkout/none", timeout=5)
        except requests.RequestException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=get) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_refunds_never_exceed_the_payment():
    tenant = TenantFactory()
    payment = _paid(tenant)
    barrier = threading.Barrier(4)
    results = []

    def worker(n):
        try:
            barrier.wait()
            refund = payment_refund(
                payment=payment,
                money=_rub(payment.amount // 2 + 1),  # any two together are too much
                reason="race",
                idempotency_key=f"race-{n}",
            )
            results.append(refund.status)
        except ValidationFailed as exc:
            results.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["refund_too_large"] * 3 + ["succeeded"]
    payment.refresh_from_db()
    assert payment.refunded_amount == payment.amount // 2 + 1


def test_a_refund_the_provider_is_still_processing_is_completed_by_the_task(
    tenant, yookassa_fake, django_capture_on_commit_callbacks
):
    with tenant_scope(tenant):
        payment = services.payment_start(tenant=tenant, plan=plan("pro"))
    yookassa_fake.checkout_submit(payment.provider_id, "pay")
    with tenant_scope(tenant):
        payment_steps.payment_refresh(payment)
    payment.refresh_from_db()
    yookassa_fake.refunds_pending = True
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        refund = payment_refund(
            payment=payment, money=_rub(payment.amount), reason="x", idempotency_key="yk-p"
        )
    assert refund.status == PaymentStatus.PENDING and refund.provider_id
    payment.refresh_from_db()
    assert payment.refunded_amount == 0  # nothing counted until YooKassa says succeeded
    for callback in callbacks:  # the retry task, run now instead of in a minute
        callback()
    refund.refresh_from_db()
    payment.refresh_from_db()
    assert refund.status == PaymentStatus.SUCCEEDED and payment.status == PaymentStatus.REFUNDED
    assert len(yookassa_fake.refunds) == 1


def test_every_refund_is_in_the_audit_log_once_with_who_and_how_much(tenant, admin_user):
    payment = _paid(tenant)

    refund = payment_refund(
        payment=payment, money=_rub(1000), reason="goodwill", idempotency_key="a1",
        actor=admin_user,
    )  # fmt: skip
    # the same key again (a retry) adds no second row
    payment_refund(
        payment=payment, money=_rub(1000), reason="goodwill", idempotency_key="a1",
        actor=admin_user,
    )  # fmt: skip

    with tenant_scope(tenant):
        [entry] = AuditLogEntry.objects.filter(action=AuditAction.REFUND_CREATED)
    assert entry.actor_id == admin_user.pk and entry.target_id == str(refund.pk)
    assert entry.after["amount"] == 1000 and entry.after["payment_id"] == str(payment.pk)
    assert entry.before == {"refunded_amount": 0}
