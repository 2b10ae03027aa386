"""The staff console reads in Russian: translated column headings and filters, subscription
statuses named right, amounts in major units with their currency, and dj-stripe's models
folded into one collapsed section of the index."""

import pytest
from django.contrib import admin
from django.contrib.admin.utils import label_for_field
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from apps.billing.models import Subscription, SubscriptionStatus

pytestmark = pytest.mark.django_db

OUR_APPS = ("billing", "payments", "enrichment", "payperlead")
SAME_IN_BOTH = {"PDF", "ID"}


def _columns(superuser):
    request = RequestFactory().get("/admin/")
    request.user = superuser
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label in OUR_APPS:
            for name in model_admin.get_list_display(request):
                if name != "__str__":
                    yield model, model_admin, name


def test_every_column_of_the_money_admins_has_a_russian_heading(admin_user):
    untranslated = []
    for model, model_admin, name in _columns(admin_user):
        with translation.override("ru"):
            ru = str(label_for_field(name, model, model_admin))
        with translation.override("en"):
            en = str(label_for_field(name, model, model_admin))
        if ru == en and ru not in SAME_IN_BOTH:
            untranslated.append(f"{model._meta.label}.{name}: {ru}")
    assert untranslated == []


def test_subscription_and_its_statuses_are_named_right_in_russian():
    with translation.override("ru"):
        assert str(Subscription._meta.verbose_name) == "подписка"
        labels = {value: str(label) for value, label in SubscriptionStatus.choices}
    assert labels["past_due"] == "Просрочена" and labels["paused"] == "На паузе"
    assert labels["expired"] == "Срок истёк" and labels["active"] == "Действует"


def test_plan_prices_are_shown_in_major_units_with_the_currency(admin_client_staff):
    html = admin_client_staff.get(reverse("admin:billing_plan_changelist")).content.decode()
    assert "9990.00 RUB" in html or "9 990,00 RUB" in html or "9990,00 RUB" in html
    assert ">999000<" not in html


def test_dj_stripe_is_one_collapsed_section_of_the_index(admin_client_staff):
    html = admin_client_staff.get(reverse("admin:index")).content.decode()
    start = html.index('data-app="djstripe"')
    section = html[html.rindex("<details", 0, start) : html.index("</details>", start)]
    assert " open" not in section[: section.index(">")]
    assert section.count('class="model-') > 20  # its models are inside the folded section
    after = html[html.index("</details>", start) :]
    assert "app-djstripe" not in after
