"""Account API: registration, e-mail confirmation, JWT login and refresh, the profile."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.views import TokenRefreshView

from apps.accounts import services
from apps.accounts.models import User
from apps.accounts.serializers import (
    AcceptedSerializer,
    AuthResponseSerializer,
    ConfirmEmailResponseSerializer,
    ConfirmEmailSerializer,
    LoginSerializer,
    MeSerializer,
    ProfileUpdateSerializer,
    RefreshSerializer,
    RegisterSerializer,
    SignOutEverywhereSerializer,
    TokenPairSerializer,
    UserSerializer,
)
from apps.accounts.tokens import RefreshToken, tokens_for
from apps.core.api import error_responses
from apps.core.throttling import ClientIPIdentMixin, LimiterThrottleMixin

AUTH_TAG = ["auth"]


class AuthAttemptThrottle(ClientIPIdentMixin, LimiterThrottleMixin, SimpleRateThrottle):
    """Per-IP ceiling on login and registration attempts, on top of the per-user limit."""

    scope = "auth"
    default_rate = "20/minute"

    def get_rate(self) -> str:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope) or self.default_rate

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


PUBLIC_THROTTLES = [*api_settings.DEFAULT_THROTTLE_CLASSES, AuthAttemptThrottle]


def _tokens_response(user: User, status_code: int, *, otp: bool = False) -> Response:
    refresh = tokens_for(user, otp=otp)
    body = {
        "user": UserSerializer(user).data,
        "access": str(refresh.access_token),
        "refresh": str(refresh),
    }
    return Response(body, status=status_code)


class PublicAuthAPIView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = PUBLIC_THROTTLES


class RegisterAPI(PublicAuthAPIView):
    @extend_schema(
        tags=AUTH_TAG,
        auth=[],
        summary="Register a new account",
        description="Creates the account with an unverified e-mail and mails a confirmation "
        "link. Returns JWT tokens. Once the address is confirmed, the company named in "
        "`company` is created with the user as its administrator, on the 14-day trial (it "
        "then appears in `GET /me`'s memberships). An e-mail already in use answers 409 "
        "`email_taken`.",
        request=RegisterSerializer,
        responses={201: AuthResponseSerializer, **error_responses(400, 409, 429)},
    )
    def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_register(request=request._request, **serializer.validated_data)
        return _tokens_response(user, status.HTTP_201_CREATED)


class LoginAPI(PublicAuthAPIView):
    @extend_schema(
        tags=AUTH_TAG,
        auth=[],
        summary="Log in with e-mail and password",
        description="Failed attempts are limited per account and IP (shared with the web "
        "login): 429 `too_many_login_attempts`. An unconfirmed e-mail answers 403 "
        "`email_not_verified`; bad credentials 401 `invalid_credentials`.\n\n"
        "Two factors: send `otp`, the current code of the account's authenticator app "
        '(TOTP), with the password. A valid code puts `amr: ["pwd", "otp"]` (RFC 8176) '
        "into the access and refresh tokens, and refreshed tokens keep it; the staff "
        "operations API (`/api/v1/ops/`) accepts only such tokens. A wrong code answers 401 "
        "`invalid_otp` (no tokens; it counts as a failed login), a code for an account "
        "without an authenticator app 400 `mfa_not_enabled`. Without `otp` the tokens carry "
        "no `amr`, as before.",
        request=LoginSerializer,
        responses={200: AuthResponseSerializer, **error_responses(400, 401, 403, 429)},
    )
    def post(self, request):
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_authenticate(request=request._request, **serializer.validated_data)
        otp = "otp" in serializer.validated_data  # user_authenticate checked it
        return _tokens_response(user, status.HTTP_200_OK, otp=otp)


class _RefreshSerializer(TokenRefreshSerializer):
    token_class = RefreshToken

    def validate(self, attrs):
        try:
            return super().validate(attrs)
        except User.DoesNotExist:  # the account was deleted after the token was issued
            raise InvalidToken(_("Token is invalid or expired")) from None


class RefreshAPI(TokenRefreshView):
    serializer_class = _RefreshSerializer

    @extend_schema(
        tags=AUTH_TAG,
        auth=[],
        summary="Rotate a refresh token",
        description="Returns a new access and refresh token; the old refresh token is "
        "blacklisted, so reusing it answers 401 `token_not_valid`.",
        request=RefreshSerializer,
        responses={200: TokenPairSerializer, **error_responses(400, 401)},
    )
    def post(self, request, *args, **kwargs):
        RefreshSerializer(data=request.data).is_valid(raise_exception=True)
        return super().post(request, *args, **kwargs)


class ConfirmEmailAPI(PublicAuthAPIView):
    @extend_schema(
        tags=AUTH_TAG,
        auth=[],
        summary="Confirm an e-mail address",
        description="`key` is the last part of the confirmation link from the e-mail.",
        request=ConfirmEmailSerializer,
        responses={200: ConfirmEmailResponseSerializer, **error_responses(400, 404)},
    )
    def post(self, request):
        serializer = ConfirmEmailSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.email_confirm(request=request._request, key=serializer.validated_data["key"])
        return Response({"email_verified": True})


class ResendConfirmationAPI(APIView):
    @extend_schema(
        tags=AUTH_TAG,
        summary="Send the e-mail confirmation link again",
        request=None,
        responses={202: AcceptedSerializer, **error_responses(401, 409)},
    )
    def post(self, request):
        services.email_confirmation_resend(request=request._request, user=request.user)
        return Response(
            {"detail": _("If allowed, a new confirmation link is on its way.")},
            status=status.HTTP_202_ACCEPTED,
        )


class MeAPI(APIView):
    @extend_schema(
        tags=["me"],
        summary="The current user and their companies",
        responses={200: MeSerializer, **error_responses(401)},
    )
    def get(self, request):
        return Response(MeSerializer(request.user).data)

    @extend_schema(
        tags=["me"],
        summary="Change name, company or interface language",
        request=ProfileUpdateSerializer,
        responses={200: MeSerializer, **error_responses(400, 401)},
    )
    def patch(self, request):
        serializer = ProfileUpdateSerializer(request.user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = services.user_update_profile(user=request.user, **serializer.validated_data)
        return Response(MeSerializer(user).data)


class SignOutEverywhereAPI(APIView):
    @extend_schema(
        tags=AUTH_TAG,
        summary="Log out everywhere",
        description="Revokes every refresh token of the current user and refuses every "
        "access token issued before now; other web sessions end too. Log in again to get "
        "new tokens.",
        request=None,
        responses={200: SignOutEverywhereSerializer, **error_responses(401)},
    )
    def post(self, request):
        revoked = services.user_sign_out_everywhere(user=request.user)
        return Response({"tokens_revoked": revoked})
