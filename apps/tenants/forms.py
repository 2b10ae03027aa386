"""Dashboard forms for companies, invitations and roles. Services do the business checks."""

import zoneinfo
from urllib.parse import urlsplit

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.tenants.roles import Role


def _lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


TIME_ZONES = [(name, name) for name in sorted(zoneinfo.available_timezones())]


class TenantForm(forms.Form):
    """Company name, site domain and widget origins (one per line)."""

    name = forms.CharField(label=_("Company name"), max_length=200)
    site_domain = forms.CharField(
        label=_("Site domain"),
        max_length=253,
        required=False,
        help_text=_("The domain of the site where the widget will live, e.g. example.ru."),
        widget=forms.TextInput(attrs={"placeholder": "example.ru", "autocapitalize": "none"}),
    )
    allowed_origins = forms.CharField(
        label=_("Allowed widget origins"),
        required=False,
        help_text=_(
            "One per line, like https://example.ru. Only these sites may send leads "
            "through your widget."
        ),
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": "https://example.ru", "autocapitalize": "none"}
        ),
    )

    def clean_site_domain(self) -> str:
        value = self.cleaned_data["site_domain"].strip().lower()
        if "://" in value:
            value = urlsplit(value).hostname or ""
        value = value.rstrip("/")
        if value and (" " in value or "/" in value or "." not in value):
            raise forms.ValidationError(_("Enter a domain like example.ru."))
        return value

    def clean_allowed_origins(self) -> list[str]:
        return _lines(self.cleaned_data["allowed_origins"])

    @staticmethod
    def initial_for(tenant) -> dict:
        return {
            "name": tenant.name,
            "site_domain": tenant.site_domain,
            "allowed_origins": "\n".join(tenant.allowed_origins or []),
        }


class TenantSettingsForm(TenantForm):
    """The company settings: TenantForm and the time zone (working hours, the follow-up
    rules' days and quiet hours, bookings)."""

    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=TIME_ZONES,
        required=False,
        help_text=_("Days, quiet hours and working hours are counted in it (e.g. Europe/Moscow)."),
    )

    def changes(self) -> dict:
        """The cleaned values to save (a form without a time zone keeps the current one)."""
        data = dict(self.cleaned_data)
        if not data.get("time_zone"):
            data.pop("time_zone", None)
        return data

    @staticmethod
    def initial_for(tenant) -> dict:
        return {**TenantForm.initial_for(tenant), "time_zone": tenant.time_zone}


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail"),
        widget=forms.EmailInput(attrs={"placeholder": "colleague@example.ru"}),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.OPERATOR)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
