"""Field encryption: round trip, rotation under a new first key, masking."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command

from apps.channels.models import Channel
from apps.core import crypto
from apps.tenants.scoping import tenant_scope

KEY_A = "a" * 40
KEY_B = "b-second-key-0123456789abcdefghijklmnop"


def test_round_trip_and_the_ciphertext_hides_the_value(settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    token = crypto.encrypt_json({"bot_token": "s3cret-value"})

    assert "s3cret" not in token
    assert crypto.decrypt_json(token) == {"bot_token": "s3cret-value"}


def test_a_value_no_key_opens_fails_clearly(settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    token = crypto.encrypt_text("x")
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]

    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt_text(token)


def test_a_fernet_key_is_used_as_is(settings):
    key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [key]

    assert Fernet(key.encode()).decrypt(crypto.encrypt_text("v").encode()) == b"v"


@pytest.mark.parametrize(
    ("value", "masked"),
    [("123456:AAsecretvalue1234", "••••1234"), ("short", "••••"), ("", "••••")],
)
def test_mask_shows_at_most_the_last_four(value, masked):
    assert crypto.mask(value) == masked


def test_the_command_re_encrypts_every_credential_under_the_first_key(settings, tenant, capsys):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    with tenant_scope(tenant):
        channel = Channel(tenant=tenant, kind="telegram", provider="telegram", name="Bot")
        channel.credentials = {"bot_token": "tok-123456789"}
        channel.save()
    old = channel.credentials_encrypted

    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]  # new key first, old still decrypts
    call_command("channels_reencrypt")
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]  # the old key dropped

    with tenant_scope(tenant):
        channel.refresh_from_db()
    assert channel.credentials_encrypted != old
    assert channel.credentials == {"bot_token": "tok-123456789"}
    assert "1 channel" in capsys.readouterr().out
