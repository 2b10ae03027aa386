"""Every write to a company's CRM connection: connect (amoCRM by OAuth, Bitrix24 by its
incoming webhook), choose the pipeline, edit the mappings, disconnect, retry a sync job.
Admin-only callers; the `webhooks` tool is checked (the CRM sync is sold with it)."""

from __future__ import annotations

import re

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError, Conflict, ProviderError, ValidationFailed
from apps.features.guards import ensure_feature
from apps.integrations.crm import mapping
from apps.integrations.crm.backfill import backfill_active, backfill_counts, leads_unlinked
from apps.integrations.crm.clients import client, provider_message, store_expiry
from apps.integrations.crm.models import (
    BACKFILL_SENDING,
    ConnectionState,
    CrmBackfill,
    CrmConnection,
    CrmSyncJob,
    JobStatus,
    Provider,
    new_oauth_state,
)
from apps.integrations.crm.providers import amocrm
from apps.integrations.crm.providers.bitrix24 import portal_of
from apps.integrations.crm.queue import jobs_queue
from apps.integrations.crm.tasks import prepare_crm_backfill_task
from apps.integrations.outbox import TOOL
from apps.integrations.targets import TargetRefused, target_check
from apps.tenants.audit import AuditAction, audit_record
from apps.tenants.scoping import tenant_scope, unscoped_scope

SUBDOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
BITRIX_WEBHOOK = re.compile(r"^https?://[^/\s]+/rest/\d+/[A-Za-z0-9_]+/?$")


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(_("Some fields are invalid."), fields={field: [message]})


def _check_target(url: str, field: str) -> None:
    try:
        target_check(url)
    except TargetRefused as exc:
        raise _invalid(field, exc.message) from None


def _audit(connection: CrmConnection, actor, event: str, **after) -> None:
    audit_record(
        tenant=connection.tenant,
        actor=actor,
        action=AuditAction.TENANT_SETTINGS_CHANGED,
        target=("crm_connection", connection.pk),
        after={"crm": connection.provider, "event": event, **after},
    )


def amocrm_redirect_uri() -> str:
    return settings.SITE_URL.rstrip("/") + reverse("integrations:crm-amocrm-callback")


def amocrm_connect_start(
    *, tenant, actor, subdomain: str, client_id: str = "", client_secret: str = ""
) -> str:
    """Store a pending amoCRM connection; the URL of amoCRM's consent page to send the admin
    to. The integration's id and secret are the company's own (a private integration) or, when
    left empty, Fast Lead's (settings.AMOCRM_CLIENT_ID / AMOCRM_CLIENT_SECRET)."""
    ensure_feature(tenant, TOOL)
    subdomain = (subdomain or "").strip().lower().removesuffix(".amocrm.ru")
    if not SUBDOMAIN.match(subdomain):
        raise _invalid("subdomain", _("Only the account's name, e.g. mycompany."))
    kept = _kept_client(tenant, subdomain)  # reconnecting the same account: the same integration
    client_id = (client_id or "").strip() or kept.get("client_id") or settings.AMOCRM_CLIENT_ID
    client_secret = (
        (client_secret or "").strip() or kept.get("client_secret") or settings.AMOCRM_CLIENT_SECRET
    )
    if not client_id or not client_secret:
        raise _invalid("client_id", _("Enter the integration's ID and secret key from amoCRM."))
    _check_target(amocrm.account_url(subdomain), "subdomain")
    with transaction.atomic():
        connection = _replace(tenant, Provider.AMOCRM, subdomain)
        connection.credentials = {
            "client_id": client_id,
            "client_secret": client_secret,
            "redirect_uri": amocrm_redirect_uri(),
        }
        connection.oauth_state = new_oauth_state()
        connection.save()
        _audit(connection, actor, "authorization_started")
    return amocrm.authorize_url(client_id=client_id, state=connection.oauth_state)


def _kept_client(tenant, subdomain: str) -> dict:
    current = CrmConnection.objects.for_tenant(tenant).first()
    if current is None or current.provider != Provider.AMOCRM or current.account != subdomain:
        return {}
    return current.credentials


def _replace(tenant, provider: str, account: str) -> CrmConnection:
    """The company's connection, started over (another CRM or account drops the old links)."""
    current = CrmConnection.objects.for_tenant(tenant).first()
    if current is not None and (current.provider != provider or current.account != account):
        current.delete()
        current = None
    connection = current or CrmConnection(tenant=tenant, provider=provider)
    connection.account = account
    connection.state, connection.last_error = ConnectionState.PENDING, ""
    return connection


def amocrm_connect_finish(*, state: str, code: str, referer: str = "") -> CrmConnection:
    """amoCRM's redirect back: the `state` names the pending connection (once); the code is
    exchanged for tokens, the pipelines are read and the main one chosen."""
    if not state or not code:
        raise ApplicationError(_("amoCRM did not send an authorization code."), code="oauth_failed")
    with unscoped_scope():
        connection = (
            CrmConnection.objects.filter(oauth_state=state, provider=Provider.AMOCRM)
            .select_related("tenant")
            .first()
        )
    if connection is None:
        raise ApplicationError(
            _("This authorization link is used or unknown. Connect amoCRM again."),
            code="oauth_state_unknown",
        )
    with tenant_scope(connection.tenant):
        return _amocrm_finish(connection, code, referer)


def _amocrm_finish(connection: CrmConnection, code: str, referer: str) -> CrmConnection:
    host = (referer or "").strip().lower()
    if host.endswith(".amocrm.ru") and SUBDOMAIN.match(host.removesuffix(".amocrm.ru")):
        connection.account = host.removesuffix(".amocrm.ru")
    creds = connection.credentials
    CrmConnection.objects.filter(pk=connection.pk).update(oauth_state="")  # used once
    connection.oauth_state = ""
    try:
        connection.credentials = amocrm.exchange_code(
            subdomain=connection.account,
            client_id=creds.get("client_id", ""),
            client_secret=creds.get("client_secret", ""),
            code=code,
            redirect_uri=creds.get("redirect_uri", ""),
        )
        store_expiry(connection)
        _connected(connection)
    except ProviderError as exc:
        _failed(connection, exc)
        raise ApplicationError(exc.user_message or provider_message(exc), code=exc.code) from None
    _audit(connection, None, "connected", account=connection.account)
    return connection


def _connected(connection: CrmConnection, pipeline_id: str = "") -> None:
    """Read the pipelines (which also proves the credentials) and choose one."""
    pipelines = client(connection).pipelines()
    if not pipelines:
        raise ProviderError(
            "no pipelines",
            permanent=True,
            code="no_pipelines",
            user_message=_("The CRM has no deal pipeline to put leads in."),
        )
    chosen = next((p for p in pipelines if p.id == pipeline_id), pipelines[0])
    connection.pipelines = [{"id": p.id, "name": p.name} for p in pipelines]
    _pipeline_apply(connection, chosen)
    connection.state, connection.last_error = ConnectionState.CONNECTED, ""
    connection.connected_at = timezone.now()
    if not connection.field_map:
        connection.field_map = dict(mapping.DEFAULT_FIELDS[connection.provider])
    connection.save()


def _pipeline_apply(connection: CrmConnection, pipeline) -> None:
    changed = connection.pipeline_id != pipeline.id
    connection.pipeline_id, connection.pipeline_name = pipeline.id, pipeline.name
    connection.stages = [{"id": s.id, "name": s.name} for s in pipeline.stages]
    if changed or not connection.status_map:
        connection.status_map = mapping.default_status_map(connection.provider, connection.stages)


def _failed(connection: CrmConnection, exc: ProviderError) -> None:
    connection.state = ConnectionState.ERROR
    connection.last_error = (exc.user_message or provider_message(exc))[:500]
    connection.save()


def bitrix24_connect(
    *, tenant, actor, webhook_url: str, application_token: str = ""
) -> CrmConnection:
    """Connect Bitrix24 by its incoming webhook (checked by reading the pipelines at once:
    a wrong URL or token is a field error, nothing is kept)."""
    ensure_feature(tenant, TOOL)
    webhook_url = (webhook_url or "").strip()
    if not BITRIX_WEBHOOK.match(webhook_url):
        raise _invalid(
            "webhook_url", _("Paste the whole address: https://portal.bitrix24.ru/rest/1/token/")
        )
    _check_target(webhook_url, "webhook_url")
    with transaction.atomic():
        connection = _replace(tenant, Provider.BITRIX24, portal_of(webhook_url))
        connection.credentials = {
            "webhook_url": webhook_url,
            "application_token": (application_token or "").strip(),
        }
        try:
            _connected(connection)
        except ProviderError as exc:
            transaction.set_rollback(True)
            raise _invalid("webhook_url", exc.user_message or provider_message(exc)) from None
        _audit(connection, actor, "connected", account=connection.account)
    return connection


def bitrix24_token_set(connection: CrmConnection, application_token: str, *, actor=None) -> None:
    """The token Bitrix24 puts in its outbound events (`auth[application_token]`)."""
    ensure_feature(connection.tenant, TOOL)
    creds = connection.credentials
    creds["application_token"] = (application_token or "").strip()
    connection.credentials = creds
    connection.save(update_fields=["credentials_encrypted", "updated_at"])
    _audit(connection, actor, "application_token_set")


def pipeline_choose(connection: CrmConnection, *, actor, pipeline_id: str) -> CrmConnection:
    """Use another pipeline: the stages are read again and the status map starts over."""
    ensure_feature(connection.tenant, TOOL)
    try:
        pipelines = client(connection).pipelines()
    except ProviderError as exc:
        raise ApplicationError(exc.user_message or provider_message(exc), code=exc.code) from None
    connection.pipelines = [{"id": p.id, "name": p.name} for p in pipelines]
    chosen = next((p for p in pipelines if p.id == str(pipeline_id)), None)
    if chosen is None:
        connection.save(update_fields=["pipelines", "updated_at"])
        raise _invalid("pipeline_id", _("No such pipeline in the CRM."))
    _pipeline_apply(connection, chosen)
    connection.save()
    _audit(connection, actor, "pipeline_chosen", pipeline_id=chosen.id)
    return connection


def pipelines_list(connection: CrmConnection) -> list:
    """The CRM's pipelines, read now (an error gives none)."""
    try:
        return client(connection).pipelines()
    except ProviderError:
        return []


def status_map_set(connection: CrmConnection, *, actor, status_map: dict) -> CrmConnection:
    ensure_feature(connection.tenant, TOOL)
    connection.status_map = mapping.status_map_clean(connection.stages, status_map)
    connection.save(update_fields=["status_map", "updated_at"])
    _audit(connection, actor, "status_map_changed")
    return connection


def field_map_set(connection: CrmConnection, *, actor, field_map: dict) -> CrmConnection:
    ensure_feature(connection.tenant, TOOL)
    connection.field_map = mapping.field_map_clean(connection.provider, field_map)
    connection.save(update_fields=["field_map", "updated_at"])
    _audit(connection, actor, "field_map_changed")
    return connection


def disconnect(connection: CrmConnection, *, actor) -> None:
    """Forget the connection, its tokens, links and log (the CRM keeps its deals)."""
    _audit(connection, actor, "disconnected", account=connection.account)
    connection.delete()


def job_retry(job: CrmSyncJob) -> CrmSyncJob:
    """Run a failed (or waiting) job again now, with the whole backoff schedule ahead."""
    ensure_feature(job.connection.tenant, TOOL)
    with transaction.atomic():
        CrmSyncJob.objects.for_tenant(job.tenant_id).filter(pk=job.pk).exclude(
            status=JobStatus.RUNNING
        ).update(
            status=JobStatus.PENDING, attempts=0, next_attempt_at=timezone.now(), last_error={}
        )
        job.refresh_from_db()
        jobs_queue(job.tenant_id, [job.pk])
    return job


def _backfill_running(tenant, backfill: CrmBackfill) -> Conflict:
    done = backfill_counts(tenant, backfill)["done"]
    return Conflict(
        _("Existing leads are being sent already (%(done)s of %(total)s). Wait until it finishes.")
        % {"done": done, "total": backfill.total},
        code="backfill_running",
    )


def _person(actor):
    """The user behind an action (an API key or the system is nobody; the audit names it)."""
    is_user = getattr(actor, "pk", None) and not getattr(actor, "is_api_key", False)
    return actor if is_user else None


def backfill_start(*, tenant, actor, since=None) -> CrmBackfill:
    """Send the company's leads that have no deal yet (all, or created since `since`) to the
    CRM, in the background. Refused while another backfill of the connection is preparing or
    sending, and when there is nothing to send; one that only waits for retries does not
    block (its leads are linked: not chosen again). Who started it is audited."""
    ensure_feature(tenant, TOOL)
    connection = CrmConnection.objects.for_tenant(tenant).first()
    if connection is None or not connection.is_ready:
        raise Conflict(_("Connect a CRM and choose a pipeline first."), code="crm_not_connected")
    running = backfill_active(tenant, connection)
    if running is not None:
        raise _backfill_running(tenant, running)
    if not leads_unlinked(tenant, connection, since).exists():
        raise Conflict(
            _("Nothing to send: these leads are in the CRM already or waiting for a retry."),
            code="nothing_to_send",
        )
    try:
        with transaction.atomic():
            backfill = CrmBackfill.objects.create(
                tenant=tenant, connection=connection, started_by=_person(actor), since=since
            )
            _audit(connection, actor, "backfill_started", backfill=backfill.pk, since=since)
    except IntegrityError:  # another admin pressed at the same moment
        running = (
            CrmBackfill.objects.for_tenant(tenant)
            .filter(connection=connection, state__in=BACKFILL_SENDING)
            .first()
        )
        raise _backfill_running(tenant, running) from None
    tenant_id = str(tenant.pk)
    transaction.on_commit(lambda: prepare_crm_backfill_task.delay(tenant_id, backfill.pk))
    return backfill
