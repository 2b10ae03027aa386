"""Parsing what a report request asks for (the API and the dashboard share it)."""

from __future__ import annotations

import re
from datetime import date

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.errors import NotFound, ValidationFailed
from apps.payperlead import selectors

_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")
FIRST_YEAR, LAST_YEAR = 2000, 2100
FORMATS = ("json", "csv", "pdf")


def parse_period(value: str | None) -> date:
    """`YYYY-MM` → the month's first day; a clear field error otherwise."""
    match = _PERIOD.match((value or "").strip())
    if not match:
        raise ValidationFailed(
            _("Some fields are invalid."),
            fields={"period": [_("A month as YYYY-MM, e.g. 2024-04.")]},
        )
    year, month = int(match[1]), int(match[2])
    if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12):
        raise ValidationFailed(
            _("Some fields are invalid."),
            fields={"period": [_("A month between 2000-01 and 2100-12.")]},
        )
    return date(year, month, 1)


def parse_format(value: str | None, allowed=FORMATS) -> str:
    fmt = (value or allowed[0]).strip().lower()
    if fmt not in allowed:
        raise ValidationFailed(
            _("Some fields are invalid."),
            fields={"format": [_("Must be one of: %(values)s.") % {"values": ", ".join(allowed)}]},
        )
    return fmt


def parse_optional_id(value: str | None) -> int | None:
    """A row id from a query string; empty → None (a line without a product or lead)."""
    value = (value or "").strip()
    if not value:
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise ValidationFailed(_("Some fields are invalid."), fields={"id": [_("Not an id.")]})
    return int(value)


def resolve_customer(tenant, ref: str | None):
    """None for "every customer"; a customer of the tenant; 404 for an unknown one."""
    ref = (ref or "").strip()
    if not ref:
        return None
    customer = selectors.customer_get(tenant, ref)
    if customer is None:
        raise NotFound(_("No such customer."), code="customer_not_found")
    return customer


class ReportPickForm(forms.Form):
    """The dashboard's period and customer picker (choices filled per tenant)."""

    period = forms.ChoiceField(label=gettext_lazy("Period"))
    customer = forms.ChoiceField(label=gettext_lazy("Customer"), required=False)

    def __init__(self, *args, months: list[date], customers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = [(f"{m:%Y-%m}", f"{m:%Y-%m}") for m in months]
        self.fields["customer"].choices = [("", _("All customers"))] + [
            (c.external_ref, f"{c.name} ({c.external_ref})" if c.name != c.external_ref else c.name)
            for c in customers
        ]
