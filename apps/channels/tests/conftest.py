import pytest

from apps.billing.tests.helpers import private_cache, subscribe  # noqa: F401 (fixture)

TG_TOKEN = "123456:AAFakeBotTokenSecretValue9876"


@pytest.fixture
def on_start(tenant):
    """The tenant on Start: the channels tool, at most 2 channels."""
    subscribe(tenant, "start")
    return tenant


def telegram_body(**overrides) -> dict:
    return {
        "provider": "telegram",
        "name": "Bot",
        "credentials": {"bot_token": TG_TOKEN},
        **overrides,
    }
