"""The staff console of upsell radar: the approval queue across tenants.

The changelist opens on the cases awaiting approval (filters: tenant, score, product, age);
a case's page shows the ticket, score, rationale and evidence, with the drafted e-mail and
call script editable, and "Approve" / "Reject" buttons (a reason is required to reject).
Bulk approval is an action. Who decided, and when, is recorded on the case and its history.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.defaultfilters import linebreaksbr
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from apps.core.errors import ApplicationError
from apps.tenants.scoping import tenant_scope
from apps.upsell.models import (
    CaseStatus,
    CaseTransition,
    CatalogueItem,
    Classification,
    DraftSource,
    Ticket,
    UpsellCase,
    UpsellSettings,
)
from apps.upsell.services.decisions import case_approve, case_edit, case_reject
from apps.upsell.services.won import case_mark_won


class ScoreFilter(admin.SimpleListFilter):
    title = _("score")
    parameter_name = "score"

    def lookups(self, request, model_admin):
        return [("0.9", "≥ 0.9"), ("0.8", "0.8–0.9"), ("0.7", "0.7–0.8"), ("low", "< 0.7")]

    def queryset(self, request, queryset):
        ranges = {"0.9": (0.9, 1.01), "0.8": (0.8, 0.9), "0.7": (0.7, 0.8), "low": (0, 0.7)}
        if self.value() in ranges:
            low, high = ranges[self.value()]
            return queryset.filter(score__gte=low, score__lt=high)
        return queryset


class ProductFilter(admin.SimpleListFilter):
    title = _("product")
    parameter_name = "product"

    def lookups(self, request, model_admin):
        products = (
            UpsellCase.objects.unscoped().order_by("product").values_list("product", flat=True)
        )
        return [(p, p or _("(none)")) for p in dict.fromkeys(products)][:50]

    def queryset(self, request, queryset):
        if self.value() is not None:
            return queryset.filter(product=self.value())
        return queryset


class AgeFilter(admin.SimpleListFilter):
    title = _("age")
    parameter_name = "age"

    def lookups(self, request, model_admin):
        return [("1", _("under a day")), ("7", _("under a week")), ("old", _("a week or older"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() in ("1", "7"):
            return queryset.filter(created_at__gte=now - timedelta(days=int(self.value())))
        if self.value() == "old":
            return queryset.filter(created_at__lt=now - timedelta(days=7))
        return queryset


@admin.action(description=_("Approve the selected cases (drafts as they are)"))
def approve_selected(modeladmin, request, queryset):
    approved = 0
    for case in queryset.filter(status=CaseStatus.AWAITING_APPROVAL).select_related("tenant"):
        try:
            with transaction.atomic():
                case_approve(case, actor=request.user, via="admin")
            approved += 1
        except ApplicationError as error:
            messages.error(request, f"#{case.pk}: {error.message}")
    messages.success(request, _("Approved: %(n)s.") % {"n": approved})


@admin.action(description=_("Mark the selected cases won (the lead becomes won)"))
def mark_won(modeladmin, request, queryset):
    won = 0
    for case in queryset.filter(status__in=[CaseStatus.DONE, CaseStatus.FAILED]).select_related(
        "tenant"
    ):
        with transaction.atomic(), tenant_scope(case.tenant):
            case_mark_won(case, actor=request.user)
        won += 1
    messages.success(request, _("Won: %(n)s.") % {"n": won})


@admin.register(UpsellCase)
class UpsellCaseAdmin(admin.ModelAdmin):
    change_form_template = "admin/upsell/upsellcase/change_form.html"
    list_display = (
        "id", "tenant", "status", "score", "product", "tier", "ticket", "created_at",
        "email_state", "call_state", "decided_via", "decided_by",
    )  # fmt: skip
    list_filter = ("status", "tenant", ScoreFilter, ProductFilter, AgeFilter)
    list_select_related = ("tenant", "ticket", "decided_by")
    search_fields = ("tenant__name", "product", "ticket__external_id")
    actions = [approve_selected, mark_won]
    fields = (
        "tenant", "status", "score", "product", "tier", "ticket_text", "rationale", "evidence",
        "classified_by", "drafted_by", "lead", "email_subject", "email_body", "call_script",
        "reject_reason", "decided_by", "decided_at", "decided_via", "email_state", "email_detail",
        "call_state", "call_detail", "call_summary", "call_transcript", "won_amount",
        "won_currency", "history_table",
    )  # fmt: skip
    readonly_fields = (
        "tenant", "status", "score", "product", "tier", "ticket_text", "rationale", "evidence",
        "classified_by", "drafted_by", "lead", "decided_by", "decided_at", "decided_via",
        "email_state", "email_detail", "call_state", "call_detail", "call_summary",
        "call_transcript", "won_amount", "won_currency",
        "history_table",
    )  # fmt: skip

    def get_queryset(self, request):
        return UpsellCase.objects.unscoped().select_related(
            "tenant", "ticket", "classification", "decided_by"
        )

    def changelist_view(self, request, extra_context=None):
        # The console opens on the queue: cases awaiting approval.
        if not request.GET and request.method == "GET":
            request.GET = request.GET.copy()
            request.GET["status__exact"] = CaseStatus.AWAITING_APPROVAL
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("ticket"))
    def ticket_text(self, case):
        return format_html(
            "<strong>{}</strong><br>{}", case.ticket.subject, linebreaksbr(case.ticket.body),
        )  # fmt: skip

    @admin.display(description=_("rationale"))
    def rationale(self, case):
        return case.classification.rationale

    @admin.display(description=_("evidence"))
    def evidence(self, case):
        quotes = case.classification.evidence_quotes or []
        return format_html_join("", "<blockquote>“{}”</blockquote>", ((q,) for q in quotes))

    @admin.display(description=_("history"))
    def history_table(self, case):
        rows = CaseTransition.objects.unscoped().filter(case=case).order_by("created_at", "id")
        return format_html(
            "<ol>{}</ol>",
            format_html_join(
                "",
                "<li>{} · {} → <strong>{}</strong> · {} · {}</li>",
                (
                    (r.created_at.strftime("%Y-%m-%d %H:%M"), r.from_status or "—", r.to_status,
                     r.actor_label, r.reason)
                    for r in rows
                ),
            ),
        )  # fmt: skip

    @admin.display(description=_("classified by"))
    def classified_by(self, case):
        cls = case.classification
        if cls.offline:
            return _("offline keyword heuristic (no AI)")
        return f"{cls.model} · {cls.input_tokens}+{cls.output_tokens} tokens · ${cls.cost}"

    @admin.display(description=_("drafted by"))
    def drafted_by(self, case):
        if case.draft_source != DraftSource.AI:
            reason = f" ({case.draft_error})" if case.draft_error else ""
            return _("fixed template (no AI)") + reason
        return (
            f"{case.draft_model} · {case.draft_input_tokens}+{case.draft_output_tokens} tokens"
            f" · ${case.draft_cost}"
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != CaseStatus.AWAITING_APPROVAL:
            return (*self.readonly_fields, "email_subject", "email_body", "call_script",
                    "reject_reason")  # fmt: skip
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        """Drafts change only through the services; the status only through a decision."""
        if obj.status != CaseStatus.AWAITING_APPROVAL:
            return
        drafts = {k: form.cleaned_data[k] for k in ("email_subject", "email_body", "call_script")}
        if "_approve" in request.POST:
            case_approve(obj, actor=request.user, via="admin", **drafts)
        elif "_reject" in request.POST:
            case_edit(obj, **drafts)
            case_reject(
                obj, actor=request.user, via="admin", reason=form.cleaned_data["reject_reason"]
            )
        else:
            case_edit(obj, **drafts)

    def save_related(self, request, form, formsets, change):
        """The history is written by the services only."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as error:
            messages.error(request, error.message)
            return HttpResponseRedirect(request.path)

    def response_change(self, request, obj):
        if "_approve" in request.POST:
            messages.success(request, _("Approved: the e-mail and the call are on their way."))
        return super().response_change(request, obj)


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("received_at", "tenant", "source", "external_id", "subject",
                    "classification_status")  # fmt: skip
    list_filter = ("source", "classification_status")
    search_fields = ("tenant__name", "external_id", "subject")
    readonly_fields = [f.name for f in Ticket._meta.fields]

    def get_queryset(self, request):
        return Ticket.objects.unscoped().select_related("tenant")

    def has_add_permission(self, request):
        return False


@admin.register(Classification)
class ClassificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "tenant", "ticket", "score", "upsell_signal",
                    "recommended_product", "model", "offline", "cost")  # fmt: skip
    list_filter = ("offline", "upsell_signal")
    readonly_fields = [f.name for f in Classification._meta.fields]

    def get_queryset(self, request):
        return Classification.objects.unscoped().select_related("tenant", "ticket")

    def has_add_permission(self, request):
        return False


@admin.register(CatalogueItem)
class CatalogueItemAdmin(admin.ModelAdmin):
    list_display = ("tenant", "product", "tier", "price_amount", "currency", "active")
    search_fields = ("tenant__name", "product")

    def get_queryset(self, request):
        return CatalogueItem.objects.unscoped().select_related("tenant")


@admin.register(UpsellSettings)
class UpsellSettingsAdmin(admin.ModelAdmin):
    list_display = ("tenant", "threshold", "auto_approve_threshold", "secret_created_at")
    exclude = ("webhook_secret_encrypted",)
    readonly_fields = ("tenant", "webhook_token", "secret_created_at")

    def get_queryset(self, request):
        return UpsellSettings.objects.unscoped().select_related("tenant")

    def has_add_permission(self, request):
        return False
