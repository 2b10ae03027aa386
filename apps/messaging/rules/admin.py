"""Staff console of the follow-up rules: rules edited through the same service as the
dashboard (a change makes a new version), versions, templates, events and decisions read-only
with their reasons in words."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from apps.messaging.rules.authoring import (
    VERSION_FIELDS,
    rule_save,
    version_data,
    version_errors,
)
from apps.messaging.rules.models import Decision, Event, Rule, RuleVersion, Template
from apps.messaging.rules.reasons import reason_text
from apps.tenants.admin_base import TenantOwnedAdmin


class RuleAdminForm(forms.ModelForm):
    """The rule's own fields plus its current version's, saved through `rule_save`."""

    trigger = forms.CharField(max_length=100)
    conditions = forms.JSONField(required=False)
    action = RuleVersion._meta.get_field("action").formfield()
    template = forms.ModelChoiceField(Template.objects.unscoped().none(), required=False)
    channel = RuleVersion._meta.get_field("channel").formfield()
    marketing = forms.BooleanField(required=False)
    once_per = RuleVersion._meta.get_field("once_per").formfield()
    max_count = forms.IntegerField(required=False, min_value=1)
    window_hours = forms.IntegerField(required=False, min_value=1)
    quiet_start = forms.TimeField(required=False)
    quiet_end = forms.TimeField(required=False)
    delay_minutes = forms.IntegerField(initial=0)
    anchor = forms.CharField(required=False, max_length=100)

    class Meta:
        model = Rule
        fields = ("tenant", "code", "name", "enabled", "priority", "pack")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        rule = self.instance
        if rule.pk and rule.current_id:
            self.initial.update(version_data(rule.current))
            self.fields["template"].initial = rule.current.template_id
        tenant_id = rule.tenant_id if rule.pk else None
        self.fields["template"].queryset = Template.objects.unscoped().filter(tenant_id=tenant_id)

    def clean(self):
        data = super().clean()
        values = {f: data.get(f) for f in VERSION_FIELDS}
        values["conditions"] = values["conditions"] or {}
        values["once_per"] = values["once_per"] or ""
        values["channel"] = values["channel"] or ""
        values["anchor"] = values["anchor"] or ""
        values["delay_minutes"] = values["delay_minutes"] or 0
        self.version_values = values
        for name, message in version_errors(values).items():
            field = "conditions" if name.startswith("conditions") else name
            self.add_error(field if field in self.fields else None, f"{name}: {message}")
        return data


@admin.register(Rule)
class RuleAdmin(TenantOwnedAdmin):
    form = RuleAdminForm
    tenant_list_display = ("code", "name", "enabled", "priority", "pack", "current")
    search_fields = ("code", "name", "tenant__name")

    def get_readonly_fields(self, request, obj=None):
        return ("tenant", "code") if obj else ()

    def save_model(self, request, obj, form, change):
        rule_fields = {f: form.cleaned_data.get(f) for f in ("name", "enabled", "priority")}
        saved = rule_save(
            tenant=obj.tenant,
            actor=request.user,
            code=obj.code,
            rule=obj if change else None,
            pack=obj.pack,
            **rule_fields,
            **form.version_values,
        )
        obj.pk, obj.current = saved.pk, saved.current


@admin.register(RuleVersion)
class RuleVersionAdmin(TenantOwnedAdmin):
    tenant_list_display = ("rule", "number", "trigger", "action", "channel", "created_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Template)
class TemplateAdmin(TenantOwnedAdmin):
    tenant_list_display = ("key", "name")
    search_fields = ("key", "name")


@admin.register(Event)
class EventAdmin(TenantOwnedAdmin):
    tenant_list_display = ("event_id", "event_type", "subject", "occurred_at", "source")
    search_fields = ("event_id", "subject", "event_type")
    list_filter = ("source",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Decision)
class DecisionAdmin(TenantOwnedAdmin):
    tenant_list_display = ("rule", "subject", "outcome", "why", "message_id", "created_at")
    list_filter = ("outcome",)
    search_fields = ("subject", "rule__code")
    list_select_related = ("tenant", "rule", "version", "event")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("rule", "version", "event")

    @admin.display(description=_("reason"))
    def why(self, obj) -> str:
        return reason_text(obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
