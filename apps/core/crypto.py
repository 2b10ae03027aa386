"""Field encryption at rest: MultiFernet under settings.FIELD_ENCRYPTION_KEYS.

The first key encrypts, every key decrypts, so a key rotates by putting the new key first,
re-encrypting the stored values (each app's own command, e.g. `channels_reencrypt`) and
then dropping the old key. Keys are Fernet keys (urlsafe base64 of 32 bytes); any other
string of at least 32 characters is accepted and stretched with SHA-256, so a key made by
`secrets.token_urlsafe(64)` works too. Plain values are never logged or shown: `mask()`.
"""

from __future__ import annotations

import base64
import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

MASK = "••••"


class DecryptionFailed(Exception):
    """A stored value no key of FIELD_ENCRYPTION_KEYS opens (a key was dropped too early)."""


def _fernet_key(key: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(key.encode())
        if len(raw) == 32:
            return key.encode()
    except (ValueError, TypeError):
        pass
    return base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest())


def _multi() -> MultiFernet:
    keys = [k.strip() for k in settings.FIELD_ENCRYPTION_KEYS if k.strip()]
    if not keys:
        raise RuntimeError("FIELD_ENCRYPTION_KEYS is empty")
    return MultiFernet([Fernet(_fernet_key(k)) for k in keys])


def encrypt_text(value: str) -> str:
    return _multi().encrypt(value.encode()).decode()


def decrypt_text(token: str) -> str:
    try:
        return _multi().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionFailed("no FIELD_ENCRYPTION_KEYS key opens this value") from exc


def rotate_text(token: str) -> str:
    """The same value encrypted under the first key."""
    try:
        return _multi().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionFailed("no FIELD_ENCRYPTION_KEYS key opens this value") from exc


def encrypt_json(value: dict) -> str:
    return encrypt_text(json.dumps(value, sort_keys=True))


def decrypt_json(token: str) -> dict:
    return json.loads(decrypt_text(token)) if token else {}


def mask(value: str, *, visible: int = 4) -> str:
    """`••••1234`: the last characters of a secret, only when it is long enough to spare them."""
    value = str(value or "")
    if len(value) < visible * 3:
        return MASK
    return MASK + value[-visible:]
