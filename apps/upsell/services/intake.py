"""Upsell radar's intake: a helpdesk ticket comes in, is classified once per content version,
and a signal above the threshold opens a case whose person becomes a lead in the upsell list."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.ai.client import get_llm_client
from apps.ai.providers.base import ProviderError as AIProviderError
from apps.leads.identity import InvalidPhone, normalize_email, normalize_phone
from apps.leads.ingestion.service import CREATED, MERGED, ingest_leads
from apps.leads.models import Lead, LeadList, ListKind, Source
from apps.leads.services import lead_note_add
from apps.upsell import drafts, tasks  # tasks imports this module: modules, not names
from apps.upsell.helpdesk import TicketIn
from apps.upsell.models import (
    DEDUPE_DAYS,
    CaseStatus,
    CaseTransition,
    CatalogueItem,
    Classification,
    OutreachClaim,
    Ticket,
    UpsellCase,
    WorkStatus,
)
from apps.upsell.prompt import OFFLINE_MAX_SCORE, build_classification_request
from apps.upsell.services import decisions  # imports tasks, which imports this module
from apps.upsell.services.configuration import upsell_settings_get
from apps.upsell.transitions import case_transition

UPSELL_LIST_NAME = "Upsell"
STALE_CLAIM = timedelta(minutes=15)


# --- tickets in ----------------------------------------------------------------------------


def content_hash(data: TicketIn) -> str:
    blob = json.dumps([data.subject, data.body, sorted(data.tags)], ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def ticket_receive(tenant, source: str, data: TicketIn) -> tuple[Ticket, bool]:
    """Store (or update) a ticket, idempotent on (source, helpdesk id). Answers (ticket,
    queued): a new content version queues its classification after commit; the same content
    again queues nothing."""
    version = content_hash(data)
    fields = {
        "requester_name": data.requester_name,
        "requester_email": normalize_email(data.requester_email),
        "requester_phone": data.requester_phone,
        "requester_marketing_consent": data.marketing_consent,
        "subject": data.subject,
        "body": data.body,
        "status": data.status,
        "tags": data.tags,
        "opened_at": data.opened_at,
        "closed_at": data.closed_at,
    }
    with transaction.atomic():
        ticket = (
            Ticket.objects.for_tenant(tenant)
            .select_for_update()
            .filter(source=source, external_id=data.external_id)
            .first()
        )
        if ticket is None:
            try:
                with transaction.atomic():
                    ticket = Ticket.objects.create(
                        tenant=tenant, source=source, external_id=data.external_id,
                        content_hash=version, **fields,
                    )  # fmt: skip
            except IntegrityError:  # a concurrent delivery of the same ticket won
                return Ticket.objects.for_tenant(tenant).get(
                    source=source, external_id=data.external_id
                ), False
            changed = True
        else:
            changed = ticket.content_hash != version
            for name, value in fields.items():
                setattr(ticket, name, value)
            ticket.content_hash = version
            if changed:
                ticket.classification_status = WorkStatus.PENDING
            ticket.save()
        if changed:
            tasks.enqueue_classify(tenant.pk, ticket.pk)
    return ticket, changed


# --- classification ------------------------------------------------------------------------


def ticket_classify(tenant, ticket_id: int) -> Classification | None:
    """Classify the ticket's current content version once (Claude through apps.ai, or the
    offline heuristic), then open a case when the score reaches the tenant's threshold."""
    ticket = Ticket.objects.for_tenant(tenant).filter(pk=ticket_id).first()
    if ticket is None:
        return None
    done = Classification.objects.for_tenant(tenant).filter(
        ticket=ticket, content_hash=ticket.content_hash
    )
    if done.exists():
        return done.first()
    # A RUNNING claim older than STALE_CLAIM was left by a killed worker: take it over.
    stale = timezone.now() - STALE_CLAIM
    claimed = (
        Ticket.objects.for_tenant(tenant)
        .filter(pk=ticket.pk, content_hash=ticket.content_hash)
        .filter(~Q(classification_status=WorkStatus.RUNNING) | Q(updated_at__lt=stale))
        .update(classification_status=WorkStatus.RUNNING, updated_at=timezone.now())
    )
    if not claimed:
        return None
    catalogue = list(CatalogueItem.objects.for_tenant(tenant).filter(active=True))
    request = build_classification_request(ticket, catalogue, tenant_id=tenant.pk)
    try:
        result = get_llm_client("anthropic").structured(request)
    except AIProviderError as exc:
        _ticket_state(tenant, ticket, WorkStatus.FAILED, f"{exc.code}: {exc.message}"[:300])
        if not exc.permanent:
            raise
        return None
    answer = result.data
    score = Decimal(str(round(answer.score, 3)))
    if result.offline:
        score = min(score, Decimal(str(OFFLINE_MAX_SCORE)))
    product, tier = _catalogue_match(catalogue, answer.recommended_product, answer.recommended_tier)
    try:
        with transaction.atomic():
            row = Classification.objects.create(
                tenant=tenant, ticket=ticket, content_hash=ticket.content_hash,
                upsell_signal=answer.upsell_signal, score=score, rationale=answer.rationale,
                recommended_product=product, recommended_tier=tier,
                evidence_quotes=[q for q in answer.evidence_quotes if q][:5],
                model=result.model_version or result.model, input_tokens=result.input_tokens,
                output_tokens=result.output_tokens, cost=result.cost, offline=result.offline,
                ai_usage_id=result.usage_id,
            )  # fmt: skip
    except IntegrityError:
        return Classification.objects.for_tenant(tenant).get(
            ticket=ticket, content_hash=ticket.content_hash
        )
    _ticket_state(tenant, ticket, WorkStatus.DONE, "")
    if row.upsell_signal and row.score >= upsell_settings_get(tenant).threshold:
        case_open(tenant, ticket, row)
    return row


def _ticket_state(tenant, ticket, status: str, error: str) -> None:
    Ticket.objects.for_tenant(tenant).filter(pk=ticket.pk).update(
        classification_status=status, classification_error=error
    )


def _catalogue_match(catalogue, product: str, tier: str) -> tuple[str, str]:
    """The model's recommendation only if it names a catalogue entry (case-insensitive)."""
    wanted = (product or "").strip().lower(), (tier or "").strip().lower()
    for item in catalogue:
        if item.product.lower() == wanted[0] and (not wanted[1] or item.tier.lower() == wanted[1]):
            return item.product, item.tier if wanted[1] else ""
    return "", ""


# --- cases ---------------------------------------------------------------------------------


def _person_key(ticket: Ticket) -> str:
    if ticket.requester_email:
        return f"e:{normalize_email(ticket.requester_email)}"
    try:
        phone = normalize_phone(ticket.requester_phone)
    except InvalidPhone:
        phone = ""
    return f"p:{phone}" if phone else ""


def _claim(tenant, person: str, product: str) -> OutreachClaim | None:
    """Take (person, product) for 30 days; None when it was taken more recently. Race-safe:
    the unique constraint admits one new row, the conditional update one renewal."""
    now = timezone.now()
    cutoff = now - timedelta(days=DEDUPE_DAYS)
    key = product.lower()[:120]
    try:
        with transaction.atomic():
            return OutreachClaim.objects.create(
                tenant=tenant, person_key=person, product_key=key, claimed_at=now
            )
    except IntegrityError:
        pass
    rows = OutreachClaim.objects.for_tenant(tenant).filter(person_key=person, product_key=key)
    if rows.filter(claimed_at__lt=cutoff).update(claimed_at=now, case=None):
        return rows.get()
    return None


def case_open(tenant, ticket: Ticket, classification: Classification) -> UpsellCase | None:
    """A case for a ticket above the threshold: never twice per ticket, nor for the same
    person and product within 30 days; the person becomes a lead in the upsell list."""
    if UpsellCase.objects.for_tenant(tenant).filter(ticket=ticket).exists():
        return None
    person = _person_key(ticket)
    if not person:
        _ticket_state(tenant, ticket, WorkStatus.DONE, "no e-mail or phone: no case")
        return None
    with transaction.atomic():
        claim = _claim(tenant, person, classification.recommended_product)
        if claim is None:
            _ticket_state(tenant, ticket, WorkStatus.DONE, "same person and product < 30 days")
            return None
        try:
            with transaction.atomic():
                case = UpsellCase.objects.create(
                    tenant=tenant, ticket=ticket, classification=classification,
                    score=classification.score, product=classification.recommended_product,
                    tier=classification.recommended_tier, person_key=person,
                )  # fmt: skip
        except IntegrityError:
            return None  # the ticket's case exists (a concurrent classification)
        OutreachClaim.objects.for_tenant(tenant).filter(pk=claim.pk).update(case=case)
    _history_start(case, classification)
    return _case_make_lead(tenant, case)


def _history_start(case: UpsellCase, classification: Classification) -> None:
    from_label = "offline heuristic" if classification.offline else classification.model
    CaseTransition.objects.create(
        tenant_id=case.tenant_id, case=case, from_status="", to_status=CaseStatus.IDENTIFIED,
        actor_label=f"classifier ({from_label})"[:60],
        reason=f"score {classification.score}",
    )  # fmt: skip


def upsell_list(tenant) -> LeadList:
    existing = LeadList.objects.for_tenant(tenant).filter(kind=ListKind.UPSELL).order_by("id")
    found = existing.first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return LeadList.objects.create(
                tenant=tenant, name=UPSELL_LIST_NAME, kind=ListKind.UPSELL
            )
    except IntegrityError:
        return LeadList.objects.for_tenant(tenant).get(name__iexact=UPSELL_LIST_NAME)


def _case_make_lead(tenant, case: UpsellCase) -> UpsellCase:
    ticket, cls = case.ticket, case.classification
    item = {
        "name": ticket.requester_name,
        "email": ticket.requester_email,
        "phone": _phone_or_blank(ticket.requester_phone),
        "lead_type": "upsell",
        "consent": {"marketing": bool(ticket.requester_marketing_consent)},
    }
    outcome = ingest_leads(
        tenant=tenant, items=[item], source=Source.API, lead_list=upsell_list(tenant),
        consent_source=f"helpdesk ticket {ticket}"[:200],
    )  # fmt: skip
    result = outcome.results[0]
    if result.status not in (CREATED, MERGED):
        reason = "; ".join(f"{k}: {', '.join(v)}" for k, v in result.errors.items())
        return case_transition(case, CaseStatus.FAILED, reason=f"lead refused: {reason}"[:500])
    note = _("Upsell signal in support ticket %(ref)s (score %(score)s): %(why)s") % {
        "ref": str(ticket), "score": cls.score, "why": cls.rationale,
    }  # fmt: skip
    lead_note_add(tenant=tenant, actor=None, lead_id=result.lead_id, body=note[:4000])
    lead = Lead.objects.for_tenant(tenant).get(pk=result.lead_id)
    draft = drafts.draft_outreach(tenant, case, lead)
    case_transition(
        case, CaseStatus.LEAD_CREATED, label="system", reason=f"lead {lead.pk}",
        lead=lead, **draft,
    )  # fmt: skip
    auto = upsell_settings_get(tenant).auto_approve_threshold
    if auto is not None and case.score >= auto:
        return decisions.case_approve(case, actor=None, via="auto", reason=f"score ≥ {auto}")
    return case_transition(case, CaseStatus.AWAITING_APPROVAL, label="system")


def _phone_or_blank(value: str) -> str:
    try:
        return normalize_phone(value)
    except InvalidPhone:
        return ""
