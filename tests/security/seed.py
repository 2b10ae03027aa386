"""The world the isolation sweep runs in: two tenants with distinctive marker strings.

Tenant A ("alphamark") is the caller's own tenant; tenant B ("bravomark") is the other one.
Every row a response could show (tenant, users, leads, lists, invitations, keys, runs,
invoices) carries its tenant's marker, so a response body that contains the other tenant's
marker is a leak, whatever the page or endpoint.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken

from apps.billing import services as billing
from apps.billing.models import Plan, Subscription
from apps.booking.models import Booking
from apps.channels.models import Channel
from apps.core import private_files
from apps.enrichment.models import EnrichmentRun
from apps.features.registry import tool_keys
from apps.features.services import tenant_feature_set
from apps.hyropage.brief import Brief
from apps.hyropage.models import HyroPage, PageStatus, PageVersion
from apps.hyropage.offline import offline_page
from apps.integrations.crm.models import CrmConnection, CrmSyncJob
from apps.integrations.outbox import record_test_event
from apps.integrations.services import endpoint_create
from apps.leads.ingestion import ingest_leads
from apps.leads.models import Lead, LeadExport, LeadList
from apps.leads.models_imports import ImportJob
from apps.leads.models_widget import WidgetOriginAttempt
from apps.messaging.models import Conversation, Direction, Message, MessageStatus
from apps.messaging.rules.models import Template
from apps.messaging.rules.packs import SEED, pack_install
from apps.payments.models import Invoice
from apps.payments.services import payments as payment_steps
from apps.privacy.models import TenantExport
from apps.tenants import keys
from apps.tenants.roles import Role
from apps.tenants.scoping import tenant_scope
from apps.tenants.services import invitation_create
from apps.upsell.models import CatalogueItem, Classification, Ticket, UpsellCase
from tests.factories import MembershipFactory, TenantFactory, UserFactory

ALPHA = "alphamark"
BRAVO = "bravomark"


@dataclass
class World:
    """One tenant's rows: `kwargs` fills URL keyword arguments by name."""

    marker: str
    tenant: object
    users: dict = field(default_factory=dict)  # role name -> user
    kwargs: dict = field(default_factory=dict)
    api_key: str = ""


def _user(tenant, marker: str, role: str):
    user = UserFactory(email=f"{role}@{marker}.test", name=f"{marker.title()} {role.title()}")
    MembershipFactory(tenant=tenant, user=user, role=role)
    return user


def _lead_id(tenant, marker: str, lead_list) -> int:
    item = {
        "email": f"lead@{marker}.test",
        "name": f"Person.{marker}",
        "phone": "+7 916 123-45-67",
        "company": f"{marker.title()} Trading",
        "lead_id": f"{marker}-ref-1",
        "customer_id": f"{marker}-customer",
        "product_id": f"{marker}-product",
    }
    outcome = ingest_leads(tenant=tenant, items=[item], source="api", lead_list=lead_list)
    assert outcome.summary["rejected"] == 0, outcome.results
    return outcome.results[0].lead_id


def _paid_invoice(tenant):
    """A sandbox payment for the Pro plan, completed: a subscription, a payment, an invoice."""
    payment = billing.payment_start(tenant=tenant, plan=Plan.objects.get(code="pro"))
    payment_steps.payment_sandbox_complete(payment=payment, approve=True)
    return payment, Invoice.objects.for_tenant(tenant).order_by("-pk").first()


def world_create(marker: str, slug: str) -> World:
    """A tenant with a row of everything; its slug (typed by callers in URLs) has no marker."""
    tenant = TenantFactory(name=f"{marker.title()} Holdings", slug=slug)
    world = World(marker=marker, tenant=tenant)
    for role in (Role.ADMIN, Role.OPERATOR, Role.ANALYST):
        world.users[str(role)] = _user(tenant, marker, role)
    teammate = _user(tenant, f"mate.{marker}", Role.OPERATOR)
    admin = world.users["admin"]
    with tenant_scope(tenant):
        for tool in tool_keys():
            tenant_feature_set(tenant=tenant, feature=tool, mode="grant", reason="sweep")
        payment, invoice = _paid_invoice(tenant)
        lead_list = LeadList.objects.create(tenant=tenant, name=f"{marker.title()} List")
        lead_id = _lead_id(tenant, marker, lead_list)
        export = LeadExport.objects.create(tenant=tenant, format="csv", created_by=admin)
        job = ImportJob.objects.create(
            tenant=tenant,
            created_by=admin,
            file=ContentFile(b"email\n", name=f"{marker}.csv"),
            original_name=f"{marker}.csv",
            format="csv",
            report=ContentFile(b"row,error\n", name=f"{marker}-report.csv"),
        )
        invitation, token = invitation_create(
            tenant=tenant, actor=admin, email=f"invitee@{marker}.test", role=Role.OPERATOR
        )
        key_row, world.api_key = keys.api_key_create(tenant=tenant, actor=admin, name=marker)
        run = EnrichmentRun.objects.create(tenant=tenant, requested_by=admin)
        # SMTP to a closed local port: "test connection" fails at once, with no network.
        channel = Channel(
            tenant=tenant,
            kind="email",
            provider="smtp",
            name=f"{marker.title()} Mail",
            settings={"host": "127.0.0.1", "port": "1", "from_email": f"sales@{marker}.test"},
        )
        channel.credentials = {"username": marker, "password": f"{marker}-password"}
        channel.save()
        publishable = keys.publishable_key_get_or_create(tenant).key
        subscription_id = Subscription.objects.for_tenant(tenant).order_by("-pk").first().pk
        later = _messaging_and_more(tenant, marker, lead_id, channel)
    world.kwargs = {
        "tenant_id": str(tenant.pk),
        "tenant_slug": tenant.slug,
        "lead_id": lead_id,
        "list_id": lead_list.pk,
        "export_id": export.pk,
        "import_id": job.pk,
        "invitation_id": invitation.pk,
        "user_id": teammate.pk,
        "key_id": key_row.pk,
        "channel_id": channel.pk,
        "run_id": str(run.pk),
        "invoice_id": invoice.pk,
        "payment_id": str(payment.pk),
        "subscription_id": subscription_id,
        "publishable_key": publishable,
        "token": token,
        **later,
    }
    # Not a URL kwarg: request bodies refer to the caller's own teammate with it.
    world.kwargs["own_user_id"] = teammate.pk
    return world


def _messaging_and_more(tenant, marker: str, lead_id: int, channel) -> dict:
    """A conversation with one message, a rule with its template, a booking and a widget
    origin attempt: the rows the inbox, rules, booking and widget routes name."""
    lead = Lead.objects.for_tenant(tenant).get(pk=lead_id)
    conversation = Conversation.objects.create(tenant=tenant, lead=lead, channel=channel)
    message = Message.objects.create(
        tenant=tenant,
        conversation=conversation,
        lead=lead,
        direction=Direction.OUT,
        channel=channel,
        channel_kind="email",
        address=f"lead@{marker}.test",
        body="Hello",
        status=MessageStatus.FAILED,
        idempotency_key=f"sweep-{marker}",
    )
    rules = pack_install(tenant=tenant, key=SEED.key)
    template = Template.objects.for_tenant(tenant).order_by("pk").first()
    start = timezone.now() + timedelta(days=3)
    booking = Booking.objects.create(
        tenant=tenant,
        lead=lead,
        calendar="builtin",
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
    )
    attempt = WidgetOriginAttempt.objects.create(tenant=tenant, origin=f"https://{marker}.test")
    endpoint, _secret = endpoint_create(  # a public address literal: no DNS, never sent
        tenant=tenant,
        actor=None,
        url=f"https://93.184.216.34/{marker}",
        events=["lead.created"],
        description=f"{marker} endpoint",
    )
    delivery = record_test_event(tenant, endpoint)
    company_export = _company_export(tenant, marker)
    # A CRM connection waiting for authorization (no CRM is ever called) and a job in its log.
    crm = CrmConnection.objects.create(tenant=tenant, provider="amocrm", account=marker)
    crm_job = CrmSyncJob.objects.create(tenant=tenant, connection=crm, kind="pull", deal_id="1")
    return {
        **_hyropage(tenant, marker),
        "company_export_id": company_export.pk,
        "endpoint_id": endpoint.pk,
        "delivery_id": delivery.pk,
        "conversation_id": conversation.pk,
        "message_id": message.pk,
        "rule_id": rules[0].pk,
        "template_id": template.pk,
        "subject_id": f"lead:{lead_id}",
        "booking_id": booking.pk,
        "attempt_id": attempt.pk,
        **_upsell(tenant, marker, lead),
        "job_id": crm_job.pk,
    }


def _upsell(tenant, marker: str, lead) -> dict:
    """An upsell case awaiting approval (with its ticket and classification) and a
    catalogue entry: the rows the upsell pages name."""
    item = CatalogueItem.objects.create(tenant=tenant, product=f"{marker} Pro", tier="Business")
    ticket = Ticket.objects.create(
        tenant=tenant, source="generic", external_id=f"{marker}-T1", subject=f"{marker} limit",
        body="We hit the limit", requester_email=f"lead@{marker}.test", content_hash="x",
    )  # fmt: skip
    cls = Classification.objects.create(
        tenant=tenant, ticket=ticket, content_hash="x", upsell_signal=True, score="0.9",
        rationale=f"{marker} rationale",
    )  # fmt: skip
    case = UpsellCase.objects.create(
        tenant=tenant, ticket=ticket, classification=cls, lead=lead, score="0.9",
        person_key=f"e:lead@{marker}.test", status="awaiting_approval",
        email_subject=f"{marker} subject", email_body=f"{marker} body",
    )  # fmt: skip
    return {"case_id": case.pk, "item_id": item.pk}


def _hyropage(tenant, marker: str) -> dict:
    """A published HyroPage page with one version (its public address names its tenant)."""
    content = offline_page(Brief(product=f"{marker.title()} offer", audience="owners")).model_dump()
    page = HyroPage.objects.create(
        tenant=tenant,
        slug=f"offer-{marker}",
        product=f"{marker.title()} offer",
        audience="owners",
        content=content,
        version=1,
        status=PageStatus.PUBLISHED,
        published_at=timezone.now(),
    )
    PageVersion.objects.create(tenant=tenant, page=page, number=1, content=content, note="seed")
    return {"page_id": page.pk, "page_slug": page.slug, "company_slug": tenant.slug, "number": 1}


def _company_export(tenant, marker: str) -> TenantExport:
    """A finished export of everything, with its file (the privacy pages download it)."""
    name = f"privacy/{tenant.pk}/sweep-{marker}.zip"
    private_files.save_bytes(name, b"PK\x05\x06" + b"\x00" * 18)  # an empty ZIP
    return TenantExport.objects.create(tenant=tenant, status="done", file=name)


# Keyword arguments that name no tenant's row: one value for every caller.
NEUTRAL_KWARGS = {
    "action": "cancel",
    "request_id": "sweep-request-1",
    "uuid": str(uuid.UUID(int=1)),
    "key": "sweep-not-a-key",
    "uidb36": "zz",
    "mail_id": "sweep-no-such-mail",
    "slug": "clinics",  # a use case; no blog post has this slug
    "category_slug": "sweep-no-such-category",
    "page": "offer",
    "pack_key": "lifecycle",
    "kind": "logo",  # widget images; the channel webhook gets an unknown token anyway
    "name": "widget/sweep-no-such-file.png",
    "table": "channels",  # an analytics export that needs no paid tool
    "fmt": "csv",
    "step": "company",  # the onboarding wizard's first step
}


def jwt_for(user) -> str:
    return str(RefreshToken.for_user(user).access_token)
