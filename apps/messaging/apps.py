from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "apps.messaging"
    label = "messaging"
    verbose_name = "Messaging"

    def ready(self) -> None:
        from apps.messaging import subscribers  # noqa: F401  (billing events release held leads)
        from apps.messaging.pages import connect_pages  # the inbox pages: nav, lead card, notices

        connect_pages()
