"""Writes of the public site: the Enterprise inquiry (a lead in Fast Lead's own company) and
the staff company itself."""

from __future__ import annotations

from urllib.parse import urlsplit

import structlog
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError
from apps.core.ratelimit import Limiter, OnError, Rate, ip_bucket
from apps.leads.ingestion import ingest_leads
from apps.leads.models import Source
from apps.site.selectors import staff_tenant
from apps.tenants.models import Tenant
from apps.tenants.services import tenant_create

log = structlog.get_logger(__name__)

STAFF_TENANT_NAME = "Fast Lead"
INQUIRY_LEAD_TYPE = "enterprise_inquiry"
# Fail closed: with the limiter's backend down a bot must not flood the staff's list.
_limiter = Limiter(on_error=OnError.DENY)


class InquiryThrottled(ApplicationError):
    status_code = 429
    default_code = "throttled"


class InquiryUnavailable(ApplicationError):
    status_code = 503
    default_code = "unavailable"


def site_origin() -> str:
    parts = urlsplit(settings.SITE_URL)
    return f"{parts.scheme}://{parts.netloc}".lower()


@transaction.atomic
def staff_tenant_ensure(*, owner=None) -> Tenant:
    """Fast Lead's own company (slug settings.STAFF_TENANT_SLUG), created if missing with
    `owner` (else the oldest superuser) as its administrator and this site allowed to run
    its widget (the features page's live demo)."""
    tenant = staff_tenant()
    if tenant is not None:
        return tenant
    owner = owner or get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
    if owner is None:
        log.error("site_staff_tenant_without_owner", slug=settings.STAFF_TENANT_SLUG)
        raise InquiryUnavailable(
            _("We cannot take requests through this form right now. Please try again later.")
        )
    return tenant_create(
        user=owner,
        name=STAFF_TENANT_NAME,
        slug=settings.STAFF_TENANT_SLUG,
        site_domain=urlsplit(settings.SITE_URL).hostname or "",
        allowed_origins=[site_origin()],
    )


def _throttle(ip: str) -> None:
    rate = Rate.parse(settings.SITE_INQUIRY_RATE)
    decision = _limiter.hit(f"site-inquiry:ip:{ip_bucket(ip)}", rate)
    if not decision.allowed:
        raise InquiryThrottled(
            _("Too many requests from your network. Try again in %(minutes)s min.")
            % {"minutes": max(1, round(decision.retry_after / 60))}
        )


def enterprise_inquiry_submit(*, data: dict, ip: str, page_url: str = "") -> int:
    """Store an Enterprise inquiry from the pricing page as a lead of the staff company
    (through lead ingestion, like the widget); returns the lead id. Per-IP throttled
    (settings.SITE_INQUIRY_RATE). The platform's own inbox does not count against a plan."""
    _throttle(ip)
    tenant = staff_tenant_ensure()
    item = {
        "name": data["name"],
        "email": data["email"],
        "phone": data.get("phone", ""),
        "company": data["company"],
        "message": data.get("message", ""),
        "lead_type": INQUIRY_LEAD_TYPE,
        "consent": {"processing": True, "marketing": False},
    }
    outcome = ingest_leads(
        tenant=tenant,
        items=[item],
        source=Source.WIDGET.value,
        consent_source=page_url or "pricing",
        count_quota=False,
    )
    result = outcome.results[0]
    if result.status == "rejected":
        raise ApplicationError(_("Some fields are invalid."), fields=result.errors)
    log.info("site_enterprise_inquiry", tenant_id=str(tenant.pk), lead_id=result.lead_id)
    return result.lead_id
