from django.apps import AppConfig

from apps.billing.events import SubscriptionChanged
from apps.channels.events import ChannelConnected
from apps.core.events import subscribe
from apps.core.schedules import register_schedules
from apps.messaging.schedules import SCHEDULES


class MessagingConfig(AppConfig):
    name = "apps.messaging"
    label = "messaging"
    verbose_name = "Messaging"

    def ready(self) -> None:
        # Uses the models: loaded once the app registry is ready.
        from apps.messaging.pages import connect_pages  # the inbox pages: nav, lead card, notices
        from apps.messaging.subscribers import on_channel_connected, on_subscription_changed

        subscribe(ChannelConnected, on_channel_connected)
        subscribe(SubscriptionChanged, on_subscription_changed)
        register_schedules(*SCHEDULES)
        connect_pages()
        from apps.messaging import personal_data  # the models: once the registry is ready

        personal_data.register()  # where a person's data lives (apps/core/personal_data.py)
