"""Where the signing secrets come from.

Production (a DATABASE_URL and DEBUG off) must be given DJANGO_SECRET_KEY and JWT_SIGNING_KEY:
the server refuses to start without them, so nothing is ever signed with a key that is public
in this repository. The embedded default (DEBUG, or SQLite with no DATABASE_URL) generates a
random key into var/ on first run and keeps it there, so sessions survive a restart.

JWT keys rotate: put the new key in JWT_SIGNING_KEY, the old one in JWT_PREVIOUS_SIGNING_KEYS
and the moment of the change in JWT_KEYS_ROTATED_AT. Tokens signed by an old key keep
verifying for one refresh-token lifetime after that moment (apps/accounts/tokens.py), then
stop; new tokens are only ever signed with the current key.
"""

import secrets
from datetime import datetime
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

MIN_LENGTH = 32


def local_secret(var_dir: Path, name: str) -> str:
    """A random secret kept in var/<name> (created 0600 on first use)."""
    path = var_dir / name
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(64)
    path.touch(mode=0o600)
    path.write_text(value)
    return value


def required_secret(env, name: str, *, embedded: bool, var_dir: Path) -> str:
    """The value of env var `name`: required (and long enough) in production; generated into
    var/ on the embedded default when unset."""
    value = env(name, default="")
    if value:
        if not embedded and len(value) < MIN_LENGTH:
            raise ImproperlyConfigured(f"{name} must be at least {MIN_LENGTH} characters long")
        return value
    if embedded:
        return local_secret(var_dir, name.lower())
    raise ImproperlyConfigured(
        f"{name} is required in production (DATABASE_URL is set and DEBUG is off). Generate "
        'one with: python -c "import secrets; print(secrets.token_urlsafe(64))"'
    )


def previous_jwt_keys(env, *, signing_key: str) -> tuple[list[str], datetime | None]:
    """The retired JWT keys and when they were retired (both or neither must be set)."""
    keys = [k for k in env.list("JWT_PREVIOUS_SIGNING_KEYS", default=[]) if k != signing_key]
    rotated = env("JWT_KEYS_ROTATED_AT", default="")
    if keys and not rotated:
        raise ImproperlyConfigured(
            "JWT_PREVIOUS_SIGNING_KEYS needs JWT_KEYS_ROTATED_AT (ISO time of the rotation): "
            "old keys verify only for one refresh-token lifetime after it"
        )
    if not rotated:
        return keys, None
    try:
        at = datetime.fromisoformat(rotated)
    except ValueError as exc:
        raise ImproperlyConfigured(f"JWT_KEYS_ROTATED_AT is not an ISO time: {rotated!r}") from exc
    if at.tzinfo is None:
        raise ImproperlyConfigured("JWT_KEYS_ROTATED_AT needs a time zone, e.g. 2026-12-05T10:00Z")
    return keys, at


def encryption_keys(env, *, embedded: bool, var_dir: Path) -> list[str]:
    """FIELD_ENCRYPTION_KEYS (comma-separated; the first encrypts, all decrypt): required in
    production, each key long enough; on the embedded default one is generated into var/."""
    keys = [k.strip() for k in env("FIELD_ENCRYPTION_KEYS", default="").split(",") if k.strip()]
    if keys:
        short = [i for i, k in enumerate(keys) if len(k) < MIN_LENGTH]
        if short and not embedded:
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_KEYS: every key must be at least {MIN_LENGTH} characters long"
            )
        return keys
    if embedded:
        return [local_secret(var_dir, "field_encryption_key")]
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEYS is required in production (DATABASE_URL is set and DEBUG is off). "
        'Generate one with: python -c "from cryptography.fernet import Fernet; '
        'print(Fernet.generate_key().decode())"'
    )
