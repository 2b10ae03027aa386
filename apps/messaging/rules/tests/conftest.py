import pytest

from apps.billing.tests.helpers import private_cache, subscribe  # noqa: F401 (fixture)
from apps.channels.models import Channel, ChannelStatus
from apps.messaging.rules.packs import pack_install
from apps.tenants.scoping import tenant_scope


def connect(tenant, kind: str, provider: str) -> Channel:
    channel = Channel(
        tenant=tenant, kind=kind, provider=provider, name=kind, status=ChannelStatus.CONNECTED
    )
    channel.credentials = {"login": "x", "password": "y", "username": "x"}
    channel.settings = {"host": "smtp.example.com", "from_email": "hi@example.com"}
    channel.save()
    return channel


@pytest.fixture
def rules_tenant(tenant):
    """The tenant on Start (the follow-up rules tool) with an e-mail and an SMS channel."""
    subscribe(tenant, "start")
    with tenant_scope(tenant):
        connect(tenant, "email", "smtp")
        connect(tenant, "sms", "smsc")
    return tenant


@pytest.fixture
def seed_pack(rules_tenant):
    with tenant_scope(rules_tenant):
        pack_install(tenant=rules_tenant, key="seed", enable=True)
    return rules_tenant
