"""Privacy's per-tenant cached answers (apps/core/tenant_flags.py), asked on every widget
submission; invalidated by every save of the rows behind them (wired in apps/privacy/wiring.py):
- COMPANY_CLOSED: is the company closed (read-only, refusing submissions)?
- WIDGET_CONSENT_TEXTS: the consent texts its widget shows now, for the consent record every
  widget lead gets (computing them reads the company and its widget settings).
"""

from __future__ import annotations

from apps.core.tenant_flags import TenantFlag
from apps.leads.models import WidgetConfig
from apps.leads.widget_config import public_config_from, widget_settings_read
from apps.privacy.models import ClosureStatus, TenantClosure
from apps.tenants.models import Tenant


def tenant_closed_now(tenant_id) -> bool:
    """One query, never cached (a batch of messages costs the same queries every time)."""
    return (
        TenantClosure.objects.unscoped()
        .filter(tenant_id=tenant_id, status=ClosureStatus.CLOSED)
        .exists()
    )


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


COMPANY_CLOSED = TenantFlag("company-closed", tenant_closed_now)
WIDGET_CONSENT_TEXTS = TenantFlag("widget-consent-texts", widget_consent_texts)


def invalidate_on_changes() -> None:
    """Wire the invalidations (apps/privacy/wiring.py)."""
    COMPANY_CLOSED.invalidate_on_change(TenantClosure)
    WIDGET_CONSENT_TEXTS.invalidate_on_change(WidgetConfig)
    WIDGET_CONSENT_TEXTS.invalidate_on_change(Tenant, tenant_of=lambda tenant: tenant.pk)
