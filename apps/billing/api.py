"""Billing API, plan/usage half: the public plan catalogue, a tenant's usage and subscription."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny, IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.mfa import api_request_passed_mfa, totp_enabled
from apps.billing import selectors, services
from apps.billing.models import Plan
from apps.billing.plan_limits import plan_limits_for_request
from apps.billing.plan_tools import plan_tools_sold
from apps.billing.services import access_message
from apps.core.api import ErrorSerializer, error_responses, validated
from apps.core.errors import ValidationFailed
from apps.payments.api import MoneySerializer
from apps.tenants.api import TENANT_ID
from apps.tenants.api_base import TenantAPIView
from apps.tenants.roles import Role


class PlanSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField(help_text="In the request's language (Accept-Language).")
    names = serializers.SerializerMethodField()
    description = serializers.CharField()
    price = serializers.SerializerMethodField()
    interval = serializers.CharField()
    trial_days = serializers.IntegerField()
    lead_limit = serializers.IntegerField(allow_null=True, help_text="null = unlimited.")
    limit_mode = serializers.ChoiceField(choices=["hard", "soft"])
    max_tenants = serializers.IntegerField(allow_null=True)
    max_members = serializers.IntegerField(allow_null=True)
    max_channels = serializers.IntegerField(allow_null=True)
    tools = serializers.SerializerMethodField(
        help_text="The tools the plan includes that exist today (tools still being built are "
        "not listed until their pages and endpoints ship)."
    )

    def get_names(self, plan) -> dict[str, str]:
        return {"ru": plan.name_ru, "en": plan.name_en}

    @extend_schema_field(MoneySerializer)
    def get_price(self, plan) -> dict:
        return {"amount": plan.price_amount, "currency": plan.currency}

    def get_tools(self, plan) -> list[str]:
        return sorted(key for key, _label in plan_tools_sold(plan.tools))


@extend_schema(tags=["billing"])
class PlanListAPI(ListAPIView):
    """The plans on sale, for the pricing page and integrators (no authentication)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    serializer_class = PlanSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.plan_list_public()

    @extend_schema(summary="Plans on sale (public)", responses={200: PlanSerializer(many=True)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class UsageSerializer(serializers.Serializer):
    period_start = serializers.DateTimeField()
    period_end = serializers.DateTimeField()
    days_left = serializers.IntegerField()
    used = serializers.IntegerField(help_text="Leads created this period (merges not counted).")
    limit = serializers.IntegerField(allow_null=True, help_text="null = unlimited.")
    remaining = serializers.IntegerField(allow_null=True)
    percent = serializers.IntegerField(allow_null=True)
    limit_mode = serializers.ChoiceField(choices=["hard", "soft"])
    level = serializers.ChoiceField(choices=["ok", "warning", "full", "over"])
    plan = serializers.CharField(source="plan_code", allow_null=True)


@extend_schema(tags=["billing"], parameters=[TENANT_ID])
class UsageAPI(TenantAPIView):
    @extend_schema(
        summary="This period's lead consumption against the plan's limit (any member)",
        responses={200: UsageSerializer, **error_responses(401, 404)},
    )
    def get(self, request, tenant_id):
        usage = selectors.usage_current(self.tenant, plan_limits_for_request(request))
        return Response(UsageSerializer(usage).data)


class SubscriptionSerializer(serializers.Serializer):
    plan = serializers.SerializerMethodField()
    status = serializers.CharField(allow_null=True)
    current_period_start = serializers.DateTimeField(allow_null=True)
    current_period_end = serializers.DateTimeField(allow_null=True)
    cancel_at_period_end = serializers.BooleanField()
    trial_ends_at = serializers.DateTimeField(allow_null=True)
    access_state = serializers.ChoiceField(choices=["active", "read_only", "blocked"])
    read_only_until = serializers.DateTimeField(allow_null=True)
    access_message = serializers.CharField(allow_null=True)

    def get_plan(self, data) -> dict | None:
        plan = data["plan"]
        if plan is None:
            return None
        return PlanSerializer(plan).data


@extend_schema(tags=["billing"], parameters=[TENANT_ID])
class SubscriptionAPI(TenantAPIView):
    @extend_schema(
        summary="The company's plan, subscription state and access state (any member)",
        responses={200: SubscriptionSerializer, **error_responses(401, 404)},
    )
    def get(self, request, tenant_id):
        ent = plan_limits_for_request(request)
        subscription = selectors.subscription_current(self.tenant)
        data = {
            "plan": subscription.plan if subscription else None,
            "status": subscription.status if subscription else None,
            "current_period_start": subscription.current_period_start if subscription else None,
            "current_period_end": subscription.current_period_end if subscription else None,
            "cancel_at_period_end": bool(subscription and subscription.cancel_at_period_end),
            "trial_ends_at": subscription.trial_ends_at if subscription else None,
            "access_state": ent.access_state,
            "read_only_until": ent.read_only_until,
            "access_message": None
            if ent.is_active
            else access_message(ent.access_state, ent.read_only_until),
        }
        return Response(SubscriptionSerializer(data).data)


# --- payments -----------------------------------------------------------------------------------


class PaymentCreateSerializer(serializers.Serializer):
    plan = serializers.SlugField(help_text="Plan code; only plans with status `active` are sold.")
    provider = serializers.ChoiceField(
        choices=["sandbox", "yookassa", "tinkoff", "stripe"],
        required=False,
        help_text="RUB provider; default: the installation's PAYMENTS_RUB_PROVIDER.",
    )


class PaymentSerializer(serializers.Serializer):
    payment_id = serializers.UUIDField(source="pk")
    plan = serializers.CharField(source="plan.code")
    amount = serializers.SerializerMethodField()
    provider = serializers.CharField()
    is_test = serializers.BooleanField()
    status = serializers.CharField()
    failure_reason = serializers.CharField()
    confirmation_url = serializers.CharField(
        allow_null=True, help_text="Send the payer here (provider page or sandbox test card)."
    )
    created_at = serializers.DateTimeField()

    @extend_schema_field(MoneySerializer)
    def get_amount(self, payment) -> dict:
        return {"amount": payment.amount, "currency": payment.currency}

    def to_representation(self, payment):
        data = super().to_representation(payment)
        data["confirmation_url"] = data["confirmation_url"] or None
        return data


@extend_schema(tags=["billing"], parameters=[TENANT_ID])
class PaymentListAPI(TenantAPIView):
    roles = {"GET": Role.ADMIN, "POST": Role.ADMIN}

    @extend_schema(
        summary="The company's payments, newest first (admin)",
        responses={200: PaymentSerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request, tenant_id):
        payments = selectors.payment_list(self.tenant)
        return Response(PaymentSerializer(payments, many=True).data)

    @extend_schema(
        summary="Start paying for a plan (admin): 201 with the confirmation URL",
        request=PaymentCreateSerializer,
        responses={201: PaymentSerializer, **error_responses(400, 401, 403, 404, 409, 503)},
    )
    def post(self, request, tenant_id):
        data = validated(PaymentCreateSerializer, request)
        plan = Plan.objects.filter(code=data["plan"]).first()
        if plan is None:
            raise ValidationFailed(
                _("Unknown plan."), code="plan_not_sold", fields={"plan": [_("Unknown plan.")]}
            )
        payment = services.payment_start(
            tenant=self.tenant,
            plan=plan,
            actor=request.user,
            provider=data.get("provider"),
            return_url=settings.SITE_URL
            + reverse("billing:overview", kwargs={"tenant_slug": self.tenant.slug}),
        )
        return Response(PaymentSerializer(payment).data, status=201)


# --- ops: recurring charges (staff only) ----------------------------------------------------


class StaffWithMFA(IsAdminUser):
    """Staff who proved a second factor (allauth.mfa TOTP), as the staff console requires
    (apps.accounts.middleware.StaffMFAMiddleware). The ops API takes a JWT: it must have been
    obtained with the one-time code (`POST /api/v1/auth/login` with `otp`: claim `amr`
    ["pwd", "otp"]); a session (were a view to take one) must have passed the second factor.
    Owning an authenticator app is not enough: a password-only token is refused. Both
    refusals are 403 `mfa_required`; anyone else is refused exactly as before (401 without a
    token, 403 `permission_denied` for non-staff)."""

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        if not totp_enabled(request.user):
            raise exceptions.PermissionDenied(
                _(
                    "The operations API needs two-factor authentication. Set up an "
                    "authenticator app for this staff account, then call it again."
                ),
                code="mfa_required",
            )
        if not api_request_passed_mfa(request):
            raise exceptions.PermissionDenied(
                _(
                    "The operations API needs two-factor authentication: sign in with the "
                    "one-time code from your authenticator app (POST /api/v1/auth/login with "
                    "`otp`) and call it with that token."
                ),
                code="mfa_required",
            )
        return True


OPS_ERRORS = {
    **error_responses(401),
    403: OpenApiResponse(
        ErrorSerializer,
        description="Not staff (`permission_denied`); or `mfa_required`: a staff account "
        "without an authenticator app (TOTP), or a token obtained without its one-time code.",
    ),
}
OPS_AUTH = (
    "Staff only, with a JWT obtained with two factors: `POST /api/v1/auth/login` with the "
    "password and `otp`, the current code of the account's authenticator app (TOTP); the "
    'tokens then carry `amr: ["pwd", "otp"]`, kept through refreshes. A staff account without '
    "an authenticator app, or a token from the password alone: 403 `mfa_required`."
)


class ChargeResultSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(
        choices=["charged", "declined", "pending", "replayed", "already_charged"]
    )
    subscription_id = serializers.IntegerField(source="payment.subscription_id")
    period_start = serializers.DateTimeField(source="payment.period_start")
    payment = PaymentSerializer()


@extend_schema(tags=["ops"])
class EligibleSubscriptionsAPI(APIView):
    """Subscriptions due for a renewal charge: active, plan active or closed, period over."""

    permission_classes = [StaffWithMFA]

    @extend_schema(
        summary="Subscriptions due for a charge (staff)",
        description=OPS_AUTH,
        responses={200: serializers.ListSerializer(child=serializers.IntegerField()), **OPS_ERRORS},
    )
    def get(self, request):
        ids = services.subscriptions_eligible().values_list("pk", flat=True)[:1000]
        return Response(list(ids))


@extend_schema(tags=["ops"])
class RetryDueSubscriptionsAPI(APIView):
    """Past-due subscriptions whose dunning retry is due (a declined renewal, retried 3 times
    3 days apart); the charge endpoint charges them with a new payment."""

    permission_classes = [StaffWithMFA]

    @extend_schema(
        summary="Subscriptions due for a dunning retry (staff)",
        description=OPS_AUTH,
        responses={200: serializers.ListSerializer(child=serializers.IntegerField()), **OPS_ERRORS},
    )
    def get(self, request):
        ids = services.subscriptions_retry_due().values_list("pk", flat=True)[:1000]
        return Response(list(ids))


@extend_schema(tags=["ops"])
class SubscriptionChargeAPI(APIView):
    """Charge one subscription for its next period (a due renewal or a due dunning retry).
    Idempotent by request id and by period."""

    permission_classes = [StaffWithMFA]

    @extend_schema(
        summary="Charge a due subscription (staff; idempotent)",
        description=OPS_AUTH,
        request=None,
        responses={200: ChargeResultSerializer, **OPS_ERRORS, **error_responses(404, 409)},
    )
    def post(self, request, subscription_id: int, request_id: str):
        if len(request_id) > 64:
            raise ValidationFailed(_("The request id is too long (64 characters at most)."))
        result = services.subscription_charge(
            subscription_id=subscription_id, request_id=request_id
        )
        return Response(ChargeResultSerializer(result).data)
