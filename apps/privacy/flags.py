"""The consent texts a company's widget shows now, cached per tenant (apps/core/tenant_flags.py)
for the consent record every widget lead gets: computing them reads the company and its
widget settings. Invalidated by every save of either (wired in PrivacyConfig.ready())."""

from __future__ import annotations

from apps.core.tenant_flags import TenantFlag
from apps.leads.widget_config import public_config_from, widget_settings_read
from apps.tenants.models import Tenant


def widget_consent_texts(tenant_id: str) -> tuple[dict, dict, str]:
    """(processing texts, marketing texts, version): the texts in both languages."""
    name = Tenant.objects.filter(pk=tenant_id).values_list("name", flat=True).first() or ""
    # From the rows, not the widget's own cache: that one is dropped after commit, and a
    # read in between would keep old texts here under the new version.
    saved = widget_settings_read(tenant_id)
    shown = {lang: public_config_from(saved, name, lang) for lang in ("ru", "en")}
    processing = {lang: c["consents"]["processing"]["text"] for lang, c in shown.items()}
    marketing = {
        lang: c["consents"].get("marketing", {}).get("text", "") for lang, c in shown.items()
    }
    return processing, marketing, f"widget v{shown['ru']['version']}"


WIDGET_CONSENT_TEXTS = TenantFlag("widget-consent-texts", widget_consent_texts)
