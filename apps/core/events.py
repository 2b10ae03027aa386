"""Domain events (seed 001: user_registered, tenant_created, payment_failed, ...).

Two ways to use them:
- `log_event(name, **ids)` only logs a structured event (ids only: no personal data).
- `emit(SomeEvent(...))` logs it and delivers it to the subscribers. This is how a lower app
  tells an upper one that something happened without importing it (DESIGN.md, the layers):
  tenants emits `TenantCreated`, billing subscribes and starts the trial; payments emits
  `PaymentSettled`, billing subscribes and activates the plan.

Subscribers say when they run:
- `subscribe(Event, handler)` runs the handler after the surrounding transaction commits
  (or at once outside one): side effects that must not happen for rolled-back work, and
  whose failure must not undo the work (e-mails, rollups, queued tasks).
- `subscribe(Event, handler, in_transaction=True)` runs it at once, inside the emitter's
  transaction: writes that belong to the same unit of work (a tenant never exists without
  its trial). Its exception rolls the emitter back.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import ClassVar, TypeVar

import structlog
from django.db import transaction

from apps.core.tenant_flags import tenant_flags_prefetched
from fastlead.logging import PII_KEYS

logger = structlog.get_logger("fastlead.events")

DOMAIN_EVENTS = frozenset(
    {
        "user_registered",
        "user_email_confirmed",
        "user_logged_in",
        "user_signed_out_everywhere",
        "tenant_created",
        "tenant_updated",
        "member_invited",
        "invitation_accepted",
        "member_role_changed",
        "member_removed",
        "lead_created",
        "customer_actions_recorded",  # apps/leads/events.py: pay-per-lead revalues the months
        "lead_status_changed",
        "lead_updated",  # apps/leads/events.py: changed by hand or in bulk
        "lead_merged",  # apps/leads/events.py: a submission merged into an existing lead
        "meeting_booked",  # apps/leads/events.py: the booking app emits these
        "meeting_canceled",
        "widget_installed",
        "message_received",  # apps/messaging/events.py: an inbound message was stored
        "channel_connected",
        "subscription_created",
        "subscription_changed",
        "subscription_canceled",
        "payment_succeeded",
        "payment_failed",
        "payment_refunded",
        "payment_refund_failed",
        "payment_duplicate",  # paid twice for one plan: refunded automatically
        "payment_amount_mismatch",  # the provider reported another amount: needs review
        "trial_started",
        "trial_ended",
        "quota_exceeded",
        "widget_intake_dropped",
        "widget_intake_refused",
        # plans, tools and quotas (apps/features, apps/billing)
        "feature_override_set",
        "feature_override_removed",
        "feature_override_expired",
        "trial_reminder_sent",
        "access_read_only",
        "access_blocked",
        "access_restored",
        "usage_period_started",
        "quota_warning",
        "plan_limits_changed",  # apps/billing/events.py: typed events for the apps above
        "access_state_changed",
        "plan_catalogue_changed",
        # paid actions (apps/billing/services/usage_charges.py)
        "usage_charged",
        "usage_declined",
        "usage_charge_unavailable",
        "usage_given_back",
        # AI enrichment runs (apps/enrichment/services/)
        "enrichment_run_created",
        "enrichment_run_started",
        "enrichment_run_declined",
        "enrichment_run_settled",
        "enrichment_run_finished",  # apps/enrichment/events.py: every lead of the run is done
        # outbound webhooks (apps/integrations)
        "webhook_endpoint_disabled",
    }
)


def log_event(name: str, /, **fields) -> None:
    """Log a domain event. Unknown names and personal-data fields are programming errors."""
    if name not in DOMAIN_EVENTS:
        raise ValueError(f"Unknown domain event {name!r}: add it to DOMAIN_EVENTS")
    leaked = PII_KEYS & fields.keys()
    if leaked:
        raise ValueError(f"Domain event {name!r} must not carry personal data: {sorted(leaked)}")
    logger.info(name, event_type="domain", **fields)


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """Base of typed events: subclasses are frozen dataclasses of ids and plain values, with
    `name` set to one of DOMAIN_EVENTS."""

    name: ClassVar[str]


E = TypeVar("E", bound=DomainEvent)
Handler = Callable[[E], None]

_in_transaction: dict[type, list[Handler]] = defaultdict(list)
_after_commit: dict[type, list[Handler]] = defaultdict(list)


def subscribe(event_type: type[E], handler: Handler, *, in_transaction: bool = False) -> None:
    """Register `handler` for `event_type` (call it from an app's wiring.py). Registering
    the same handler twice is a no-op, so wiring it again does not deliver events twice."""
    if not (isinstance(event_type, type) and issubclass(event_type, DomainEvent)):
        raise TypeError(f"{event_type!r} is not a DomainEvent subclass")
    handlers = (_in_transaction if in_transaction else _after_commit)[event_type]
    if handler not in handlers:
        handlers.append(handler)


def emit(event: DomainEvent) -> None:
    """Log `event` and deliver it: in-transaction subscribers now, the others on commit."""
    log_event(event.name, **asdict(event))
    for handler in list(_in_transaction.get(type(event), ())):
        handler(event)
    after_commit = list(_after_commit.get(type(event), ()))
    if after_commit:
        transaction.on_commit(_bind(after_commit, event), robust=True)


def _bind(handlers: list[Handler], event: DomainEvent) -> Callable[[], None]:
    """One after-commit callback runs every subscriber of the event, each on its own (a
    failure is logged and the others still run, as a `robust` callback would), with the
    tenant's cached flags read once for all of them (apps/core/tenant_flags.py)."""

    def deliver() -> None:
        with tenant_flags_prefetched(getattr(event, "tenant_id", None)):
            for handler in handlers:
                try:
                    handler(event)
                except Exception:
                    logger.exception(
                        "event_subscriber_failed",
                        event_name=event.name,
                        subscriber=getattr(handler, "__qualname__", repr(handler)),
                    )

    return deliver


def subscribers(event_type: type[DomainEvent]) -> list[Handler]:
    """Every handler registered for `event_type` (for tests and the architecture doc)."""
    return [*_in_transaction.get(event_type, ()), *_after_commit.get(event_type, ())]
