"""The lead quota: the API lead ingestion and the widget call.

    decision = lead_quota_reserve(tenant, count)   # before storing `count` NEW leads
    pending = lead_quota_reservation(tenant, n)    # or: its statement, for a round trip
    decision = lead_quota_settle(pending, row, needed=k)   # you make anyway; then its row
    decision.allowed / decision.refused            # store only `allowed` of them
    decision.raise_if_refused()                    # 402 quota_exceeded, naming the plan
    lead_quota_release(tenant, n)                  # give back what was reserved and not stored
    tenant_accepts_leads(tenant)                   # False once the company is blocked

Merged leads are not new: reserve only for leads that will be created. Called inside the
ingestion transaction, a rollback gives the reservation back by itself (the meter row stays
locked until that commit, which serialises one tenant's concurrent batches at the meter);
called outside, release what was not stored.

Every reservation runs one `UPDATE ... RETURNING` on the period's meter row (conditional on
a hard limit): the row lock makes concurrent reservations queue, so a hard limit is never
exceeded and no increment is lost. Unlimited plans count too (nothing is refused): the meter
is the period's usage counter, read in O(1) (apps/billing/usage_counter.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connections, router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.billing.errors import FormUnavailable, QuotaExceeded
from apps.billing.models import LimitMode, UsageMeter
from apps.billing.plan_limits import PlanLimits, plan_limits_get
from apps.billing.services.usage import meter_ensure
from apps.billing.tasks import send_usage_warnings_task
from apps.core.events import log_event


@dataclass(frozen=True)
class QuotaDecision:
    allowed: int
    refused: int
    warning: str | None = None
    plan_that_lifts: str | None = None
    used: int | None = None  # after this reservation; None on unlimited plans
    limit: int | None = None

    @property
    def ok(self) -> bool:
        return self.refused == 0

    def raise_if_refused(self) -> None:
        if self.refused:
            raise quota_exceeded_error(self)


def quota_exceeded_error(decision: QuotaDecision) -> QuotaExceeded:
    message = _("Your plan's limit of %(limit)s leads for this period is reached.") % {
        "limit": decision.limit
    }
    if decision.plan_that_lifts:
        message += " " + _("Upgrade to lift it.")
    return QuotaExceeded(
        message,
        extra={
            "plan": decision.plan_that_lifts,
            "limit": decision.limit,
            "used": decision.used,
            "refused": decision.refused,
        },
    )


_UNLIMITED = QuotaDecision(allowed=0, refused=0)


def lead_quota_reserve(tenant, count: int = 1, *, entitlements=None) -> QuotaDecision:
    """Count up to `count` new leads against this period's limit, atomically.

    Hard limit: grants what is left (maybe fewer than asked) and refuses the rest.
    Soft limit: grants everything; `warning` says when 80 % / 100 % is passed.
    `entitlements`: the plan limits (or entitlements) the caller already read (saves a cache
    round trip).
    """
    if count <= 0:
        return _UNLIMITED
    pending = lead_quota_reservation(tenant, count, entitlements=entitlements)
    with _cursor() as cursor:
        cursor.execute(pending.sql, pending.params)
        row = cursor.fetchone()
    return lead_quota_settle(pending, row, needed=count)


@dataclass(frozen=True)
class PendingReservation:
    """A reservation's one statement, for a caller that sends it in a round trip it makes
    anyway (the lead writer's lock-and-find); `lead_quota_settle` reads its answer."""

    sql: str
    params: list
    limits: PlanLimits
    count: int


def lead_quota_reservation(tenant, count: int, *, entitlements=None) -> PendingReservation:
    """The statement that reserves `count` new leads (count ≥ 1); run it inside the
    transaction that stores them, then settle with its row."""
    ent = entitlements or plan_limits_get(tenant)
    sql, params = _reserve_sql(ent, count)
    return PendingReservation(sql=sql, params=params, limits=ent, count=count)


def lead_quota_settle(pending: PendingReservation, row, *, needed: int) -> QuotaDecision:
    """The decision for the `needed` (≤ pending.count) leads that turned out to be new, from
    the reservation statement's row (None: the period's meter did not exist yet). What was
    reserved beyond `needed` is given back (a single submission reserves before it knows
    whether it merges)."""
    ent, count = pending.limits, pending.count
    if row is None:  # first lead of the period: open its meter, then count
        meter_ensure(ent.tenant_id, ent)
        with _cursor() as cursor:
            cursor.execute(pending.sql, pending.params)
            row = cursor.fetchone()
    used, granted = int(row[0]), int(row[1])
    if needed < count:
        lead_quota_release(ent.tenant_id, granted, entitlements=ent)
        if needed <= 0:
            return _UNLIMITED
        return lead_quota_reserve(ent.tenant_id, needed, entitlements=ent)
    if ent.lead_limit is None:  # counted, never refused
        return QuotaDecision(allowed=count, refused=0)
    decision = _decide(ent, count, used, granted)
    _after_reserve(ent, used - granted, decision)
    return decision


def lead_quota_release(tenant, count: int, *, entitlements=None) -> None:
    """Give back `count` reserved leads that were not stored (never below zero)."""
    if count <= 0:
        return
    ent = entitlements or plan_limits_get(tenant)
    table, used_col, tenant_col, start_col, updated_col = _columns()
    tenant_id, period_start, now = _params(ent)
    with _cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {used_col} = CASE WHEN {used_col} > %s "  # noqa: S608
            f"THEN {used_col} - %s ELSE 0 END, {updated_col} = %s "
            f"WHERE {tenant_col} = %s AND {start_col} = %s",
            [count, count, now, tenant_id, period_start],
        )


def tenant_accepts_leads(tenant, *, entitlements=None) -> bool:
    """Whether the widget and the API may take leads at all (False once blocked; a read-only
    company keeps collecting so that no lead is lost). No query when the cache is warm."""
    return not (entitlements or plan_limits_get(tenant)).is_blocked


def ensure_tenant_accepts_leads(tenant) -> None:
    if not tenant_accepts_leads(tenant):
        raise FormUnavailable(widget_unavailable_message())


def widget_unavailable_message() -> str:
    return _("Sorry, this form is temporarily unavailable. Please contact us another way.")


# --- the one statement ----------------------------------------------------------------------


def _columns() -> tuple[str, ...]:
    connection = connections[router.db_for_write(UsageMeter)]
    quote = connection.ops.quote_name
    opts = UsageMeter._meta
    return (
        quote(opts.db_table),
        quote(opts.get_field("leads_used").column),
        quote(opts.get_field("tenant").column),
        quote(opts.get_field("period_start").column),
        quote(opts.get_field("updated_at").column),
    )


def _params(ent: PlanLimits) -> tuple:
    connection = connections[router.db_for_write(UsageMeter)]
    opts = UsageMeter._meta
    tenant_id = opts.get_field("tenant").target_field.get_db_prep_value(ent.tenant_id, connection)
    start_field = opts.get_field("period_start")
    period_start = start_field.get_db_prep_value(ent.period_start, connection)
    now = start_field.get_db_prep_value(timezone.now(), connection)
    return tenant_id, period_start, now


def _cursor():
    return connections[router.db_for_write(UsageMeter)].cursor()


def _reserve_sql(ent: PlanLimits, count: int) -> tuple[str, list]:
    """One UPDATE ... RETURNING on the period's meter: (leads used now, granted to us), no
    row when the period's meter does not exist yet.

    SET expressions all read the row as it was before this statement, so `last_granted`
    receives exactly the grant that `leads_used` was increased by; the row lock taken by the
    UPDATE makes a concurrent reservation wait and then re-read the new count.
    """
    table, used_col, tenant_col, start_col, updated_col = _columns()
    granted_col = UsageMeter._meta.get_field("last_granted").column
    tenant_id, period_start, now = _params(ent)
    if ent.lead_limit is None or ent.limit_mode == LimitMode.SOFT:
        grant, grant_params = "%s", [count]
    else:
        left = f"(%s - {used_col})"
        grant = f"CASE WHEN {left} >= %s THEN %s WHEN {left} > 0 THEN {left} ELSE 0 END"
        limit = ent.lead_limit
        grant_params = [limit, count, count, limit, limit]
    sql = (
        f"UPDATE {table} SET {used_col} = {used_col} + {grant}, "  # noqa: S608
        f"{granted_col} = {grant}, {updated_col} = %s "
        f"WHERE {tenant_col} = %s AND {start_col} = %s "
        f"RETURNING {used_col}, {granted_col}"
    )
    return sql, [*grant_params, *grant_params, now, tenant_id, period_start]


def _decide(ent: PlanLimits, count: int, used: int, granted: int) -> QuotaDecision:
    limit = ent.lead_limit
    refused = count - granted
    near = used * 100 >= limit * 80
    warning = None
    if refused:
        warning = _("The lead limit of your plan is reached; new leads are refused.")
    elif used > limit:
        warning = _("You are over your plan's lead limit; leads are still accepted.")
    elif used >= limit:
        warning = _("You have used your plan's lead limit for this period.")
    elif near:
        warning = _("You have used %(percent)s%% of your plan's leads for this period.") % {
            "percent": used * 100 // limit
        }
    lift = ent.lift_plan.code if (ent.lift_plan and (near or refused)) else None
    return QuotaDecision(
        allowed=granted,
        refused=refused,
        warning=warning,
        plan_that_lifts=lift,
        used=used,
        limit=limit,
    )


def _after_reserve(ent: PlanLimits, before: int, decision: QuotaDecision) -> None:
    limit = ent.lead_limit
    crossed_80 = before * 100 < limit * 80 <= decision.used * 100
    crossed_100 = before < limit <= decision.used
    if decision.refused:
        log_event(
            "quota_exceeded",
            tenant_id=ent.tenant_id,
            refused=decision.refused,
            limit=limit,
            plan=ent.plan_code,
        )
    if crossed_80 or crossed_100:  # later refusals were already warned about
        tenant_id = ent.tenant_id
        transaction.on_commit(lambda: send_usage_warnings_task.delay(tenant_id), robust=True)
