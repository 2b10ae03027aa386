"""The client's address behind trusted proxies (`apps.core.net.client_ip`) and everything that
keys on it: the widget's per-IP limit, the login limits, YooKassa's source check."""

import pytest
from django.test import RequestFactory
from rest_framework.test import APIClient

from apps.accounts.api import AuthAttemptThrottle
from apps.core.net import client_ip
from apps.core.throttling import AnonRateThrottle
from apps.tenants import keys
from tests.factories import PASSWORD, UserFactory


def _request(peer: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    assert client_ip(_request("203.0.113.9", "185.71.76.1")) == "203.0.113.9"


def test_behind_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "127.0.0.1/32"]
    # the client forged the first entry; our proxies appended the real one and their own
    request = _request("10.0.0.2", "1.2.3.4, 198.51.100.7, 10.0.0.1")
    assert client_ip(request) == "198.51.100.7"
    assert client_ip(_request("127.0.0.1", "198.51.100.7")) == "198.51.100.7"
    assert client_ip(_request("10.0.0.2")) == "10.0.0.2"  # no header: the proxy itself
    assert client_ip(_request("10.0.0.2", "10.0.0.3, 10.0.0.1")) == "10.0.0.3"


def test_a_spoofed_header_from_an_untrusted_peer_is_ignored(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(_request("203.0.113.9", "185.71.76.1")) == "203.0.113.9"


def test_odd_values_are_handled(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "2001:db8::/32"]
    assert client_ip(_request("10.0.0.2", "[2001:db9::1]:443")) == "2001:db9::1"
    assert client_ip(_request("10.0.0.2", "198.51.100.7:5123")) == "198.51.100.7"
    assert client_ip(_request("10.0.0.2", "garbage")) == "10.0.0.2"
    assert client_ip(_request("::ffff:203.0.113.9")) == "203.0.113.9"
    assert client_ip(_request("not-an-ip")) == ""


# --- the widget's per-IP limit ------------------------------------------------------------------


def _config(client, key, peer, forwarded=None):
    extra = {"REMOTE_ADDR": peer, "HTTP_ORIGIN": "https://example.com"}
    if forwarded:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.get(f"/api/public/v1/widget/{key}/", **extra)


@pytest.mark.django_db
def test_widget_limit_counts_the_real_client_behind_the_proxy(client, tenant, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    settings.LEADS_WIDGET_RATE_PER_IP = 2
    key = keys.publishable_key_get_or_create(tenant).key
    assert _config(client, key, "10.0.0.2", "198.51.100.1").status_code == 200
    assert _config(client, key, "10.0.0.2", "198.51.100.1").status_code == 200
    assert _config(client, key, "10.0.0.2", "198.51.100.1").status_code == 429
    # another visitor behind the same proxy is not limited by the first one
    assert _config(client, key, "10.0.0.2", "198.51.100.2").status_code == 200


@pytest.mark.django_db
def test_widget_limit_is_not_dodged_by_a_forged_header(client, tenant, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    settings.LEADS_WIDGET_RATE_PER_IP = 2
    key = keys.publishable_key_get_or_create(tenant).key
    codes = [_config(client, key, "203.0.113.9", f"198.51.100.{n}").status_code for n in range(3)]
    assert codes == [200, 200, 429]


# --- the login limits -----------------------------------------------------------------------------


def _login(client, email, password, peer, forwarded=None):
    extra = {"REMOTE_ADDR": peer}
    if forwarded:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    body = {"email": email, "password": password}
    return client.post("/api/v1/auth/login", body, format="json", **extra)


@pytest.mark.django_db
def test_login_limit_is_per_real_client_behind_the_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    user = UserFactory()
    client = APIClient()
    for _ in range(5):
        _login(client, user.email, "wrong", "10.0.0.2", "198.51.100.1")
    assert _login(client, user.email, "wrong", "10.0.0.2", "198.51.100.1").status_code == 429
    # the account's owner, from another address behind the same proxy, can still log in

    assert _login(client, user.email, PASSWORD, "10.0.0.2", "198.51.100.2").status_code == 200


@pytest.mark.django_db
def test_login_limit_is_not_dodged_by_a_forged_header(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    user = UserFactory()
    client = APIClient()
    for n in range(5):
        _login(client, user.email, "wrong", "203.0.113.9", f"198.51.100.{n}")
    response = _login(client, user.email, "wrong", "203.0.113.9", "198.51.100.99")
    assert response.status_code == 429


def test_api_throttles_key_on_the_same_rule(settings):
    settings.TRUSTED_PROXIES = []
    forged = _request("203.0.113.9", "1.1.1.1")
    assert AnonRateThrottle().get_ident(forged) == "203.0.113.9"
    assert AuthAttemptThrottle().get_ident(forged) == "203.0.113.9"
