"""Dashboard forms of upsell radar."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.core.money import exponent
from apps.upsell.models import CatalogueItem, UpsellSettings


class UpsellSettingsForm(forms.ModelForm):
    class Meta:
        model = UpsellSettings
        fields = ["threshold", "auto_approve_threshold"]
        help_texts = {
            "threshold": _("0–1. A ticket scored at or above it becomes a case (default 0.7)."),
        }

    def clean(self):
        data = super().clean()
        for name in ("threshold", "auto_approve_threshold"):
            value = data.get(name)
            if value is not None and not Decimal("0") <= value <= Decimal("1"):
                self.add_error(name, _("Between 0 and 1."))
        return data


class CatalogueItemForm(forms.ModelForm):
    class Meta:
        model = CatalogueItem
        fields = ["product", "tier", "description", "price_amount", "currency"]


class CaseDraftForm(forms.Form):
    email_subject = forms.CharField(label=_("E-mail subject"), max_length=200)
    email_body = forms.CharField(label=_("E-mail"), widget=forms.Textarea(attrs={"rows": 8}))
    call_script = forms.CharField(
        label=_("Call script"), widget=forms.Textarea(attrs={"rows": 6}), required=False
    )


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class WonForm(forms.Form):
    """The won amount as people write it (major units, "12990.50"); `money()` gives it in
    integer minor units for the service. Both empty: won, amount unknown."""

    amount = forms.DecimalField(
        label=_("Amount"), required=False, min_value=Decimal("0.001"), max_digits=15,
        decimal_places=3, help_text=_("Optional: what the customer bought for."),
    )  # fmt: skip
    currency = forms.CharField(label=_("Currency"), max_length=3, required=False, initial="RUB")

    def clean(self):
        data = super().clean()
        amount, currency = data.get("amount"), (data.get("currency") or "").strip().upper()
        data["currency"] = currency
        if amount is None:
            return data
        if len(currency) != 3 or not currency.isalpha() or not currency.isascii():
            self.add_error("currency", _("Three letters, e.g. RUB."))
        elif amount.scaleb(exponent(currency)) % 1:
            self.add_error(
                "amount",
                _("At most %(places)s digits after the point for %(currency)s.")
                % {"places": exponent(currency), "currency": currency},
            )
        return data

    def money(self) -> dict:
        amount = self.cleaned_data.get("amount")
        if amount is None:
            return {"amount": None, "currency": ""}
        currency = self.cleaned_data["currency"]
        return {"amount": int(amount.scaleb(exponent(currency))), "currency": currency}
