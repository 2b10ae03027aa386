"""The public widget API: /api/public/v1/widget/{publishable_key}/ (config) and …/leads/.

No authentication and no CSRF (a public, cross-origin endpoint): the publishable key names the
tenant, CORS admits only the tenant's own origins (apps/tenants/cors.py), a honeypot field and
per-IP and per-key rate limits stop bots. Plain Django views, not DRF: this is the hottest
public path. The key lookup, both rate counters and the tenant's settings, entitlements and
flags are one Redis round trip (apps/leads/public_gate.py); the submission is validated and
queued in one statement (apps/leads/widget_intake.py: a worker stores the queue in batches
through `ingest_leads`), or, on SQLite (the embedded default), stored by `ingest_leads` here.
The answer is the same whether the lead was created or merged, and says nothing about other
leads.

Submissions (and the queue's rows) commit without waiting for the WAL flush (`durable=False`,
see `ingest_leads`; set LEADS_WIDGET_DURABLE_COMMIT = True to wait for the leads): under disk
load the flush dominated a submission and, with the tenant's ingestion lock held through it,
capped a tenant's widget at a few hundred submissions a second. The price is that a crash of
the database server within a fraction of a second of the answer could lose that submission.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse, Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError

from apps.core.tenant_flags import tenant_flag_keys, tenant_flags_prefetched
from apps.features.selectors import entitlements_cache_keys, entitlements_get
from apps.leads import public_gate as gate
from apps.leads.ingestion import ingest_leads
from apps.leads.ingestion.schema import field_errors, refresh_latest, text, validate_item
from apps.leads.models import Source
from apps.leads.source_tokens import source_token_read
from apps.leads.tasks import widget_intake_wake
from apps.leads.widget_assets import asset_storage
from apps.leads.widget_availability import answer_503_when_database_down
from apps.leads.widget_config import (
    LANGUAGES,
    missing_required,
    offered_channels,
    public_config,
    visitor_language,
    widget_config_cache_key,
)
from apps.leads.widget_hooks import (
    public_config_extras,
    submissions_refused,
    visitor_lead_remember,
)
from apps.leads.widget_intake import (
    Enqueued,
    Submission,
    intake_available,
    intake_enqueue,
    intake_wake_due,
)
from apps.tenants.keys import (
    WidgetTenant,
)

HONEYPOT = "hp_field"
RECEIVED = {"status": "received"}


class WidgetConsents(BaseModel):
    """Consent is a real JSON boolean: "yes", 1 or "true" are not consent."""

    model_config = ConfigDict(extra="forbid")

    processing: StrictBool = False
    marketing: StrictBool = False


class WidgetSubmission(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: text(200) = ""
    email: text(254) = ""
    phone: text(40) = ""
    company: text(200) = ""
    message: text(5000) = ""
    # Sent from the dashboard's demo page: a real lead, its action marked as a test.
    test: StrictBool = False
    channel: text(40) = ""  # the channel the visitor chose to be answered in, if offered
    consents: WidgetConsents = Field(default_factory=WidgetConsents)
    page_url: text(2000) = ""
    utm: dict[text(50), text(200)] = Field(default_factory=dict, max_length=10)
    hp_field: str = ""
    # The script's id for one press of "Send", repeated by its retries (RECEIVED_MEMORY).
    submission_id: uuid.UUID | None = None
    # Set by a page hosted by Fast Lead (HyroPage): a signed source, see source_tokens.py.
    source_token: text(1000) = ""


# A retried submission (the answer to the first one was lost on the way) is answered as
# received and stored once. Kept in the cache: without Redis a retry may add one more action
# to the same lead (the lead itself merges), never lose one.
RECEIVED_MEMORY_SECONDS = 24 * 3600


# --- views ----------------------------------------------------------------------------------


@csrf_exempt
@require_GET
@answer_503_when_database_down
def widget_config(request, publishable_key: str):
    """What the widget shows: the company's name, the fields and the consent texts."""
    widget, error = gate.enter(request, "cfg", publishable_key)
    if error:
        return error
    refused = gate.origin_refused(request, widget)
    if refused is not None:
        return refused
    response = JsonResponse(_public_config(request, widget, publishable_key))
    response["Cache-Control"] = "public, max-age=60"
    return response


def _public_config(request, widget: WidgetTenant, key: str) -> dict:
    lang = request.GET.get("lang", "") or visitor_language()
    lang = lang if lang in LANGUAGES else visitor_language()
    return {
        "tenant": {"name": widget.name},
        **public_config(widget.tenant_id, widget.name, lang),
        "honeypot_field": HONEYPOT,
        "submit_url": request.build_absolute_uri(f"/api/public/v1/widget/{key}/leads/"),
        # Steps the apps above add (booking): apps/leads/widget_hooks.py.
        **public_config_extras(
            widget.tenant_id, request.build_absolute_uri(f"/api/public/v1/widget/{key}/")
        ),
    }


@csrf_exempt
@require_POST
@answer_503_when_database_down
def widget_submit(request, publishable_key: str):
    """A visitor's contact request: 201 {"status": "received"} whether created or merged."""
    widget, error, found = gate.enter_reading(request, "submit", publishable_key, _read_ahead)
    if error:
        return error
    if not gate.sent_from_allowed_site(request, widget):
        return gate.error_response(
            "origin_not_allowed",
            _("This site is not allowed to send requests to this form."),
            403,
        )
    body, error = gate.read_body(request)
    if error:
        return error
    if isinstance(body, dict) and body.get(HONEYPOT):
        return JsonResponse(RECEIVED, status=201)  # a bot: look successful, store nothing
    if found is None:  # the first submission through this key in this process
        found = cache.get_many(_read_ahead(widget.tenant_id))
    submission, error = _validate(body, widget, found)
    if error:
        return error
    hosted = _hosted_source(request, widget, submission)
    if intake_available():
        return _queue(widget, submission, hosted, found)
    mark = _received_mark(widget, submission)
    if mark and cache.get(mark):
        return JsonResponse(RECEIVED, status=201)
    response = _store(widget, submission, hosted, found)
    if mark and response.status_code == 201:
        cache.set(mark, 1, RECEIVED_MEMORY_SECONDS)
    return response


def _received_mark(widget: WidgetTenant, submission: WidgetSubmission) -> str | None:
    if submission.submission_id is None:
        return None
    return f"widget:received:{widget.tenant_id}:{submission.submission_id}"


def _read_ahead(tenant_id: str) -> list[str]:
    """Everything per tenant a submission reads from the cache, read with the gate's round
    trip: the form's settings, the entitlements (with billing's limits) and the flags."""
    keys = [widget_config_cache_key(tenant_id), *entitlements_cache_keys(tenant_id)]
    return keys + tenant_flag_keys(tenant_id)


def _validate(body, widget: WidgetTenant, found: dict):
    if not isinstance(body, dict):
        return None, gate.error_response("invalid", _("Send a JSON object."), 400)
    try:
        submission = WidgetSubmission.model_validate(body)
    except ValidationError as exc:
        return None, gate.error_response(
            "invalid", _("Some fields are invalid."), 400, field_errors(exc)
        )
    fields = {}
    if not submission.consents.processing:
        fields["consents.processing"] = [
            _("Consent to the processing of personal data is required.")
        ]
    if not (submission.email or submission.phone):
        fields["email"] = fields["phone"] = [_("Give an e-mail or a phone.")]
    channel = submission.channel
    if channel and channel not in offered_channels(widget.tenant_id, found=found):
        fields["channel"] = [_("Choose one of the offered channels.")]
    for name in missing_required(widget.tenant_id, submission.model_dump(), found=found):
        fields[name] = [_("This field is required.")]
    if fields:
        return None, gate.error_response("invalid", _("Some fields are invalid."), 400, fields)
    return submission, None


def _hosted_source(request, widget: WidgetTenant, submission: WidgetSubmission):
    """The signed source of a page hosted by Fast Lead, only when sent from Fast Lead's own
    origin (a token copied onto another site records the lead as "widget")."""
    if not submission.source_token or not gate.sent_from_fastlead(request):
        return None
    return source_token_read(submission.source_token, widget.tenant_id)


def _queue(widget: WidgetTenant, submission: WidgetSubmission, hosted, found):
    """Answer once the submission is valid and queued (apps/leads/widget_intake.py): one
    statement, with the lead held on a hard-limited plan's meter; a retried press is queued
    once."""
    tenant = gate.widget_tenant(widget)
    entitlements = entitlements_get(tenant, found=found)
    if _refused(widget, entitlements, found):
        return gate.unavailable()
    item = _item(submission, hosted)
    refresh_latest()  # the "no later than tomorrow" bound, as ingestion moves it per batch
    _clean, errors = validate_item(item)  # what ingestion will check: refused now, not later
    if errors:
        return gate.error_response("invalid", _("Some fields are invalid."), 400, errors)
    queued = Submission(
        item=item,
        source=_source(hosted),
        consent_source=_consent_source(submission),
        submission_id=submission.submission_id,
    )
    if intake_enqueue(tenant, entitlements, queued) == Enqueued.FULL:
        return gate.unavailable()
    if intake_wake_due():
        widget_intake_wake()
    return JsonResponse(RECEIVED, status=201)


def _source(hosted) -> str:
    return hosted.source if hosted is not None else Source.WIDGET.value


def _consent_source(submission: WidgetSubmission) -> str:
    return submission.page_url or "widget"


def _refused(widget: WidgetTenant, entitlements, found: dict) -> bool:
    """A blocked or closed company takes no submissions (flags read ahead: no round trip)."""
    with tenant_flags_prefetched(widget.tenant_id, found=found):
        return entitlements.is_blocked or submissions_refused(widget.tenant_id)


def _store(widget: WidgetTenant, submission: WidgetSubmission, hosted, found: dict):
    # Only the key's tenant id is known (cached): a Tenant with just its id is all
    # ingestion needs, and saves a query on every submission.
    tenant = gate.widget_tenant(widget)
    entitlements = entitlements_get(tenant, found=found)  # read ahead: no round trip
    if _refused(widget, entitlements, found):
        return gate.unavailable()
    # Every per-tenant flag this submission and its events ask, read ahead.
    with tenant_flags_prefetched(widget.tenant_id, found=found):
        outcome = ingest_leads(
            tenant=tenant,
            items=[_item(submission, hosted)],
            source=_source(hosted),
            consent_source=_consent_source(submission),
            durable=getattr(settings, "LEADS_WIDGET_DURABLE_COMMIT", False),
            entitlements=entitlements,
        )
    if outcome.quota_error is not None:
        return gate.unavailable()
    result = outcome.results[0]
    if result.status == "rejected":
        return gate.error_response("invalid", _("Some fields are invalid."), 400, result.errors)
    if submission.submission_id:  # the widget's next step (booking) acts for this lead
        visitor_lead_remember(widget.tenant_id, submission.submission_id, result.lead_id)
    return JsonResponse(RECEIVED, status=201)


def _item(submission: WidgetSubmission, hosted) -> dict:
    """The submission as an ingestion item: the person, the consents and one action."""
    metadata = {"page_url": submission.page_url} if submission.page_url else {}
    if hosted is not None:
        metadata[f"{hosted.source}_ref"] = hosted.ref  # e.g. hyropage_ref: the page's id
    if submission.utm:
        metadata["utm"] = submission.utm
    if submission.channel:
        metadata["preferred_channel"] = submission.channel
    if submission.test:
        metadata["test"] = True
    return {
        "name": submission.name,
        "email": submission.email,
        "phone": submission.phone,
        "company": submission.company,
        "message": submission.message,
        "consent": {"processing": True, "marketing": submission.consents.marketing},
        "actions": [
            {
                "action_type": "Form Submission",
                "timestamp": datetime.now(UTC),
                "engagement_level": "High",
                "channel": Source.WIDGET.value,
                "metadata": metadata,
            }
        ],
    }


@require_GET
def widget_asset_file(request, name: str):
    """A widget image from local storage (the embedded default; on S3 the bucket serves them).
    Public: the widget shows them on the tenant's site. Names are random, so not guessable."""
    storage = asset_storage()
    if not isinstance(storage, FileSystemStorage) or not name.endswith(".png"):
        raise Http404
    try:
        handle = storage.open(name, "rb")
    except (FileNotFoundError, SuspiciousFileOperation, IsADirectoryError):
        raise Http404 from None
    response = FileResponse(handle, content_type="image/png")
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response
