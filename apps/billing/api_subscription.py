"""Billing API, subscription half: change plan (preview, confirm), pause / resume / cancel /
re-activate, drop a scheduled downgrade, billing history and billing details.

Writes need the admin role; analysts and operators may read (history, details)."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response

from apps.billing import selectors
from apps.billing.api import MoneySerializer, PaymentSerializer, PlanSerializer
from apps.billing.models import BillingAccount, BillingEvent, Plan
from apps.billing.plan_limits import plan_limits_get
from apps.billing.services import access_message, billing_account_ensure
from apps.billing.services import plan_changes as changes
from apps.billing.services import subscription_actions as actions
from apps.core.api import DefaultPagination, StrictFieldsMixin, error_responses, validated
from apps.core.errors import ValidationFailed
from apps.payments import gateways
from apps.tenants.api import TENANT_ID
from apps.tenants.api_base import TenantAPIView
from apps.tenants.api_key_auth import actor_of
from apps.tenants.roles import Role

WRITE_ADMIN = {**TenantAPIView.roles, "POST": Role.ADMIN, "PATCH": Role.ADMIN, "DELETE": Role.ADMIN}


# --- serializers ------------------------------------------------------------------------------


class SubscriptionStateSerializer(serializers.Serializer):
    """The subscription after an action."""

    plan = PlanSerializer(allow_null=True)
    status = serializers.CharField(allow_null=True)
    current_period_start = serializers.DateTimeField(allow_null=True)
    current_period_end = serializers.DateTimeField(allow_null=True)
    cancel_at_period_end = serializers.BooleanField()
    pending_plan = serializers.CharField(
        allow_null=True, help_text="Plan code scheduled from the next period (a downgrade)."
    )
    paused_at = serializers.DateTimeField(allow_null=True)
    access_state = serializers.ChoiceField(choices=["active", "read_only", "blocked"])
    read_only_until = serializers.DateTimeField(allow_null=True)
    access_message = serializers.CharField(allow_null=True)


def subscription_state(tenant) -> dict:
    subscription = selectors.subscription_current(tenant)
    ent = plan_limits_get(tenant)
    pending = subscription.pending_plan if subscription and subscription.pending_plan_id else None
    return {
        "plan": subscription.plan if subscription else None,
        "status": subscription.status if subscription else None,
        "current_period_start": subscription.current_period_start if subscription else None,
        "current_period_end": subscription.current_period_end if subscription else None,
        "cancel_at_period_end": bool(subscription and subscription.cancel_at_period_end),
        "pending_plan": pending.code if pending else None,
        "paused_at": subscription.paused_at if subscription else None,
        "access_state": ent.access_state,
        "read_only_until": ent.read_only_until,
        "access_message": None
        if ent.is_active
        else access_message(ent.access_state, ent.read_only_until),
    }


class PlanChangeRequestSerializer(StrictFieldsMixin, serializers.Serializer):
    plan = serializers.SlugField(help_text="Code of an `active` plan in the same currency.")
    confirm = serializers.BooleanField(
        default=False, help_text="false: preview only; true: apply the change."
    )
    expected_amount = serializers.IntegerField(
        required=False,
        min_value=0,
        help_text="With confirm: the previewed `amount` (minor units). A different fresh "
        "amount answers 409 `price_changed` with the new amount.",
    )
    proration_date = serializers.DateTimeField(
        required=False,
        help_text="With confirm: the preview's `proration_date` (at most 15 minutes old), so "
        "the change is priced at the previewed instant.",
    )

    def validate(self, data):
        if data["confirm"] and "expected_amount" not in data:
            raise serializers.ValidationError(
                {"expected_amount": [_("Repeat the previewed amount to confirm.")]}
            )
        return data


class PlanChangePreviewSerializer(serializers.Serializer):
    current_plan = serializers.CharField()
    plan = serializers.CharField()
    action = serializers.ChoiceField(choices=["upgrade", "downgrade"])
    effective = serializers.ChoiceField(
        choices=["now", "next_period"], help_text="When the new plan applies."
    )
    effective_at = serializers.DateTimeField()
    proration_date = serializers.DateTimeField(help_text="The instant the amount is priced at.")
    remaining_seconds = serializers.IntegerField()
    period_seconds = serializers.IntegerField()
    amount = MoneySerializer(
        help_text="Upgrade: (new - old price) × remaining / period, half-up. Immediate "
        "downgrade: the credit. Downgrade at the next period: 0."
    )
    credit_applied = MoneySerializer(help_text="Upgrade: paid from the credit balance.")
    charge = MoneySerializer(help_text="Upgrade: charged on the card.")
    credit_added = MoneySerializer(help_text="Immediate downgrade: added to the credit balance.")


class PlanChangeResultSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(
        choices=["upgraded", "downgraded", "downgrade_scheduled", "payment_required", "pending"],
        help_text="`payment_required`: no saved card, send the payer to `confirmation_url`.",
    )
    replayed = serializers.BooleanField()
    confirmation_url = serializers.CharField(allow_null=True)
    payment = PaymentSerializer(allow_null=True)
    subscription = SubscriptionStateSerializer()


class CancelRequestSerializer(StrictFieldsMixin, serializers.Serializer):
    at_period_end = serializers.BooleanField(
        default=True, help_text="true: end with the paid period; false: end now (no refund)."
    )


class BillingEventSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display")
    message = serializers.CharField(
        source="display_message", help_text="In the request's language (Accept-Language)."
    )
    amount = serializers.SerializerMethodField()
    actor = serializers.SerializerMethodField()

    class Meta:
        model = BillingEvent
        fields = ["id", "kind", "kind_display", "message", "amount", "data", "actor", "created_at"]

    @extend_schema_field(MoneySerializer(allow_null=True))
    def get_amount(self, event) -> dict | None:
        if event.amount is None:
            return None
        return {"amount": event.amount, "currency": event.currency}

    def get_actor(self, event) -> str | None:
        return event.actor.email if event.actor_id else None


class BillingAccountSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    rub_providers = serializers.SerializerMethodField(
        help_text="RUB providers that can be chosen here (the default first)."
    )
    rub_provider = serializers.CharField(
        required=False, allow_blank=True, help_text="Empty = the installation's default."
    )

    class Meta:
        model = BillingAccount
        fields = [
            "rub_provider",
            "rub_providers",
            "legal_name",
            "tax_id",
            "billing_address",
            "billing_email",
            "invoice_language",
        ]
        extra_kwargs = {
            "legal_name": {"required": False},
            "tax_id": {"required": False, "help_text": "INN (10/12 digits) or an EU VAT id."},
            "billing_address": {"required": False},
            "billing_email": {"required": False},
            "invoice_language": {"required": False},
        }

    def get_rub_providers(self, account) -> list[str]:
        return gateways.rub_providers()


# --- views ------------------------------------------------------------------------------------


def _plan(code: str) -> Plan:
    plan = Plan.objects.filter(code=code).first()
    if plan is None:
        raise ValidationFailed(
            _("Unknown plan."), code="plan_not_sold", fields={"plan": [_("Unknown plan.")]}
        )
    return plan


@extend_schema(tags=["billing"], parameters=[TENANT_ID])
class ChangePlanAPI(TenantAPIView):
    roles = WRITE_ADMIN

    @extend_schema(
        summary="Change plan (admin): preview (`confirm: false`) or apply (`confirm: true`)",
        description="Upgrades apply at once for a prorated charge (credit balance first, then "
        "the saved card; without one `payment_required` with the provider page). Downgrades "
        "apply at the next period, or at once with a prorated credit when the plan says so. "
        "Cross-currency changes, the trial and the plan held answer 409.",
        request=PlanChangeRequestSerializer,
        responses={
            200: PlanChangePreviewSerializer,
            201: PlanChangeResultSerializer,
            **error_responses(400, 401, 402, 403, 404, 409, 503),
        },
    )
    def post(self, request, tenant_id):
        serializer = PlanChangeRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        plan = _plan(data["plan"])
        if not data["confirm"]:
            preview = changes.plan_change_preview(self.tenant, plan)
            return Response(changes.preview_payload(preview))
        result = changes.plan_change_confirm(
            tenant=self.tenant,
            new_plan=plan,
            expected_amount=data["expected_amount"],
            proration_date=data.get("proration_date"),
            actor=actor_of(request.user),
            return_url=settings.SITE_URL
            + reverse("billing:overview", kwargs={"tenant_slug": self.tenant.slug}),
        )
        body = {
            "outcome": result.outcome,
            "replayed": result.replayed,
            "confirmation_url": result.confirmation_url,
            "payment": result.payment,
            "subscription": subscription_state(self.tenant),
        }
        return Response(PlanChangeResultSerializer(body).data, status=201)


class _ActionAPI(TenantAPIView):
    roles = WRITE_ADMIN

    def done(self):
        return Response(SubscriptionStateSerializer(subscription_state(self.tenant)).data)


_ACTION_ERRORS = error_responses(401, 403, 404, 409)


@extend_schema(tags=["billing"], parameters=[TENANT_ID])
class PauseAPI(_ActionAPI):
    @extend_schema(
        summary="Pause the subscription (admin): no renewal, the company becomes read-only",
        request=None,
        responses={200: SubscriptionStateSerializer, **_ACTION_ERRORS},
    )
    def post(self, request, tenant_id):
        actions.subscription_pause(tenant=self.tenant, actor=actor_of(request.user))
        return self.done()


@extend_schema(tags=["billing"], parameters=[TENANT_ID])
class ResumeAPI(_ActionAPI):
    @extend_schema(
        summary="Resume a paused subscription (admin); the period end moves by the pause",
        request=None,
        responses={200: SubscriptionStateSerializer, **_ACTION_ERRORS},
    )
    def post(self, request, tenant_id):
        actions.subscription_resume(tenant=self.tenant, actor=actor_of(request.user))
        return self.done()


@extend_schema(tags=["billing"], parameters=[TENANT_ID])
class CancelAPI(_ActionAPI):
    @extend_schema(
        summary="Cancel the subscription at the period end (default) or now (admin)",
        request=CancelRequestSerializer,
        responses={200: SubscriptionStateSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, tenant_id):
        data = validated(CancelRequestSerializer, request)
        actions.subscription_cancel(
            tenant=self.tenant,
            actor=actor_of(request.user),
            at_period_end=data["at_period_end"],
        )
        return self.done()


@extend_schema(tags=["billing"], parameters=[TENANT_ID])
class ReactivateAPI(_ActionAPI):
    @extend_schema(
        summary="Re-activate (admin): undo a scheduled cancel, or a cancel inside the period",
        request=None,
        responses={200: SubscriptionStateSerializer, **_ACTION_ERRORS},
    )
    def post(self, request, tenant_id):
        actions.subscription_reactivate(tenant=self.tenant, actor=actor_of(request.user))
        return self.done()


@extend_schema(tags=["billing"], parameters=[TENANT_ID])
class PendingChangeAPI(_ActionAPI):
    @extend_schema(
        summary="Drop the downgrade scheduled for the next period (admin)",
        responses={200: SubscriptionStateSerializer, **_ACTION_ERRORS},
    )
    def delete(self, request, tenant_id):
        actions.subscription_pending_change_cancel(tenant=self.tenant, actor=actor_of(request.user))
        return self.done()


@extend_schema(tags=["billing"], parameters=[TENANT_ID])
class HistoryAPI(TenantAPIView):
    pagination_class = DefaultPagination

    @extend_schema(
        summary="The company's billing history, newest first (any member; paginated)",
        responses={200: BillingEventSerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request, tenant_id):
        paginator = self.pagination_class()
        events = (
            BillingEvent.objects.for_tenant(self.tenant)
            .select_related("actor")
            .order_by("-created_at", "-pk")
        )
        page = paginator.paginate_queryset(events, request, view=self)
        return paginator.get_paginated_response(BillingEventSerializer(page, many=True).data)


@extend_schema(tags=["billing"], parameters=[TENANT_ID])
class BillingAccountAPI(TenantAPIView):
    roles = WRITE_ADMIN

    @extend_schema(
        summary="Billing details: RUB provider and the buyer on invoices (any member)",
        responses={200: BillingAccountSerializer, **error_responses(401, 404)},
    )
    def get(self, request, tenant_id):
        return Response(BillingAccountSerializer(billing_account_ensure(self.tenant)).data)

    @extend_schema(
        summary="Change billing details (admin); rub_provider: only configured providers",
        request=BillingAccountSerializer,
        responses={200: BillingAccountSerializer, **error_responses(400, 401, 403, 404)},
    )
    def patch(self, request, tenant_id):
        if not isinstance(request.data, dict):
            raise ValidationFailed(_("Send an object of billing details."))
        # unknown fields and values of the wrong type (a number, null, an object) → 400;
        # the service checks what the values mean
        BillingAccountSerializer().check_shape(request.data)
        account = actions.billing_account_update(
            tenant=self.tenant, actor=actor_of(request.user), **dict(request.data.items())
        )
        return Response(BillingAccountSerializer(account).data)
