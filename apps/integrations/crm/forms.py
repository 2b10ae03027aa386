"""Forms of the "Integrations → CRM" page."""

from datetime import datetime, time

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.integrations.crm.mapping import OUR_FIELDS
from apps.leads.models import LeadStatus


class AmoCrmConnectForm(forms.Form):
    subdomain = forms.CharField(
        label=_("amoCRM account"),
        max_length=100,
        help_text=_("The name in your amoCRM address: mycompany for mycompany.amocrm.ru."),
        widget=forms.TextInput(attrs={"placeholder": "mycompany", "autocomplete": "off"}),
    )
    client_id = forms.CharField(label=_("Integration ID"), max_length=100, required=False)
    client_secret = forms.CharField(
        label=_("Secret key"),
        max_length=200,
        required=False,
        widget=forms.PasswordInput(render_value=False),
    )


class Bitrix24ConnectForm(forms.Form):
    webhook_url = forms.CharField(
        label=_("Incoming webhook URL"),
        max_length=500,
        help_text=_(
            "Bitrix24 → Developer resources → Other → Incoming webhook, with the CRM scope."
        ),
        widget=forms.TextInput(
            attrs={"placeholder": "https://mycompany.bitrix24.ru/rest/1/abc123/"}
        ),
    )
    application_token = forms.CharField(
        label=_("Outbound webhook token"),
        max_length=200,
        required=False,
        help_text=_("From the outbound webhook for ONCRMDEALUPDATE: stage changes come back."),
    )


class PipelineForm(forms.Form):
    pipeline_id = forms.ChoiceField(label=_("Pipeline"))

    def __init__(self, *args, pipelines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pipeline_id"].choices = [(p["id"], p["name"]) for p in pipelines]


class StatusMapForm(forms.Form):
    def __init__(self, *args, stages=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("— not synced —")), *[(s["id"], s["name"]) for s in stages]]
        for value, label in LeadStatus.choices:
            self.fields[value] = forms.ChoiceField(label=label, choices=choices, required=False)


class FieldMapForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field, label in OUR_FIELDS.items():
            self.fields[field] = forms.CharField(
                label=label,
                max_length=80,
                required=False,
                widget=forms.TextInput(attrs={"placeholder": "contact:FIELD"}),
            )


class Bitrix24TokenForm(forms.Form):
    application_token = forms.CharField(
        label=_("Outbound webhook token"),
        max_length=200,
        help_text=_("From the outbound webhook for ONCRMDEALUPDATE: stage changes come back."),
    )


class BackfillForm(forms.Form):
    """Which existing leads to send: all, or those created since a day (from its start, in
    the current time zone). `cleaned_data["since"]` is that moment, or None for all."""

    scope = forms.ChoiceField(
        label=_("Which leads"),
        choices=[("all", _("All leads")), ("since", _("Leads created since a date"))],
        initial="all",
        widget=forms.RadioSelect,
    )
    since = forms.DateField(
        label=_("Created since"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("scope") != "since":
            cleaned["since"] = None
        elif not cleaned.get("since"):
            self.add_error("since", _("Choose the date."))
        else:
            cleaned["since"] = timezone.make_aware(datetime.combine(cleaned["since"], time.min))
        return cleaned
