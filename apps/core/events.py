"""Domain events (seed 001: user_registered, tenant_created, payment_failed, ...).

Logged as structured events with ids only: personal data never goes into a log line.
"""

import structlog

from fastlead.logging import PII_KEYS

logger = structlog.get_logger("fastlead.events")

DOMAIN_EVENTS = frozenset(
    {
        "user_registered",
        "user_email_confirmed",
        "user_logged_in",
        "tenant_created",
        "tenant_updated",
        "member_invited",
        "invitation_accepted",
        "member_role_changed",
        "member_removed",
        "lead_created",
        "lead_status_changed",
        "widget_installed",
        "channel_connected",
        "subscription_created",
        "subscription_changed",
        "subscription_canceled",
        "payment_succeeded",
        "payment_failed",
        "payment_refunded",
        "payment_refund_failed",
        "payment_duplicate",  # paid twice for one plan: refunded automatically
        "trial_started",
        "trial_ended",
        "quota_exceeded",
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
        # paid actions (apps/billing/services/usage_charges.py)
        "usage_charged",
        "usage_declined",
        "usage_charge_unavailable",
        "usage_given_back",
        # AI enrichment runs (apps/leads/enrichment/services.py)
        "enrichment_run_created",
        "enrichment_run_started",
        "enrichment_run_declined",
        "enrichment_run_settled",
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
