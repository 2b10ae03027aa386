"""Production never signs with a public key: it refuses to start without its own secrets; the
embedded default makes up random ones and keeps them in var/; JWT keys rotate with a grace."""

import os
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
import time_machine
from django.conf import settings
from rest_framework.test import APIClient

from apps.accounts.tokens import RefreshToken
from tests.factories import UserFactory

BASE_DIR = Path(settings.BASE_DIR)
# The key this repository shipped as its default until it was removed (anyone could read it).
PUBLIC_OLD_DEFAULT = "django-insecure-embedded-default-key-change-me-in-production-0123456789abcdef"
SECRETS = (
    "DJANGO_SECRET_KEY",
    "JWT_SIGNING_KEY",
    "JWT_PREVIOUS_SIGNING_KEYS",
    "FIELD_ENCRYPTION_KEYS",
)


def _python(code: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in SECRETS and k != "DATABASE_URL"}
    base.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=BASE_DIR,
        env={**base, "DJANGO_SETTINGS_MODULE": "fastlead.settings", "LOG_FORMAT": "console", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


SHOW_KEYS = "from django.conf import settings as s; print(s.SECRET_KEY); print(s.JWT_SIGNING_KEY)"
PRODUCTION = {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/none", "DJANGO_DEBUG": "false"}


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = _python("", **PRODUCTION, FASTLEAD_VAR_DIR=str(tmp_path))

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required in production" in result.stderr
    assert not list(tmp_path.iterdir())  # nothing generated in production


def test_production_refuses_to_start_without_a_jwt_key():
    result = _python("", **PRODUCTION, DJANGO_SECRET_KEY="s" * 50)

    assert result.returncode != 0
    assert "JWT_SIGNING_KEY is required in production" in result.stderr


def test_production_refuses_a_short_secret():
    result = _python("", **PRODUCTION, DJANGO_SECRET_KEY="short", JWT_SIGNING_KEY="j" * 50)

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be at least 32 characters" in result.stderr


def test_production_starts_with_both_keys():
    result = _python(
        SHOW_KEYS,
        **PRODUCTION,
        DJANGO_SECRET_KEY="s" * 50,
        JWT_SIGNING_KEY="j" * 50,
        FIELD_ENCRYPTION_KEYS="f" * 50,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["s" * 50, "j" * 50]


def test_production_refuses_to_start_without_field_encryption_keys(tmp_path):
    result = _python(
        "",
        **PRODUCTION,
        DJANGO_SECRET_KEY="s" * 50,
        JWT_SIGNING_KEY="j" * 50,
        FASTLEAD_VAR_DIR=str(tmp_path),
    )

    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS is required in production" in result.stderr
    assert not list(tmp_path.iterdir())


def test_the_embedded_default_generates_a_field_encryption_key_once(tmp_path):
    show = "from django.conf import settings as s; print(s.FIELD_ENCRYPTION_KEYS[0])"
    first = _python(show, FASTLEAD_VAR_DIR=str(tmp_path))
    second = _python(show, FASTLEAD_VAR_DIR=str(tmp_path))

    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    assert len(first.stdout.strip()) >= 64
    assert (tmp_path / "field_encryption_key").exists()


def test_the_embedded_default_generates_private_keys_once_and_keeps_them(tmp_path):
    show = SHOW_KEYS

    first = _python(show, FASTLEAD_VAR_DIR=str(tmp_path))
    second = _python(show, FASTLEAD_VAR_DIR=str(tmp_path))

    assert first.returncode == 0, first.stderr
    secret, jwt_key = first.stdout.split()
    assert second.stdout.split() == [secret, jwt_key]  # kept across restarts
    assert secret != jwt_key and len(secret) >= 64 and PUBLIC_OLD_DEFAULT not in (secret, jwt_key)
    for name in ("django_secret_key", "jwt_signing_key"):
        mode = stat.S_IMODE((tmp_path / name).stat().st_mode)
        assert mode == 0o600, oct(mode)


@pytest.mark.django_db
def test_a_token_forged_with_the_old_public_default_key_is_refused():
    user = UserFactory()
    forged = jwt.encode(
        {"token_type": "access", "user_id": str(user.pk), "jti": "x", "exp": 4102444800, "iat": 1},
        PUBLIC_OLD_DEFAULT,
        algorithm="HS256",
    )

    response = APIClient(HTTP_AUTHORIZATION=f"Bearer {forged}").get("/api/v1/me")

    assert response.status_code == 401


# --- rotation -------------------------------------------------------------------------------

OLD_KEY, NEW_KEY = "old-key-" + "o" * 40, "new-key-" + "n" * 40
ROTATED_AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _signed_with(key: str, settings_fixture, user):
    settings_fixture.SIMPLE_JWT = {**settings.SIMPLE_JWT, "SIGNING_KEY": key}
    return RefreshToken.for_user(user)


@pytest.fixture
def rotated(settings):
    def rotate():
        settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "SIGNING_KEY": NEW_KEY}
        settings.JWT_PREVIOUS_SIGNING_KEYS = [OLD_KEY]
        settings.JWT_KEYS_ROTATED_AT = ROTATED_AT

    settings.JWT_PREVIOUS_SIGNING_KEYS = []
    settings.JWT_KEYS_ROTATED_AT = None
    return rotate


@pytest.mark.django_db
def test_tokens_signed_with_a_retired_key_work_during_the_grace_period_only(settings, rotated):
    user = UserFactory()
    with time_machine.travel(ROTATED_AT - timedelta(minutes=5), tick=False):
        old_refresh = str(_signed_with(OLD_KEY, settings, user))
    rotated()

    # during the grace period the old refresh token still rotates, into a new-key token
    with time_machine.travel(ROTATED_AT + timedelta(days=1), tick=False):
        response = APIClient().post("/api/v1/auth/refresh", {"refresh": old_refresh}, format="json")
        assert response.status_code == 200, response.content
        new_access = response.json()["access"]
        assert jwt.decode(new_access, NEW_KEY, algorithms=["HS256"])["user_id"] == str(user.pk)
        with pytest.raises(jwt.InvalidSignatureError):
            jwt.decode(new_access, OLD_KEY, algorithms=["HS256"])


@pytest.mark.django_db
def test_a_retired_key_stops_verifying_after_the_grace_period(settings, rotated):
    user = UserFactory()
    with time_machine.travel(ROTATED_AT + timedelta(days=6), tick=False):
        # a token made with the old key (e.g. by a server not yet restarted), still unexpired
        old_refresh = str(_signed_with(OLD_KEY, settings, user))
    rotated()

    with time_machine.travel(ROTATED_AT + timedelta(days=7, minutes=1), tick=False):
        response = APIClient().post("/api/v1/auth/refresh", {"refresh": old_refresh}, format="json")

    assert response.status_code == 401


@pytest.mark.django_db
def test_without_a_rotation_a_token_of_another_key_is_refused(settings, rotated):
    user = UserFactory()
    stranger = str(_signed_with(OLD_KEY, settings, user).access_token)
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "SIGNING_KEY": NEW_KEY}

    response = APIClient(HTTP_AUTHORIZATION=f"Bearer {stranger}").get("/api/v1/me")

    assert response.status_code == 401


def test_previous_keys_need_the_rotation_time():
    result = _python(
        "",
        DJANGO_SECRET_KEY="s" * 50,
        JWT_SIGNING_KEY="j" * 50,
        JWT_PREVIOUS_SIGNING_KEYS="old" * 20,
    )

    assert result.returncode != 0
    assert "JWT_PREVIOUS_SIGNING_KEYS needs JWT_KEYS_ROTATED_AT" in result.stderr
