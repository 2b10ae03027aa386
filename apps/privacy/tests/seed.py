"""A lead whose data is in every place a person's data can live, each holding the canary."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from apps.booking.models import Booking
from apps.enrichment.models import EnrichmentRun, LeadEnrichment
from apps.hyropage.models import HyroPage
from apps.integrations.models import (
    CrmConnection,
    CrmLeadLink,
    CrmSyncJob,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from apps.leads.models import Customer, Lead, LeadAction, TimelineEntry, WidgetIntake
from apps.messaging.models import Conversation, LeadAddress, Message, Suppression
from apps.messaging.rules.models import Decision, Event, Rule, RuleVersion
from apps.payperlead.models import BillingLine, BillingReport, RateCard
from apps.privacy.models import ConsentRecord
from apps.upsell.models import Classification, OutreachClaim, Ticket, UpsellCase

WHEN = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def make_canary() -> dict:
    token = uuid.uuid4().hex[:10]
    digits = str(int(token, 16))[-7:].rjust(7, "1")
    return {
        "token": f"cnry{token}",
        "email": f"cnry{token}@canary.test",
        "phone": f"+7999{digits}",
        "digits": f"999{digits}",
    }


def seed_lead(tenant, canary: dict, *, n: int = 0) -> Lead:
    """One lead of `tenant` with the canary everywhere a person's data is kept."""
    t, email, phone = canary["token"], canary["email"], canary["phone"]
    lead = Lead.objects.create(
        tenant=tenant,
        person_key=f"e:{email}",
        identity_key=f"0:0:e:{email}",
        external_id=f"ext-{t}",
        name=f"Name {t}",
        email=email,
        phone=phone,
        company=f"Company {t}",
        role=f"Role {t}",
        website=f"https://{t}.example",
        pain_point=f"Pain {t}",
        source="widget",
        consent_processing=True,
        consent_processing_at=WHEN,
        consent_marketing=True,
        consent_marketing_at=WHEN,
        consent_source=f"https://site.example/?who={t}",
        not_determined={"industry": t},
        manual_fields=["name"],
    )
    LeadAction.objects.create(
        tenant=tenant, lead=lead, action_type="Form Submission", engagement_level="High",
        occurred_at=WHEN, metadata={"page_url": f"https://site.example/{t}", "message": t},
    )  # fmt: skip
    TimelineEntry.objects.create(
        tenant=tenant, lead=lead, kind="note", body=f"Called {t}", data={"text": t}
    )
    # a widget submission that could not be stored: its form waits, with no lead, to expire
    WidgetIntake.objects.create(
        tenant=tenant, received_at=WHEN, failed_at=WHEN, error="ValidationFailed",
        payload={"item": {"email": email.upper(), "phone": phone, "message": t}},
    )  # fmt: skip
    ConsentRecord.objects.create(
        tenant=tenant, lead=lead, purpose="processing", granted=True, source=f"page {t}"
    )
    _messaging(tenant, lead, canary, n)
    _enrichment_booking(tenant, lead, canary)
    _webhooks(tenant, lead, canary, n)
    _billing_line(tenant, lead, canary, n)
    _upsell(tenant, lead, canary, n)
    _hyropage_and_crm(tenant, lead, canary, n)
    return lead


def _upsell(tenant, lead, canary, n):
    t, email = canary["token"], canary["email"]
    ticket = Ticket.objects.create(
        tenant=tenant, source="generic", external_id=f"T{n}", requester_name=f"Name {t}",
        requester_email=email, requester_phone=canary["phone"], subject=f"Limit {t}",
        body=f"We are {t}", tags=[t], content_hash="h", received_at=WHEN,
    )  # fmt: skip
    found = Classification.objects.create(
        tenant=tenant, ticket=ticket, content_hash="h", upsell_signal=True, score="0.9",
        rationale=f"{t} needs more", evidence_quotes=[f"We are {t}"],
    )  # fmt: skip
    case = UpsellCase.objects.create(
        tenant=tenant, ticket=ticket, classification=found, lead=lead, score="0.9",
        person_key=f"e:{email}", email_subject=f"Hi {t}", email_body=f"Dear {t}",
        call_script=f"Call {t}", call_summary=f"{t} agreed", call_transcript=f"{t}: yes",
    )  # fmt: skip
    claim = {"person_key": f"e:{email}", "product_key": "pro"}
    OutreachClaim.objects.create(tenant=tenant, case=case, **claim)


def _hyropage_and_crm(tenant, lead, canary, n):
    t = canary["token"]
    HyroPage.objects.create(
        tenant=tenant, slug=f"for-{t}", product="Offer", audience="owners", lead=lead,
        content={"headline": f"Hello, {t}"},
    )  # fmt: skip
    connection = CrmConnection.objects.create(tenant=tenant, provider="amocrm", account=f"acc{n}")
    link = CrmLeadLink.objects.create(tenant=tenant, connection=connection, lead=lead, deal_id="7")
    CrmSyncJob.objects.create(
        tenant=tenant, connection=connection, link=link, kind="push",
        result={"msgid": "Deal %(name)s", "params": {"name": t}},
        last_error={"msgid": "Refused", "params": {"email": canary["email"]}},
    )  # fmt: skip


def _messaging(tenant, lead, canary, n):
    t, email = canary["token"], canary["email"]
    conversation = Conversation.objects.create(
        tenant=tenant, lead=lead, last_message_at=WHEN, last_message_preview=f"Hi {t}"
    )
    Message.objects.create(
        tenant=tenant, conversation=conversation, lead=lead, direction="in",
        channel_kind="email", address=email, subject=f"Re {t}", body=f"Body {t}",
        status="received", idempotency_key=f"msg-{uuid.uuid4().hex}", error=f"err {t}",
        created_at=WHEN,
    )  # fmt: skip
    LeadAddress.objects.create(tenant=tenant, lead=lead, kind="email", value=email)
    LeadAddress.objects.create(tenant=tenant, lead=lead, kind="sms", value=canary["phone"])
    Suppression.objects.create(tenant=tenant, kind="email", value=email, reason="opt_out")
    rule = Rule.objects.create(tenant=tenant, code=f"r{n}-{uuid.uuid4().hex[:6]}", name="Rule")
    version = RuleVersion.objects.create(
        tenant=tenant, rule=rule, number=1, trigger="lead_created", action="send"
    )
    event = Event.objects.create(
        tenant=tenant, event_id=uuid.uuid4().hex, event_type="lead_created", subject=email,
        occurred_at=WHEN, lead=lead, properties={"email": email},
    )  # fmt: skip
    Decision.objects.create(
        tenant=tenant, event=event, rule=rule, version=version, subject=email,
        outcome="sent", lead=lead, details={"to": email},
    )  # fmt: skip


def _enrichment_booking(tenant, lead, canary):
    t = canary["token"]
    run = EnrichmentRun.objects.create(tenant=tenant)
    LeadEnrichment.objects.create(
        tenant=tenant, run=run, lead=lead, input_hash=f"{t}",
        fields={"role": f"CEO {t}"}, applied_fields=[t], new_fields=[t], kept_fields=[t],
        raw_response={"text": f"{t} is the CEO"}, created_at=WHEN,
    )  # fmt: skip
    Booking.objects.create(
        tenant=tenant, lead=lead, calendar="builtin", starts_at=WHEN,
        ends_at=WHEN + timedelta(minutes=30), attendee_name=f"Name {t}",
        attendee_email=canary["email"],
    )  # fmt: skip


def _webhooks(tenant, lead, canary, n):
    t = canary["token"]
    endpoint = WebhookEndpoint(tenant=tenant, url=f"https://hooks{n}.example/in")
    endpoint.secret = "whsec_test"
    endpoint.save()
    event = WebhookEvent.objects.create(
        tenant=tenant, type="lead.created", object_key=f"lead:{lead.pk}",
        payload={"data": {"email": canary["email"], "name": t}}, created_at=WHEN,
    )  # fmt: skip
    delivery = WebhookDelivery.objects.create(
        tenant=tenant, endpoint=endpoint, event=event, object_key=event.object_key
    )
    WebhookAttempt.objects.create(
        tenant=tenant, delivery=delivery, attempted_at=WHEN, url=endpoint.url,
        response_body=f"got {t}", error=f"echo {canary['email']}",
    )  # fmt: skip


def _billing_line(tenant, lead, canary, n):
    customer = Customer.objects.create(tenant=tenant, external_ref=f"c{n}", name="Client")
    card = RateCard.objects.create(
        tenant=tenant, version=1, valid_from=WHEN, value_high=100, value_medium=50,
        value_low=10, cap=1000,
    )  # fmt: skip
    report = BillingReport.objects.create(
        tenant=tenant, customer=customer, period=date(2026, 11, 1), currency="USD"
    )
    action = LeadAction.objects.unscoped().filter(lead=lead).first()
    BillingLine.objects.create(
        tenant=tenant, report=report, lead=lead, lead_ref=f"ref-{canary['token']}",
        action_ref=action.pk, person_key=f"e:{canary['email']}", action_type="Form Submission",
        engagement="High", occurred_at=WHEN, action_period=date(2026, 11, 1), value=100,
        billed=100, savings=0, reason="none", card=card, card_version=1,
    )  # fmt: skip
