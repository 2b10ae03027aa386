"""Claims: the site shows only what works — every shown claim's routes and link resolve,
and a claim whose feature is not merged yet stays hidden until its route exists."""

import pytest
from django.urls import include, path, resolve, reverse

from apps.features.registry import tool_get
from apps.site.claims import CLAIMS, claim_is_true, claims_shown, route_exists

pytestmark = pytest.mark.django_db


def test_every_shown_claim_links_to_a_page_that_resolves():
    shown = claims_shown()

    assert shown, "the working features are claimed"
    for item in shown:
        path_part = item["href"].split("#", 1)[0]
        assert resolve(path_part), item["claim"].key
        for name in item["claim"].routes:
            assert route_exists(name), (item["claim"].key, name)


def test_the_working_features_are_claimed_today():
    keys = {item["claim"].key for item in claims_shown()}

    assert {"widget", "one_list", "export", "enrichment", "channels", "payperlead"} <= keys
    assert {"payments", "api", "team"} <= keys


def test_a_claim_is_true_exactly_when_its_routes_exist_and_its_tool_is_live():
    for claim in CLAIMS:
        routes = all(route_exists(name) for name in claim.routes)
        tool = not claim.tool or tool_get(claim.tool).live
        assert claim_is_true(claim) == (routes and tool), claim.key


def _inbox(request):
    raise AssertionError("never called")


urlpatterns = [
    path("inbox/", include(([path("", _inbox, name="inbox")], "messaging"))),
    path("", include("fastlead.urls")),
]


@pytest.mark.urls("apps.site.tests.test_claims")
def test_a_claim_turns_on_when_its_route_is_merged(client):
    inbox = next(c for c in CLAIMS if c.key == "inbox")

    assert claim_is_true(inbox)
    body = client.get(reverse("site:features")).content.decode()
    assert 'data-claim="inbox"' in body


def test_landing_and_features_render_only_true_claims(client):
    landing = client.get("/").content.decode()
    features = client.get(reverse("site:features")).content.decode()

    for claim in CLAIMS:
        marker = f'data-claim="{claim.key}"'
        assert (marker in features) == claim_is_true(claim), claim.key
        if not claim_is_true(claim):
            assert marker not in landing
    # what is not built is not promised anywhere on the landing
    unbuilt = {c.key: c for c in CLAIMS if not claim_is_true(c)}
    if "booking" in unbuilt:
        assert "встреч" not in landing.lower()
    if "analytics" in unbuilt:
        assert "воронк" not in landing.lower()
