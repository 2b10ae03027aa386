"""Production settings pass Django's deployment checklist; .env.example documents every variable."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
PRODUCTION_ENV = {
    "DJANGO_HTTPS": "true",
    "DJANGO_DEBUG": "false",
    "DJANGO_ALLOWED_HOSTS": "example.com",
}


def _base_env() -> dict[str, str]:
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for live_server in this process; a
    # production deployment never has it, and Django's deploy check rightly flags it.
    return {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**_base_env(), "LOG_FORMAT": "console", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    key = secrets.token_urlsafe(64)
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV, DJANGO_SECRET_KEY=key
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def _variables_read_by(path: Path) -> set[str]:
    source = path.read_text()
    names = set(re.findall(r"""env(?:\.\w+)?\(\s*f?["']([A-Z][A-Z0-9_]*)["']""", source))
    names |= set(re.findall(r"""os\.environ\.get\(\s*["']([A-Z][A-Z0-9_]*)["']""", source))
    names |= set(re.findall(r"""required_secret\(\s*env,\s*["']([A-Z][A-Z0-9_]*)["']""", source))
    # OAuth providers are read through an f-string prefix: f"{_prefix}_CLIENT_ID".
    for prefix in re.findall(r"""\(\s*["']\w+["']\s*,\s*["']([A-Z_]+_OAUTH)["']\s*\)""", source):
        names |= {f"{prefix}_CLIENT_ID", f"{prefix}_SECRET"}
    return names


def _documented_variables() -> set[str]:
    text = (BASE_DIR / ".env.example").read_text()
    return set(re.findall(r"^#?([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def test_env_example_documents_every_variable_the_settings_read():
    read = _variables_read_by(BASE_DIR / "fastlead" / "settings.py")
    read |= _variables_read_by(BASE_DIR / "gunicorn.conf.py")
    read |= _variables_read_by(BASE_DIR / "fastlead" / "secrets.py")

    assert {"DATABASE_URL", "REDIS_URL", "DJANGO_SECRET_KEY"} <= read
    missing = read - _documented_variables()
    assert not missing, f"add these to .env.example: {sorted(missing)}"


def test_env_example_explains_every_variable_in_a_comment_above_it():
    # Layout: "# what it is" then "NAME=value" (set) or "#NAME=example" (optional, unset).
    lines = (BASE_DIR / ".env.example").read_text().splitlines()
    for index, line in enumerate(lines):
        if re.match(r"^#?[A-Z][A-Z0-9_]*=", line):
            above = lines[index - 1] if index else ""
            assert above.startswith("# "), f"explain {line.split('=')[0]} in a comment above it"
