"""seed_site: the staff company (with its widget key and this site allowed) and the seed
posts, idempotently; the features page's live widget demo once it exists."""

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from apps.site.models import Post
from apps.site.selectors import staff_tenant
from apps.tenants import keys
from apps.tenants.models import Membership
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_seed_site_creates_the_staff_company_and_posts_once(settings):
    settings.SITE_URL = "http://testserver"
    owner = UserFactory(is_superuser=True, is_staff=True)

    call_command("seed_site")
    call_command("seed_site")

    tenant = staff_tenant()
    assert tenant.slug == settings.STAFF_TENANT_SLUG
    assert tenant.allowed_origins == ["http://testserver"]
    assert Membership.objects.unscoped().get(tenant=tenant).user_id == owner.pk
    assert keys.publishable_key_live(tenant) is not None
    assert Post.objects.filter(status="published", language="ru").count() == 2
    assert Post.objects.filter(language="en").count() == 1


def test_seed_site_without_an_owner_says_what_to_do():
    with pytest.raises(CommandError, match="superuser"):
        call_command("seed_site")


def test_features_page_shows_a_labelled_static_preview_without_the_staff_company(client):
    body = client.get(reverse("site:features")).content.decode()

    assert "Статичное превью" in body
    assert reverse("site:widget_demo") not in body
    assert client.get(reverse("site:widget_demo")).status_code == 404


def test_features_page_runs_the_real_widget_of_the_staff_company(client, settings):
    settings.SITE_URL = "http://testserver"
    UserFactory(is_superuser=True, is_staff=True)
    call_command("seed_site")
    key = keys.publishable_key_live(staff_tenant()).key

    features = client.get(reverse("site:features")).content.decode()
    frame = client.get(reverse("site:widget_demo"))

    assert f'src="{reverse("site:widget_demo")}"' in features
    assert "Статичное превью" not in features
    html = frame.content.decode()
    assert 'src="/static/widget/fastlead.js"' in html and f'data-key="{key}"' in html
    assert frame["X-Frame-Options"] == "SAMEORIGIN"
