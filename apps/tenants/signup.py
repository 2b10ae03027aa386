"""Seed 001, "Auth API создает user и tenant": the company named at sign-up (web form or
`POST /api/v1/auth/register`) is created once the e-mail address is confirmed, with the user
as its administrator, so nobody is asked for the company twice.

Connected to allauth's `email_confirmed` in apps/tenants/wiring.py; the web confirmation page
and the API's confirm endpoint both send it. A sign-up through an invitation link has its
address confirmed by the link itself (no signal): that person joins the inviting company.
"""

import structlog
from django.db import transaction

from apps.core.errors import ApplicationError
from apps.tenants import services
from apps.tenants.models import Tenant

logger = structlog.get_logger(__name__)


def tenant_create_for_confirmed_signup(user) -> Tenant | None:
    """Create the sign-up's company, once: not when the user has already created one (an
    address confirmed again) or named none (a social sign-up). A refusal (the company limit)
    leaves the confirmation standing; the user can still create a company by hand."""
    company = (getattr(user, "company", "") or "").strip()
    if not company or Tenant.objects.filter(created_by=user).exists():
        return None
    try:
        with transaction.atomic():
            return services.tenant_create(user=user, name=company)
    except ApplicationError as error:
        logger.warning("signup_tenant_not_created", user_id=user.pk, code=error.code)
        return None


def on_email_confirmed(sender, request, email_address, **kwargs) -> None:
    tenant_create_for_confirmed_signup(email_address.user)
