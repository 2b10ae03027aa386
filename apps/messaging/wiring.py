"""What messaging registers at start-up (run by connect_all() in apps/core/wiring.py)."""

from apps.billing.events import SubscriptionChanged
from apps.channels.events import ChannelConnected
from apps.core.events import subscribe
from apps.core.schedules import register_schedules
from apps.messaging import personal_data
from apps.messaging.pages import connect_pages
from apps.messaging.schedules import SCHEDULES
from apps.messaging.subscribers import on_channel_connected, on_subscription_changed


def connect() -> None:
    subscribe(ChannelConnected, on_channel_connected)
    subscribe(SubscriptionChanged, on_subscription_changed)
    register_schedules(*SCHEDULES)
    connect_pages()  # the inbox pages: nav, lead card, notices
    personal_data.register()  # where a person's data lives (apps/core/personal_data.py)
