"""The sync jobs: made from our leads' events and the CRMs' webhooks, run by Celery.

A PUSH job brings a lead's deal in step: it creates the contact + deal when the lead has none
(looking it up by our reference first, so a try whose answer was lost is not repeated), else
moves the deal to the stage mapped to the lead's status. A PULL job reads a deal the CRM said
changed (re-fetched: neither CRM signs its webhooks) and sets the lead's status from its stage.

Last change wins: each link keeps when our status last changed and when the deal's stage last
changed (the CRM's clock). A stage older than our change is not applied: ours is sent back.
A status that maps to the stage the deal is at already is no change (that is how the status
a PULL just set does not bounce back as a PUSH).

Failures: a transient one (timeout, 5xx, 429 after the in-call retries) puts the job back with
the next wait of JOB_RETRY (the dispatch beat picks it); a permanent one fails the job with
its reason; refused credentials also flag the connection. "Retry" on the page starts it over.
"""

from __future__ import annotations

from datetime import timedelta

import structlog
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N

from apps.core.errors import ProviderError
from apps.core.stored_text import StoredText
from apps.core.stored_text import stored_text as T
from apps.features.guards import feature_enabled
from apps.integrations.crm.clients import client, provider_message
from apps.integrations.crm.mapping import draft_fields, status_for_stage
from apps.integrations.crm.models import (
    ConnectionState,
    CrmConnection,
    CrmLeadLink,
    CrmSyncJob,
    JobKind,
    JobStatus,
)
from apps.integrations.crm.providers.base import DealDraft
from apps.integrations.outbox import TOOL
from apps.leads.models import Lead, LeadStatus, TimelineEntry, TimelineKind
from apps.leads.services import lead_update

logger = structlog.get_logger("fastlead.integrations")

# Seconds before the 1st, 2nd, … retry of a job that failed for a passing reason (~17.5 h).
JOB_RETRY = (60, 300, 1800, 7200, 21600, 32400)
LEASE = timedelta(seconds=120)  # a push holding its lead's link; longer than any push
BUSY_WAIT = timedelta(seconds=30)
DONE, SKIPPED, RETRYING, FAILED = "done", "skipped", "retrying", "failed"


def connection_active(tenant) -> CrmConnection | None:
    """The company's ready connection; the (cached) tool check first, so a company without the
    tool pays no query per lead."""
    if not feature_enabled(tenant, TOOL):
        return None
    connection = CrmConnection.objects.for_tenant(tenant).first()
    if connection is None or not connection.is_ready:
        return None
    return connection


def _job(connection, kind: str, *, link=None, deal_id: str = "") -> CrmSyncJob:
    return CrmSyncJob.objects.create(
        tenant_id=connection.tenant_id,
        connection=connection,
        link=link,
        kind=kind,
        deal_id=deal_id,
        next_attempt_at=timezone.now(),
    )


def leads_created(tenant, lead_ids) -> list[int]:
    """A link and a PUSH job per new lead (the job ids, to queue)."""
    connection = connection_active(tenant)
    if connection is None:
        return []
    jobs = []
    with transaction.atomic():
        for lead_id in lead_ids:
            link, _created = CrmLeadLink.objects.get_or_create(
                tenant=tenant, connection=connection, lead_id=lead_id
            )
            jobs.append(_job(connection, JobKind.PUSH, link=link).pk)
    return jobs


def statuses_changed(tenant, lead_ids, status: str) -> list[int]:
    """Our status changed: a PUSH job per linked lead whose deal is not at the mapped stage."""
    connection = connection_active(tenant)
    if connection is None:
        return []
    stage, now, jobs = connection.status_map.get(status, ""), timezone.now(), []
    links = CrmLeadLink.objects.for_tenant(tenant).filter(
        connection=connection, lead_id__in=lead_ids
    )
    with transaction.atomic():
        for link in links:
            if link.deal_id and stage and stage == link.remote_stage:
                continue  # in step already: the CRM made this change
            CrmLeadLink.objects.for_tenant(tenant).filter(pk=link.pk).update(local_changed_at=now)
            jobs.append(_job(connection, JobKind.PUSH, link=link).pk)
    return jobs


def deals_changed(connection: CrmConnection, deal_ids) -> list[int]:
    """The CRM said these deals changed: a PULL job each."""
    if not connection.is_ready or not feature_enabled(connection.tenant, TOOL):
        return []
    with transaction.atomic():
        return [_job(connection, JobKind.PULL, deal_id=str(d)[:64]).pk for d in deal_ids]


# --- running a job ------------------------------------------------------------------------


def job_run(tenant, job_id: int) -> tuple[str, list[int]]:
    """One attempt at a job: (outcome, ids of jobs it made, to queue)."""
    job = _claim(tenant, job_id)
    if isinstance(job, str):
        return job, []
    following: list[int] = []
    try:
        if job.connection.state != ConnectionState.CONNECTED:
            status, text = JobStatus.SKIPPED, T(N("The CRM is not connected."))
        elif job.kind == JobKind.PUSH:
            status, text = _push(tenant, job)
        else:
            status, text, following = _pull(tenant, job)
    except ProviderError as exc:
        return _failed(tenant, job, exc), []
    if status == JobStatus.PENDING:  # the lead's link is busy with another push: soon again
        _finish(tenant, job, JobStatus.PENDING, text, next_attempt_at=timezone.now() + BUSY_WAIT)
        return RETRYING, []
    _finish(tenant, job, status, text)
    logger.info("crm.job", job_id=job.pk, kind=job.kind, outcome=status)
    return (DONE if status == JobStatus.DONE else SKIPPED), following


def _claim(tenant, job_id: int) -> CrmSyncJob | str:
    now = timezone.now()
    with transaction.atomic():
        job = CrmSyncJob.objects.for_tenant(tenant).select_for_update().filter(pk=job_id).first()
        if job is None:
            return "missing"
        if job.status != JobStatus.PENDING:
            return "busy" if job.status == JobStatus.RUNNING else "finished"
        if job.next_attempt_at and job.next_attempt_at > now:
            return "not_due"
        job.status, job.claimed_at, job.attempts = JobStatus.RUNNING, now, job.attempts + 1
        job.save(update_fields=["status", "claimed_at", "attempts"])
    job.connection = CrmConnection.objects.for_tenant(tenant).get(pk=job.connection_id)
    return job


def _stored(text) -> dict:
    """A text as the log keeps it: rendered in the reader's language (apps/core/stored_text)."""
    if not text:
        return {}
    return text.as_data() if isinstance(text, StoredText) else {"msgid": str(text), "params": {}}


def _label(status: str):
    return LeadStatus(status).label  # lazy: the reader's language


def _finish(tenant, job, status: str, text="", *, error="", next_attempt_at=None):
    done = status in (JobStatus.DONE, JobStatus.SKIPPED, JobStatus.FAILED)
    CrmSyncJob.objects.for_tenant(tenant).filter(pk=job.pk, status=JobStatus.RUNNING).update(
        status=status,
        result=_stored(text),
        last_error=_stored(error),
        next_attempt_at=next_attempt_at,
        claimed_at=None,
        finished_at=timezone.now() if done else None,
    )


def _failed(tenant, job: CrmSyncJob, exc: ProviderError) -> str:
    message = exc.user_message or provider_message(exc)
    if exc.code in ("rejected", "not_found"):  # the CRM's own words help fix a mapping
        message = T(N("%(reason)s %(detail)s"), reason=message, detail=exc.message)
    if exc.code == "auth_failed":
        connection = job.connection
        connection.state, connection.last_error = ConnectionState.ERROR, message[:500]
        connection.save(update_fields=["state", "last_error", "updated_at"])
    logger.info("crm.job", job_id=job.pk, kind=job.kind, outcome="error", code=exc.code)
    if not exc.permanent and job.attempts <= len(JOB_RETRY):
        wait = timedelta(seconds=JOB_RETRY[job.attempts - 1])
        _finish(
            tenant, job, JobStatus.PENDING, error=message, next_attempt_at=timezone.now() + wait
        )
        return RETRYING
    _finish(tenant, job, JobStatus.FAILED, error=message)
    return FAILED


# --- lead → deal --------------------------------------------------------------------------


def _lease(tenant, link: CrmLeadLink) -> bool:
    now = timezone.now()
    free = Q(leased_until__isnull=True) | Q(leased_until__lt=now)
    return bool(
        CrmLeadLink.objects.for_tenant(tenant)
        .filter(free, pk=link.pk)
        .update(leased_until=now + LEASE)
    )


def _push(tenant, job: CrmSyncJob) -> tuple[str, str]:
    if not _lease(tenant, job.link):  # not ours to release either
        return JobStatus.PENDING, T(N("Waiting for the lead's other sync job."))
    try:
        link = CrmLeadLink.objects.for_tenant(tenant).get(pk=job.link_id)
        lead = Lead.objects.for_tenant(tenant).filter(pk=link.lead_id).first()
        if lead is None:
            return JobStatus.SKIPPED, T(N("The lead was deleted."))
        api = client(job.connection)
        if not link.deal_id:
            return _create(tenant, job.connection, link, lead, api)
        return _move(tenant, job.connection, link, lead, api)
    finally:
        CrmLeadLink.objects.for_tenant(tenant).filter(pk=job.link_id).update(leased_until=None)


def _save_link(tenant, link: CrmLeadLink, **fields) -> None:
    for name, value in fields.items():
        setattr(link, name, value)
    CrmLeadLink.objects.for_tenant(tenant).filter(pk=link.pk).update(**fields)


def lead_values(tenant, lead: Lead) -> dict:
    """Our side of the field mapping."""
    message = (
        TimelineEntry.objects.for_tenant(tenant)
        .filter(lead=lead, kind=TimelineKind.MESSAGE_IN)
        .order_by("created_at", "pk")
        .values_list("body", flat=True)
        .first()
    )
    return {
        "name": lead.name,
        "phone": lead.phone,
        "email": lead.email,
        "company": lead.company,
        "source": str(lead.get_source_display()),
        "comment": message or lead.pain_point or "",
    }


def _create(tenant, connection, link, lead, api) -> tuple[str, str]:
    marker = f"FL-{lead.pk}"
    stage = connection.status_map.get(lead.status) or connection.status_map.get(LeadStatus.NEW)
    stage = stage or (connection.stages[0]["id"] if connection.stages else "")
    found = api.find_deal(marker)
    if found is not None:  # an earlier try created it and its answer was lost
        ref, text = found, N("Deal %(id)s found (made by an earlier try).")
    else:
        contact, deal = draft_fields(connection.field_map, lead_values(tenant, lead))
        draft = DealDraft(
            marker=marker,
            title=f"{lead.name or lead.phone or lead.email or _('Lead')} · {marker}",
            pipeline_id=connection.pipeline_id,
            stage_id=stage,
            contact=contact,
            deal=deal,
        )
        ref = api.create_deal(
            draft,
            contact_id=link.contact_id,
            on_contact=lambda contact_id: _save_link(tenant, link, contact_id=contact_id),
        )
        text = N("Deal %(id)s created.")
    _save_link(
        tenant,
        link,
        deal_id=ref.deal_id,
        contact_id=ref.contact_id or link.contact_id,
        remote_stage=stage,
    )
    return JobStatus.DONE, T(text, id=ref.deal_id)


def _move(tenant, connection, link, lead, api) -> tuple[str, str]:
    desired = connection.status_map.get(lead.status, "")
    if not desired:
        return JobStatus.SKIPPED, T(N("Status “%(s)s” has no stage."), s=_label(lead.status))
    if desired == link.remote_stage:
        return JobStatus.SKIPPED, T(N("The deal is at this stage already."))
    if (
        link.remote_changed_at
        and link.local_changed_at
        and link.remote_changed_at > link.local_changed_at
    ):
        return JobStatus.SKIPPED, T(N("The CRM's change is newer: it stays."))
    # remote_changed_at stays: it is the time of the CRM's own last change (set by a pull),
    # not of ours echoed back in the CRM's clock.
    api.move_deal(link.deal_id, pipeline_id=connection.pipeline_id, stage_id=desired)
    _save_link(tenant, link, remote_stage=desired)
    return JobStatus.DONE, T(
        N("Deal %(id)s moved to “%(stage)s”."),
        id=link.deal_id,
        stage=connection.stage_name(desired),
    )


# --- deal → lead --------------------------------------------------------------------------


def _pull(tenant, job: CrmSyncJob) -> tuple[str, str, list[int]]:
    connection = job.connection
    link = (
        CrmLeadLink.objects.for_tenant(tenant)
        .filter(connection=connection, deal_id=job.deal_id)
        .first()
    )
    if link is None:
        return JobStatus.SKIPPED, T(N("Deal %(id)s is not one of ours."), id=job.deal_id), []
    job.link = link
    CrmSyncJob.objects.for_tenant(tenant).filter(pk=job.pk).update(link=link)
    state = client(connection).deal_state(job.deal_id)
    if state.stage_id == link.remote_stage:
        return JobStatus.SKIPPED, T(N("In step: nothing changed.")), []
    status = status_for_stage(connection.status_map, state.stage_id)
    if not status or (state.pipeline_id and state.pipeline_id != connection.pipeline_id):
        _save_link(tenant, link, remote_stage=state.stage_id, remote_changed_at=state.modified_at)
        return (
            JobStatus.SKIPPED,
            T(N("Stage “%(stage)s” has no status."), stage=connection.stage_name(state.stage_id)),
            [],
        )
    if link.local_changed_at and state.modified_at <= link.local_changed_at:
        # Our change is the later one: it stays, and the deal goes back to its stage.
        _save_link(tenant, link, remote_stage=state.stage_id)
        push = _job(connection, JobKind.PUSH, link=link)
        return (
            JobStatus.DONE,
            T(N("Our status is newer: kept and sent back to the CRM.")),
            [push.pk],
        )
    _save_link(tenant, link, remote_stage=state.stage_id, remote_changed_at=state.modified_at)
    lead = lead_update(
        tenant=tenant,
        actor=None,
        lead_id=link.lead_id,
        changes={"status": status},
        via=connection.get_provider_display(),
    )
    return JobStatus.DONE, T(N("Lead status set to “%(s)s”."), s=_label(lead.status)), []


# --- beat ---------------------------------------------------------------------------------


def jobs_due(now=None, limit: int = 1000) -> list[tuple[str, int]]:
    now = now or timezone.now()
    rows = (
        CrmSyncJob.objects.unscoped()
        .filter(status=JobStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("tenant_id", "pk")[:limit]
    )
    return [(str(tenant_id), pk) for tenant_id, pk in rows]


def jobs_recover_abandoned(now=None) -> int:
    now = now or timezone.now()
    return (
        CrmSyncJob.objects.unscoped()
        .filter(status=JobStatus.RUNNING, claimed_at__lt=now - LEASE)
        .update(status=JobStatus.PENDING, next_attempt_at=now, claimed_at=None)
    )
