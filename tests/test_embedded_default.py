"""The embedded default (no environment: SQLite, file cache, SQLite broker) as ./scripts/run
starts it: a fast first migrate without dj-stripe's migrations unless Stripe is configured,
and a broker that takes tasks."""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
CLEARED = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "STRIPE_SECRET_KEY", "DJANGO_DEBUG")


def _python(code: str, tmp_path, **env: str) -> str:
    base = {k: v for k, v in os.environ.items() if k not in CLEARED}
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=BASE_DIR,
        env={
            **base,
            "DJANGO_SETTINGS_MODULE": "fastlead.settings",
            "FASTLEAD_VAR_DIR": str(tmp_path),
            "LOG_LEVEL": "ERROR",
            "DJANGO_SECRET_KEY": "embedded-test-secret-key-0123456789abcdef",
            "JWT_SIGNING_KEY": "embedded-test-jwt-key-0123456789abcdef0123",
            "FIELD_ENCRYPTION_KEYS": "embedded-test-field-key-0123456789abcdef0123",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1]


MODULES = "from django.conf import settings as s; print(json.dumps(s.MIGRATION_MODULES))"


def test_dj_stripe_migrations_run_only_with_stripe_or_postgresql(tmp_path):
    code = f"import json; {MODULES}"
    assert json.loads(_python(code, tmp_path)) == {"djstripe": None}
    assert json.loads(_python(code, tmp_path, STRIPE_SECRET_KEY="sk_test_x")) == {}
    on_postgres = {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/none"}
    assert json.loads(_python(code, tmp_path, **on_postgres)) == {}


def test_the_embedded_broker_takes_a_task(tmp_path):
    # the SQLite broker refuses Redis-only transport options: every send failed before
    code = (
        "from fastlead.celery import app; "
        "result = app.send_task('fastlead.ping', queue='default'); print(result.id)"
    )
    assert len(_python(code, tmp_path)) == 36
    assert (tmp_path / "celery-broker.sqlite3").is_file()
