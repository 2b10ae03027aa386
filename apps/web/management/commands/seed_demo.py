"""Load the demo data idempotently: a demo tenant with one user per role and a staff superuser,
and a few thousand demo leads (apps/leads/demo.py) plus the seed-002 sample.

Run by ./scripts/run (and by the compose `migrate` service when SEED_DEMO=true). Running it
again changes nothing; it only prints the demo logins again.
"""

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from apps.accounts.models import User
from apps.billing.demo import DEMO_PLAN as DEMO_BILLING_PLAN
from apps.billing.demo import seed_demo_billing
from apps.leads.demo import seed_demo_leads
from apps.tenants.models import Membership, Tenant
from apps.tenants.roles import Role
from apps.tenants.scoping import tenant_scope
from apps.tenants.services import tenant_create

DEMO_TENANT_NAME = "Демо Компания"
# Pro, paid through the sandbox with a saved test card (apps/billing/demo.py): enrichment and
# upgrades are clickable offline. Demo leads are loaded without counting against its limit.
DEMO_PLAN = DEMO_BILLING_PLAN


@dataclass(frozen=True)
class DemoLogin:
    label: str
    email: str
    password: str
    name: str
    role: str | None = None  # tenant role; None for the staff superuser


DEMO_LOGINS = (
    DemoLogin("admin", "admin@demo.fastlead.local", "demo-admin-2026", "Анна Админова", Role.ADMIN),
    DemoLogin(
        "operator",
        "operator@demo.fastlead.local",
        "demo-operator-2026",
        "Олег Операторов",
        Role.OPERATOR,
    ),
    DemoLogin(
        "analyst",
        "analyst@demo.fastlead.local",
        "demo-analyst-2026",
        "Алла Аналитикова",
        Role.ANALYST,
    ),
    DemoLogin("staff (Django admin)", "staff@demo.fastlead.local", "demo-staff-2026", "Staff"),
)


def _ensure_user(login: DemoLogin) -> User:
    """The user with a verified primary e-mail; the password is set only on creation."""
    user = User.objects.filter(email__iexact=login.email).first()
    if user is None:
        create = User.objects.create_user if login.role else User.objects.create_superuser
        user = create(login.email, login.password, name=login.name, language="ru")
    EmailAddress.objects.update_or_create(
        user=user,
        email=login.email,
        defaults={"verified": True, "primary": True},
    )
    return user


def _ensure_tenant(admin: User) -> Tenant:
    tenant = (
        Tenant.objects.filter(name=DEMO_TENANT_NAME, created_by=admin)
        .order_by("created_at")
        .first()
    )
    if tenant is None:
        tenant = tenant_create(user=admin, name=DEMO_TENANT_NAME, site_domain="demo.fastlead.local")
    return tenant


def _ensure_plan(tenant: Tenant, admin: User) -> None:
    seed_demo_billing(tenant, admin=admin)


def _ensure_membership(tenant: Tenant, user: User, role: str) -> None:
    with tenant_scope(tenant):
        Membership.objects.get_or_create(tenant=tenant, user=user, defaults={"role": role})


class Command(BaseCommand):
    help = (
        "Create (idempotently) the demo tenant, its admin/operator/analyst, a staff user and "
        "the demo leads."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        users = {login: _ensure_user(login) for login in DEMO_LOGINS}
        admin = users[DEMO_LOGINS[0]]
        tenant = _ensure_tenant(admin)
        for login, user in users.items():
            if login.role:
                _ensure_membership(tenant, user, login.role)
        with tenant_scope(tenant):
            _ensure_plan(tenant, admin)
            created = seed_demo_leads(tenant, admin=admin, operator=users[DEMO_LOGINS[1]])
        if created:
            self.stdout.write(f"Demo leads created: {created}.")
        # The public site: Fast Lead's own company (owned by the staff user) and seed posts.
        call_command("seed_site", owner=DEMO_LOGINS[-1].email, stdout=self.stdout)
        self._print_logins(tenant)

    def _print_logins(self, tenant: Tenant) -> None:
        out = self.stdout
        out.write(f"Demo data ready: tenant “{tenant.name}”.")
        out.write(f"Open {settings.SITE_URL}/ and log in with:")
        width = max(len(login.email) for login in DEMO_LOGINS)
        for login in DEMO_LOGINS:
            out.write(f"  {login.email:<{width}}  {login.password:<20} {login.label}")
