"""Shapes of the enrichment API: what a start accepts and answers, a run and its items."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.billing.api import MoneySerializer
from apps.core.api import StrictFieldsMixin, id_field
from apps.enrichment.selectors import RunCharge, item_outcome, run_charge
from apps.enrichment.services import MAX_LEADS


class EnrichStartSerializer(StrictFieldsMixin, serializers.Serializer):
    force = serializers.BooleanField(
        default=False, help_text=_("Re-enrich leads whose data did not change.")
    )


class EnrichBatchSerializer(EnrichStartSerializer):
    lead_ids = serializers.ListField(
        child=id_field(),
        required=False,
        allow_empty=False,
        max_length=MAX_LEADS,
    )
    filter = serializers.DictField(required=False, help_text=_("Lead list filters, as in GET."))

    def validate(self, attrs):
        if ("lead_ids" in attrs) == ("filter" in attrs):
            raise serializers.ValidationError(_("Give either lead_ids or filter."))
        return attrs


class RunStartedSerializer(serializers.Serializer):
    run_id = serializers.UUIDField()
    status = serializers.CharField(help_text="running, or done when there was nothing to enrich")
    leads_selected = serializers.IntegerField()
    leads_billable = serializers.IntegerField(help_text=_("Leads that will be enriched (paid)."))
    leads_skipped = serializers.IntegerField()
    price = MoneySerializer()
    billing_reference = serializers.CharField()
    offline = serializers.BooleanField(help_text=_("No AI key: the offline heuristic is used."))
    status_url = serializers.URLField()


class ProgressSerializer(serializers.Serializer):
    selected = serializers.IntegerField()
    billable = serializers.IntegerField()
    enriched = serializers.IntegerField(
        help_text=_("Leads where at least one new field was determined (paid for).")
    )
    nothing_found = serializers.IntegerField(
        help_text=_("Leads answered with nothing new (free: given back at settle).")
    )
    failed = serializers.IntegerField()
    skipped = serializers.IntegerField()
    done = serializers.IntegerField()
    percent = serializers.IntegerField()


class ItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    lead_id = serializers.IntegerField(
        allow_null=True, help_text=_("Null if the lead was deleted.")
    )
    status = serializers.CharField(
        help_text="pending, running, enriched, nothing_found, failed or skipped"
    )
    failure_reason = serializers.CharField()
    billable = serializers.BooleanField()
    fields = serializers.DictField(
        child=serializers.CharField(allow_null=True),
        help_text=_("The answer by lead field; null means “not determined”."),
    )
    not_determined = serializers.ListField(child=serializers.CharField())
    applied_fields = serializers.ListField(
        child=serializers.CharField(), help_text=_("Fields written to the lead.")
    )
    new_fields = serializers.ListField(
        child=serializers.CharField(), help_text=_("Fields determined anew (what is paid for).")
    )
    kept_fields = serializers.ListField(
        child=serializers.CharField(), help_text=_("Fields the lead already had, kept as is.")
    )
    model_version = serializers.CharField()
    input_tokens = serializers.IntegerField()
    output_tokens = serializers.IntegerField()
    cost = serializers.DecimalField(max_digits=12, decimal_places=6, help_text="USD")
    attempts = serializers.IntegerField()
    finished_at = serializers.DateTimeField(allow_null=True)


class LeadItemSerializer(ItemSerializer):
    run_id = serializers.UUIDField()


class ItemPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ItemSerializer(many=True)


class RunChargeSerializer(serializers.Serializer):
    free = serializers.BooleanField(help_text=_("Offline heuristic or included: no charge."))
    reserved = serializers.IntegerField(help_text=_("Authorized up front, minor units."))
    charged = serializers.IntegerField(help_text=_("What the run costs after settling."))
    given_back = serializers.IntegerField()
    currency = serializers.CharField()
    payment_url = serializers.CharField(help_text=_("The provider's confirmation page, or empty."))


class RequesterSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.EmailField()


class RunSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField(help_text="pending, declined, running or done")
    failure_reason = serializers.CharField()
    scope = serializers.DictField()
    force = serializers.BooleanField()
    offline = serializers.BooleanField()
    requested_by = RequesterSerializer(allow_null=True)
    progress = ProgressSerializer()
    price = MoneySerializer()
    charge = RunChargeSerializer()
    billing_reference = serializers.CharField()
    input_tokens = serializers.IntegerField()
    output_tokens = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


class RunDetailSerializer(RunSerializer):
    items = ItemPageSerializer()


def _when(value):
    return serializers.DateTimeField().to_representation(value) if value else None


def run_data(run) -> dict:
    user = run.requested_by
    scope = dict(run.scope or {})
    if "lead_ids" in scope and len(scope["lead_ids"]) > 100:
        scope["lead_ids"] = {"count": len(scope["lead_ids"])}
    scope.pop("idempotency_key", None)
    return {
        "id": str(run.pk),
        "status": run.status,
        "failure_reason": run.failure_reason,
        "scope": scope,
        "force": run.force,
        "offline": run.offline,
        "requested_by": None
        if user is None
        else {"id": user.pk, "name": getattr(user, "name", ""), "email": user.email},
        "progress": {
            "selected": run.leads_selected,
            "billable": run.leads_billable,
            "enriched": run.leads_enriched,
            "nothing_found": run.leads_nothing_found,
            "failed": run.leads_failed,
            "skipped": run.leads_skipped,
            "done": run.leads_done,
            "percent": run.progress_percent,
        },
        "price": {"amount": run.price_amount, "currency": run.price_currency},
        "charge": _charge_data(run_charge(run)),
        "billing_reference": run.billing_reference,
        "input_tokens": run.input_tokens,
        "output_tokens": run.output_tokens,
        "created_at": _when(run.created_at),
        "started_at": _when(run.started_at),
        "finished_at": _when(run.finished_at),
    }


def _charge_data(charge: RunCharge) -> dict:
    return {
        "free": charge.free,
        "reserved": charge.reserved,
        "charged": charge.charged,
        "given_back": charge.given_back,
        "currency": charge.currency,
        "payment_url": charge.payment_url,
    }


def item_data(item) -> dict:
    fields = item.fields or {}
    outcome = item_outcome(item)
    return {
        "id": item.pk,
        "lead_id": item.lead_id,
        "status": item.status,
        "failure_reason": item.failure_reason,
        "billable": item.billable,
        "fields": fields,
        "not_determined": outcome.not_determined,
        "applied_fields": list(item.applied_fields or []),
        "new_fields": [name for name, _value in outcome.new],
        "kept_fields": outcome.kept,
        "model_version": item.model_version,
        "input_tokens": item.input_tokens,
        "output_tokens": item.output_tokens,
        "cost": f"{item.cost:.6f}",
        "attempts": item.attempts,
        "finished_at": _when(item.finished_at),
    }
