"""Dashboard pages of the follow-up rules: the list and packs, the rule editor with a live
"would this match?" test and a real test event on a lead, templates with a preview, and the
lead page's "why was this sent" card."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.core.errors import ApplicationError, ObjectNotFound
from apps.features.guards import feature_enabled, feature_required
from apps.leads.models import Lead
from apps.messaging.rules import engine, selectors, services
from apps.messaging.rules.authoring import RULE_FIELDS, rule_save, template_save, version_data
from apps.messaging.rules.forms import (
    FIELD_SUGGESTIONS,
    ConditionFormSet,
    RuleForm,
    TemplateForm,
    TryForm,
    built_conditions,
    condition_rows,
)
from apps.messaging.rules.models import EventSource
from apps.messaging.rules.packs import PACKS, pack_install
from apps.messaging.rules.reasons import failure_text, reason_text
from apps.messaging.rules.templating import MissingVariable, render_template
from apps.tenants.dashboard import dashboard_view
from apps.tenants.roles import Role

TOOL = "messaging_rules"
EDITOR = Role.OPERATOR


@dashboard_view(EDITOR)
@feature_required(TOOL)
def rule_index(request, tenant_slug):
    rules = list(selectors.rule_list(request.tenant))
    installed = {rule.pack for rule in rules}
    packs = [{"pack": pack, "installed": key in installed} for key, pack in PACKS.items()]
    return render(request, "messaging_rules/index.html", {"rules": rules, "packs": packs})


@require_POST
@dashboard_view(EDITOR)
@feature_required(TOOL)
def pack_install_view(request, tenant_slug, pack_key):
    if pack_key not in PACKS:
        raise ObjectNotFound
    pack_install(tenant=request.tenant, key=pack_key, actor=request.user)
    return redirect("messaging_rules:index", tenant_slug=tenant_slug)


@require_POST
@dashboard_view(EDITOR)
@feature_required(TOOL)
def rule_toggle(request, tenant_slug, rule_id):
    rule = selectors.rule_get(request.tenant, rule_id)
    rule.enabled = not rule.enabled
    rule.save(update_fields=["enabled", "updated_at"])
    return redirect("messaging_rules:index", tenant_slug=tenant_slug)


def _initial(rule) -> dict:
    if rule is None:
        return {"priority": 100, "delay_minutes": 0, "action": "send"}
    return {**{f: getattr(rule, f) for f in (*RULE_FIELDS, "code")}, **version_data(rule.current)}


def _forms(request, rule, templates) -> tuple[RuleForm, ConditionFormSet, bool]:
    """The rule form and its condition rows; False: the stored conditions nest groups and
    are edited as JSON."""
    initial = _initial(rule)
    built = condition_rows(rule.current.conditions) if rule else ("all", [])
    if built is None:
        initial["conditions_json"] = True
    else:
        initial["match"] = built[0]
    data = request.POST or None
    form = RuleForm(data, initial=initial, templates=templates)
    formset = ConditionFormSet(data, prefix="cond", initial=built[1] if built else [])
    return form, formset, built is not None


def _submitted(form, formset) -> dict | None:
    """The conditions sent (from the rows or the JSON box); None: the rows have errors."""
    if form.cleaned_data.get("conditions_json"):
        return form.cleaned_data.get("conditions") or {}
    if not formset.is_valid():
        return None
    return built_conditions(form.cleaned_data.get("match") or "all", formset)


@dashboard_view(EDITOR)
@feature_required(TOOL)
def rule_edit(request, tenant_slug, rule_id=None):
    tenant = request.tenant
    rule = selectors.rule_get(tenant, rule_id) if rule_id else None
    form, formset, rows_fit = _forms(request, rule, selectors.template_list(tenant))
    invalid = False
    if request.method == "POST":
        form_ok = form.is_valid()
        conditions = _submitted(form, formset) if form_ok else None
        invalid = conditions is None or not form_ok
        if not invalid:
            data = dict(form.cleaned_data)
            data.pop("conditions_json"), data.pop("match")
            data["conditions"], data["once_per"] = conditions, data["once_per"] or ""
            try:
                rule = rule_save(tenant=tenant, actor=request.user, rule=rule, **data)
            except ApplicationError as error:
                form.place_errors(error.fields or {"__all__": [error.message]})
                invalid = True
            else:
                return redirect("messaging_rules:edit", tenant_slug=tenant_slug, rule_id=rule.pk)
        formset.is_valid()  # every row shows its own errors
    context = {
        "form": form,
        "formset": formset,
        "rows_fit": rows_fit,
        "field_suggestions": FIELD_SUGGESTIONS,
        "rule": rule,
        "versions": selectors.rule_versions(rule)[:20] if rule else [],
        "try_form": TryForm(initial={"hours_ago": 0}),
    }
    return render(request, "messaging_rules/edit.html", context, status=400 if invalid else 200)


@require_POST
@dashboard_view(EDITOR)
@feature_required(TOOL)
def rule_try(request, tenant_slug):
    """HTMX: the sample event against the conditions in the form (nothing stored), or, with
    `run` on a saved rule, a real test event for the lead: it goes through the limits and the
    outbox like any event."""
    tenant = request.tenant
    form = TryForm(request.POST)
    rule_form = RuleForm(request.POST, templates=selectors.template_list(tenant))
    formset = ConditionFormSet(request.POST, prefix="cond")
    context = {"try_form": form}
    if not form.is_valid():
        return render(request, "messaging_rules/_try.html", context, status=400)
    lead = _lead(tenant, form.cleaned_data["lead_id"])
    if form.cleaned_data["lead_id"] and lead is None:
        form.add_error("lead_id", _("No such lead."))
        return render(request, "messaging_rules/_try.html", context, status=400)
    occurred_at = timezone.now() - timedelta(hours=form.cleaned_data["hours_ago"] or 0)
    event_type = form.cleaned_data["event_type"] or request.POST.get("trigger", "")
    properties = form.cleaned_data["properties"]
    if request.POST.get("run") and request.POST.get("rule_id"):
        context["decisions"] = _run(request, lead, event_type, properties, occurred_at)
    else:
        context.update(_dry(tenant, rule_form, formset, event_type, properties, lead, occurred_at))
    return render(request, "messaging_rules/_try.html", context)


def _lead(tenant, lead_id):
    return Lead.objects.filter(tenant=tenant, pk=lead_id).first() if lead_id else None


def _dry(tenant, rule_form, formset, event_type, properties, lead, occurred_at) -> dict:
    rule_form.is_valid()  # the conditions box may hold invalid JSON: shown as its error
    if "conditions" in rule_form.errors:
        return {"error": rule_form.errors["conditions"][0]}
    conditions = _submitted(rule_form, formset)
    if conditions is None:
        return {"error": _("Fix the conditions marked above first.")}
    trigger = rule_form.cleaned_data.get("trigger") or event_type
    if event_type != trigger:
        return {"matched": False, "why": _("The rule is triggered by %(t)s.") % {"t": trigger}}
    ok, failure = engine.dry_run(
        tenant=tenant,
        conditions=conditions,
        event_type=event_type,
        properties=properties,
        lead=lead,
        occurred_at=occurred_at,
    )
    return {"matched": ok, "why": "" if ok else failure_text(failure)}


def _run(request, lead, event_type, properties, occurred_at) -> list[dict]:
    rule = selectors.rule_get(request.tenant, request.POST["rule_id"])
    result = services.event_record(
        tenant=request.tenant,
        event_id=f"test:{uuid.uuid4().hex}",
        event_type=rule.current.trigger,
        occurred_at=occurred_at,
        properties=properties,
        lead=lead,
        source=EventSource.TEST,
        only=rule,
    )
    return [{"decision": d, "reason": reason_text(d)} for d in result.decisions]


@dashboard_view(EDITOR)
@feature_required(TOOL)
def template_index(request, tenant_slug):
    templates = selectors.template_list(request.tenant)
    return render(request, "messaging_rules/templates.html", {"templates": templates})


@dashboard_view(EDITOR)
@feature_required(TOOL)
def template_edit(request, tenant_slug, template_id=None):
    tenant = request.tenant
    template = selectors.template_get(tenant, template_id) if template_id else None
    initial = {f: getattr(template, f) for f in TemplateForm.base_fields} if template else {}
    form = TemplateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            template = template_save(tenant=tenant, template=template, key=data.pop("key"), **data)
        except ApplicationError as error:
            for name, messages in error.fields.items():
                for message in messages:
                    form.add_error(name if name in form.fields else None, message)
        else:
            url = reverse("messaging_rules:templates", kwargs={"tenant_slug": tenant_slug})
            return redirect(url)
    context = {"form": form, "template": template}
    return render(
        request, "messaging_rules/template_edit.html", context, status=400 if form.errors else 200
    )


@require_POST
@dashboard_view(EDITOR)
@feature_required(TOOL)
def template_preview(request, tenant_slug):
    """HTMX: the template in the form filled from its sample event (and a lead, if given)."""
    form = TemplateForm(request.POST)
    form.is_valid()
    data = {f: form.cleaned_data.get(f) or "" for f in TemplateForm.base_fields}
    sample = form.cleaned_data.get("sample_properties") or {}
    lead = _lead(request.tenant, request.POST.get("lead_id") or None)
    previews, error = [], ""
    for language in ("ru", "en"):
        try:
            subject, body = render_template(
                _Draft(data),
                language,
                lead=lead or _SampleLead(),
                properties=sample,
                event_type="sample",
                tenant=request.tenant,
            )
        except MissingVariable as missing:
            error = _("No value for %(name)s in the sample.") % {"name": missing.name}
            break
        previews.append({"language": language, "subject": subject, "body": body})
    return render(request, "messaging_rules/_preview.html", {"previews": previews, "error": error})


class _Draft:
    def __init__(self, data: dict):
        self.__dict__.update(data)


class _SampleLead:
    """Stands in for a lead in a preview without one."""

    name = "Анна Иванова"
    email = "anna@example.com"
    phone = "+79990000000"
    company = "ООО «Пример»"
    status = "new"
    source = "widget"
    lead_type = ""
    consent_marketing = True
    first_contact_at = None
    created_at = None


@dashboard_view(Role.ANALYST)
def lead_audit(request, tenant_slug, lead_id):
    """The "why was this sent" card of one lead (also loaded on the lead page)."""
    lead = Lead.objects.filter(tenant=request.tenant, pk=lead_id).first()
    if lead is None:
        raise ObjectNotFound
    return render(
        request, "messaging_rules/_lead_audit.html", lead_audit_context(request.tenant, lead)
    )


def lead_audit_context(tenant, lead) -> dict:
    """The lead page panel's context (registered with leads' lead panels)."""
    if not feature_enabled(tenant, TOOL):
        return {"rules_audit": None}
    events = selectors.audit_for_lead(tenant, lead.pk)
    rows = [
        {
            "event": e,
            "decisions": [{"decision": d, "reason": reason_text(d)} for d in e.decisions.all()],
        }
        for e in events
    ]
    return {"rules_audit": rows, "rules_audit_lead": lead}


def _row(decision) -> dict:
    return {"decision": decision, "reason": reason_text(decision)}
