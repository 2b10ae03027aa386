import pytest
from django.urls import reverse
from apps.billing.models import Subscription
from apps.billing.tests.helpers import subscribe

@pytest.mark.django_db
def test_show(admin_client_web, tenant, settings):
    settings.LANGUAGE_CODE = "en"
    s = subscribe(tenant, "email_2500")
    Subscription.objects.unscoped().filter(pk=s.pk).update(provider="stripe", provider_ref="sub_x", payment_method_id="cus_x")
    html = admin_client_web.get(reverse("billing:overview", args=[tenant.slug])).content.decode()
    start = html.index("stripe-portal-title") - 60
    print(html[start:start+900])
