"""JWT authentication that honours "log out everywhere" and password changes: an access token
issued before the user's `signed_out_at` is refused like an expired one."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import InvalidToken


class JWTAuthentication(authentication.JWTAuthentication):
    def get_user(self, validated_token):
        user = super().get_user(validated_token)
        signed_out_at = getattr(user, "signed_out_at", None)
        issued_at = validated_token.get("iat")
        # iat has whole seconds: tokens from earlier seconds are refused; one issued within
        # the very second of the sign-out passes (else a login right after it would fail).
        if signed_out_at is not None and (
            issued_at is None or issued_at < int(signed_out_at.timestamp())
        ):
            raise InvalidToken(_("Token is invalid or expired"))
        return user


class JWTScheme(SimpleJWTScheme):
    """The OpenAPI security scheme of our JWT class: the same `jwtAuth` as simplejwt's."""

    target_class = "apps.accounts.authentication.JWTAuthentication"
