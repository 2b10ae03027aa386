from django.apps import AppConfig

from apps.core.navigation import register_nav
from apps.tenants.navigation import NAV


class TenantsConfig(AppConfig):
    name = "apps.tenants"
    label = "tenants"

    def ready(self) -> None:
        from allauth.account.signals import email_confirmed

        from apps.tenants import (
            cors,  # noqa: F401  (registers the CORS origin check)
            flags,
        )
        from apps.tenants.signup import on_email_confirmed

        # The company named at sign-up is created once the address is confirmed.
        email_confirmed.connect(on_email_confirmed, dispatch_uid="fastlead_signup_tenant")

        register_nav(*NAV)
        from apps.tenants import personal_data  # the models: once the registry is ready

        personal_data.register()  # where a person's data lives (apps/core/personal_data.py)
        flags.connect()
