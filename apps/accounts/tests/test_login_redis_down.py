"""The login limit with Redis down (issue #12, item 5): it fails closed to the database, so a
brute force is still stopped; good logins still work and are given back."""

from datetime import timedelta

import pytest
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from apps.accounts.login_limits import DatabaseBackend
from apps.accounts.models import LoginAttempt
from apps.accounts.tests.test_api import _assert_error, _login
from apps.core.ratelimit import Rate
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_a_login_flood_with_redis_down_is_still_limited(api_client, redis_down, settings):
    # given Redis unreachable (the API's per-IP throttle, 20 a minute, counts in-process)
    settings.LOGIN_FAILURES_PER_ACCOUNT = 5
    settings.RATELIMIT_FALLBACK_SHARE = 1
    user = UserFactory()
    # when an attacker tries passwords for one account from one address
    answers = [_login(api_client, user.email, f"guess{n}") for n in range(10)]
    # then five failures are let through and the rest refused, the right password too
    codes = [(a.status_code, a.json()["error"]["code"]) for a in answers]
    assert codes == [(401, "invalid_credentials")] * 5 + [(429, "too_many_login_attempts")] * 5
    _assert_error(_login(api_client, user.email), 429, "too_many_login_attempts")
    # counted in the database: 5 on the account, all 11 on the address (an attempt counts on
    # the limits it passed), under digests only
    per_key = LoginAttempt.objects.values("key").annotate(n=Count("id"))
    assert sorted(row["n"] for row in per_key) == [5, 11]
    assert not LoginAttempt.objects.filter(key__contains="10.0.0.1").exists()
    # and the owner, elsewhere, still gets in (the limit is per account *and* IP)
    assert _login(api_client, user.email, ip="10.0.0.2").status_code == 200


def test_with_redis_down_a_good_login_is_given_back(api_client, redis_down):
    user = UserFactory()
    for _ in range(4):
        _login(api_client, user.email, "wrong")
    assert _login(api_client, user.email).status_code == 200
    assert LoginAttempt.objects.count() == 8  # the good attempt's rows were removed
    _login(api_client, user.email, "wrong")
    _assert_error(_login(api_client, user.email), 429, "too_many_login_attempts")


def test_with_redis_down_the_web_login_form_is_limited_too(client, redis_down, settings):
    user = UserFactory()
    for _ in range(settings.LOGIN_FAILURES_PER_ACCOUNT):
        client.post(reverse("account_login"), {"login": user.email, "password": "wrong"})
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert "alert-error" in response.content.decode()


def test_with_redis_and_the_fallback_down_a_login_is_refused(api_client, redis_down, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database refused")

    monkeypatch.setattr(DatabaseBackend, "try_acquire", broken)
    user = UserFactory()
    _assert_error(_login(api_client, user.email), 429, "too_many_login_attempts")


def test_database_counts_keep_a_sliding_window_and_purge_old_rows(monkeypatch):
    backend, budget = DatabaseBackend(), Rate(2, 60).budget()
    assert [backend.try_acquire("k", f"m{n}:0", 0, budget)[0] for n in range(3)][:2] == [0, 0]
    wait, _now = backend.try_acquire("k", "m3:0", 0, budget)
    assert 0 < wait <= 60_000 and LoginAttempt.objects.count() == 2  # refused: not counted
    LoginAttempt.objects.update(at=timezone.now() - timedelta(seconds=61))
    assert backend.try_acquire("k", "m4:0", 0, budget)[0] == 0
    assert list(LoginAttempt.objects.values_list("member", flat=True)) == ["m4:0"]
    backend.clear("k")
    assert not LoginAttempt.objects.exists()


def test_database_counts_settle_a_grant_under_its_new_name():
    backend, budget = DatabaseBackend(), Rate(1, 60).budget()
    assert backend.try_acquire("k", "old:0", 0, budget)[0] == 0
    backend.settle("k", "old:0", "new:0")
    backend.release("k", "old:0")  # the old name is gone: nothing given back
    assert backend.try_acquire("k", "other:0", 0, budget)[0] > 0
    backend.release("k", "new:0")
    assert backend.try_acquire("k", "other:0", 0, budget)[0] == 0
