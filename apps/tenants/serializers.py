"""Request and response shapes of the tenant and team API."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.core.api import StrictFieldsMixin
from apps.tenants.roles import Role


class TenantSerializer(serializers.Serializer):
    """A tenant as one of its members sees it, with the caller's role (read from a membership)."""

    id = serializers.UUIDField(source="tenant.id")
    name = serializers.CharField(source="tenant.name")
    slug = serializers.CharField(source="tenant.slug")
    site_domain = serializers.CharField(source="tenant.site_domain")
    allowed_origins = serializers.ListField(
        source="tenant.allowed_origins", child=serializers.CharField()
    )
    created_at = serializers.DateTimeField(source="tenant.created_at")
    role = serializers.ChoiceField(choices=Role.choices, help_text=_("The caller's role."))


# scheme://host[:port] and nothing after it (apps.tenants.services.normalize_origins)
ORIGIN_PATTERN = r"^https?://[^/?#\s:@\[\]]+(:[0-9]{1,5})?/?$"


class TenantCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    name = serializers.CharField(max_length=200)
    site_domain = serializers.CharField(max_length=253, required=False, allow_blank=True)
    allowed_origins = serializers.ListField(
        child=serializers.RegexField(ORIGIN_PATTERN, max_length=300, trim_whitespace=False),
        required=False,
        max_length=50,
        help_text=_("Origins such as https://example.com allowed to call the widget API."),
    )


class TenantUpdateSerializer(TenantCreateSerializer):
    name = serializers.CharField(max_length=200, required=False)


class MemberSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    email = serializers.EmailField(source="user.email")
    name = serializers.CharField(source="user.name")
    role = serializers.ChoiceField(choices=Role.choices)
    joined = serializers.DateTimeField(source="created_at")


class InvitationSerializer(serializers.Serializer):
    """A pending invitation; the secret token is never returned."""

    id = serializers.IntegerField()
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=Role.choices)
    expires_at = serializers.DateTimeField()
    is_expired = serializers.BooleanField()
    invited_by = serializers.IntegerField(source="invited_by_id", allow_null=True)
    created_at = serializers.DateTimeField()


class TeamSerializer(serializers.Serializer):
    members = MemberSerializer(many=True)
    invitations = InvitationSerializer(many=True)


class InvitationCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=Role.choices)


class RoleChangeSerializer(StrictFieldsMixin, serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


class InvitationAcceptSerializer(StrictFieldsMixin, serializers.Serializer):
    token = serializers.CharField(max_length=200)
