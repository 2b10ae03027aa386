import pytest
from apps.billing.models import Invoice, Payment, Refund, BillingAccount
from apps.billing.tests.helpers import plan, start_trial
from apps.billing.services.invoices import invoice_for_payment, credit_note_for_refund
from apps.billing.invoice_pdf import invoice_pdf_bytes

pytestmark = pytest.mark.django_db

def test_smoke(tenant, settings):
    settings.BILLING_VAT_RATE_BP = 2000
    settings.BILLING_SELLER_NAME = "ООО «Фаст Лид»"
    settings.BILLING_SELLER_TAX_ID = "7700000000 / КПП 770001001"
    settings.BILLING_SELLER_ADDRESS = "125009, Москва, ул. Тверская, д. 1, офис 100, очень длинный адрес для проверки переноса строк"
    settings.BILLING_SELLER_EMAIL = "billing@fastlead.ru"
    settings.BILLING_SELLER_BANK = "р/с 40702810900000000001 в АО «Т-Банк», БИК 044525974"
    start_trial(tenant)
    BillingAccount.objects.for_tenant(tenant).update(legal_name="ООО «Ромашка»", tax_id="7701234567", billing_address="Санкт-Петербург, Невский пр., 1", billing_email="buh@romashka.ru")
    p = Payment.objects.create(tenant=tenant, plan=plan("pro"), amount=999000, currency="RUB", provider="yookassa", provider_id="2d9c-yk-0001", is_test=False, idempotency_key="x1", status="succeeded", kind="usage", description="x")
    inv = invoice_for_payment(p)
    r = Refund.objects.create(tenant=tenant, payment=p, amount=300000, currency="RUB", reason="30 лидов не обогащены", idempotency_key="r1", status="succeeded")
    note = credit_note_for_refund(r)
    open("/tmp/d/inv2.pdf","wb").write(invoice_pdf_bytes(inv, "ru"))
    open("/tmp/d/note.pdf","wb").write(invoice_pdf_bytes(note, "en"))
