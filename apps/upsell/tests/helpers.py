"""Rows for tests that do not go through the webhook: a case awaiting approval."""

from apps.tenants.scoping import tenant_scope
from apps.upsell.models import CaseStatus, Classification, Ticket, UpsellCase
from apps.upsell.services.intake import case_open
from apps.upsell.transitions import case_transition


def make_case(
    tenant,
    *,
    ref="T-9",
    email="anna@romashka.ru",
    phone="+79161234567",
    status=CaseStatus.AWAITING_APPROVAL,
    score="0.9",
    consent=True,
    subject="Lead limit",
    body="We hit the lead limit every month",
) -> UpsellCase:
    """A ticket, its classification and a case that went through the real lead step."""
    with tenant_scope(tenant):
        ticket = Ticket.objects.create(
            tenant=tenant, source="generic", external_id=ref, subject=subject,
            body=body, requester_name="Anna Smirnova",
            requester_email=email, requester_phone=phone, requester_marketing_consent=consent,
            content_hash=ref,
        )  # fmt: skip
        cls = Classification.objects.create(
            tenant=tenant, ticket=ticket, content_hash=ref, upsell_signal=True, score=score,
            rationale="Hits the limit.", recommended_product="Fast Lead",
            recommended_tier="Business", evidence_quotes=["We hit the lead limit"],
        )  # fmt: skip
        case = case_open(tenant, ticket, cls)
        if status == CaseStatus.APPROVED:
            case_transition(case, CaseStatus.APPROVED, label="test")
        return case


def make_finished_case(tenant, **kwargs) -> UpsellCase:
    """A case whose outreach is done (the only state, with failed, that can be won)."""
    case = make_case(tenant, **kwargs)
    with tenant_scope(tenant):
        for status in (CaseStatus.APPROVED, CaseStatus.OUTREACH_STARTED, CaseStatus.DONE):
            case_transition(case, status, label="test")
    return case
