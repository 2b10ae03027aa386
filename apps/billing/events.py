"""What billing tells the apps above it (DESIGN.md, the layers): billing emits, and an upper
app subscribes in its wiring.py without billing naming it. Features, for instance,
recomputes a tenant's entitlements on these."""

from dataclasses import dataclass
from typing import ClassVar

from apps.core.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class SubscriptionChanged(DomainEvent):
    """A tenant's subscription started, changed plan, renewed, was canceled or ended: its
    plan, limits and plan tools may differ from now on."""

    name: ClassVar[str] = "plan_limits_changed"
    tenant_id: str


@dataclass(frozen=True, kw_only=True)
class AccessStateChanged(DomainEvent):
    """A tenant became read-only or blocked, or got its full access back."""

    name: ClassVar[str] = "access_state_changed"
    tenant_id: str


@dataclass(frozen=True, kw_only=True)
class PlanCatalogueChanged(DomainEvent):
    """Staff edited a plan: every tenant on it (and every upgrade offer) may differ."""

    name: ClassVar[str] = "plan_catalogue_changed"
    plan_code: str


@dataclass(frozen=True, kw_only=True)
class RenewalPaymentFailed(DomainEvent):
    """A subscription payment failed (dunning goes on, or ended it when `final`)."""

    name: ClassVar[str] = "payment_failed"
    tenant_id: str
    payment_id: str
    final: bool = False


@dataclass(frozen=True, kw_only=True)
class TrialEnding(DomainEvent):
    """The trial ends in `days` days (the reminder was just sent)."""

    name: ClassVar[str] = "trial_reminder_sent"
    tenant_id: str
    days: int


@dataclass(frozen=True, kw_only=True)
class QuotaWarning(DomainEvent):
    """The period's lead quota reached `level` percent (80 or 100)."""

    name: ClassVar[str] = "quota_warning"
    tenant_id: str
    level: int
    used: int
    limit: int
