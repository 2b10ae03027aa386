"""Dashboard forms of upsell radar."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

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
