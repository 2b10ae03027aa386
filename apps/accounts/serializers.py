"""Request and response shapes of the account API."""

from allauth.account.utils import has_verified_email
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.accounts.models import User
from apps.core.api import StrictFieldsMixin
from apps.tenants.selectors import memberships_for_user


class UserSerializer(serializers.ModelSerializer):
    email_verified = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "email", "name", "company", "email_verified"]
        read_only_fields = fields

    def get_email_verified(self, user: User) -> bool:
        return has_verified_email(user)


class MembershipSummarySerializer(serializers.Serializer):
    """One of the user's companies (a membership) and the user's role there."""

    id = serializers.UUIDField(source="tenant.id", help_text=_("Tenant id."))
    name = serializers.CharField(source="tenant.name")
    slug = serializers.CharField(source="tenant.slug")
    role = serializers.CharField()


class MeSerializer(UserSerializer):
    memberships = serializers.SerializerMethodField()

    class Meta(UserSerializer.Meta):
        fields = [*UserSerializer.Meta.fields, "language", "memberships"]
        read_only_fields = fields

    @extend_schema_field(MembershipSummarySerializer(many=True))
    def get_memberships(self, user: User) -> list[dict]:
        memberships = memberships_for_user(user).order_by("tenant__name", "pk")
        return MembershipSummarySerializer(memberships, many=True).data


class ProfileUpdateSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    # The model allows a blank language (none chosen yet); a client picks one of the two.
    language = serializers.ChoiceField(choices=User._meta.get_field("language").choices)

    class Meta:
        model = User
        fields = ["name", "company", "language"]


class RegisterSerializer(StrictFieldsMixin, serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, max_length=128, trim_whitespace=False)
    name = serializers.CharField(max_length=150)
    company = serializers.CharField(max_length=200)

    def validate(self, attrs: dict) -> dict:
        candidate = User(email=attrs["email"], name=attrs["name"], company=attrs["company"])
        try:
            password_validation.validate_password(attrs["password"], user=candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": list(exc.messages)}) from None
        return attrs


class LoginSerializer(StrictFieldsMixin, serializers.Serializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(write_only=True, max_length=128, trim_whitespace=False)
    otp = serializers.CharField(
        required=False,
        write_only=True,
        max_length=16,
        help_text=_(
            "The current code of the account's authenticator app (TOTP), if it has one. "
            "A valid code marks the tokens as obtained with two factors (claim `amr`: "
            '["pwd", "otp"], kept through refreshes), which the staff operations API '
            "requires. Without it the tokens are issued as before, from the password alone."
        ),
    )


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField(help_text=_("JWT access token (15 minutes)."))
    refresh = serializers.CharField(help_text=_("JWT refresh token (7 days, single use)."))


class AuthResponseSerializer(TokenPairSerializer):
    user = UserSerializer()


class RefreshSerializer(StrictFieldsMixin, serializers.Serializer):
    refresh = serializers.CharField()


class ConfirmEmailSerializer(StrictFieldsMixin, serializers.Serializer):
    key = serializers.CharField(max_length=200, help_text=_("The key from the e-mailed link."))


class ConfirmEmailResponseSerializer(serializers.Serializer):
    email_verified = serializers.BooleanField()


class AcceptedSerializer(serializers.Serializer):
    detail = serializers.CharField()


class SignOutEverywhereSerializer(serializers.Serializer):
    tokens_revoked = serializers.IntegerField(help_text="Refresh tokens revoked by this call.")
