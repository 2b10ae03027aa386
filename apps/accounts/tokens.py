"""JWTs signed with the current key that also verify with retired keys for a grace period.

simplejwt signs and verifies with one key. A rotation (fastlead/secrets.py) keeps the old keys
in JWT_PREVIOUS_SIGNING_KEYS: a token whose signature fails with the current key is tried
with each old key while now < JWT_KEYS_ROTATED_AT + the refresh-token lifetime (the longest
any token signed before the rotation can live). New tokens are signed with the current key.
"""

from functools import cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import timezone
from rest_framework_simplejwt import settings as jwt_settings
from rest_framework_simplejwt import tokens
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenBackendExpiredToken


class KeyRingTokenBackend(TokenBackend):
    """Signs with the current key; verifies with it, then with the retired keys in grace."""

    def __init__(self, *, previous_keys: list[str], grace_until):
        api_settings = jwt_settings.api_settings  # re-read: a settings change replaces it
        super().__init__(
            api_settings.ALGORITHM,
            api_settings.SIGNING_KEY,
            api_settings.VERIFYING_KEY,
            api_settings.AUDIENCE,
            api_settings.ISSUER,
            api_settings.JWK_URL,
            api_settings.LEEWAY,
            api_settings.JSON_ENCODER,
        )
        self.retired = [self._retired_backend(key) for key in previous_keys]
        self.grace_until = grace_until

    def _retired_backend(self, key: str) -> TokenBackend:
        return TokenBackend(
            self.algorithm,
            key,
            audience=self.audience,
            issuer=self.issuer,
            leeway=self.leeway,
            json_encoder=self.json_encoder,
        )

    def decode(self, token, verify: bool = True):
        try:
            return super().decode(token, verify=verify)
        except TokenBackendExpiredToken:
            raise
        except TokenBackendError:
            if not verify or not self._in_grace():
                raise
            return self._decode_with_retired_keys(token)

    def _in_grace(self) -> bool:
        return (
            bool(self.retired)
            and self.grace_until is not None
            and timezone.now() < (self.grace_until)
        )

    def _decode_with_retired_keys(self, token):
        for backend in self.retired:
            try:
                return backend.decode(token)
            except TokenBackendExpiredToken:
                raise
            except TokenBackendError:
                continue
        raise TokenBackendError("Token is invalid")


@cache
def key_ring() -> KeyRingTokenBackend:
    rotated_at = settings.JWT_KEYS_ROTATED_AT
    lifetime = settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"]
    return KeyRingTokenBackend(
        previous_keys=settings.JWT_PREVIOUS_SIGNING_KEYS,
        grace_until=rotated_at + lifetime if rotated_at else None,
    )


@receiver(setting_changed, dispatch_uid="fastlead_jwt_key_ring")
def _forget_key_ring(*, setting, **kwargs):
    if setting in {"SIMPLE_JWT", "JWT_PREVIOUS_SIGNING_KEYS", "JWT_KEYS_ROTATED_AT"}:
        key_ring.cache_clear()


class AccessToken(tokens.AccessToken):
    def get_token_backend(self) -> TokenBackend:
        return key_ring()


class RefreshToken(tokens.RefreshToken):
    access_token_class = AccessToken

    def get_token_backend(self) -> TokenBackend:
        return key_ring()


# How the token's owner signed in (RFC 8176 `amr`): a password and a one-time code. Only a
# login with a valid code sets it; simplejwt copies it from the refresh token into every
# access token made from it and keeps it in the rotated refresh token.
AMR_CLAIM = "amr"
AMR_PASSWORD_AND_OTP = ["pwd", "otp"]


def tokens_for(user, *, otp: bool = False) -> RefreshToken:
    """A new refresh token (and, through it, access tokens) for `user`; `otp=True` when the
    login passed the one-time code of the user's authenticator app."""
    refresh = RefreshToken.for_user(user)
    if otp:
        refresh[AMR_CLAIM] = AMR_PASSWORD_AND_OTP
    return refresh


def token_passed_otp(token) -> bool:
    """The token was obtained with a one-time code."""
    amr = token.get(AMR_CLAIM)
    return isinstance(amr, list) and "otp" in amr
