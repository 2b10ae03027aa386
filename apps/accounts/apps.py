from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"

    def ready(self):
        from apps.accounts import (
            personal_data,  # the models: once the registry is ready
            signals,  # noqa: F401
        )

        personal_data.register()  # where a person's data lives (apps/core/personal_data.py)
