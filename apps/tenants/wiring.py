"""What tenants registers at start-up (run by connect_all() in apps/core/wiring.py)."""

from allauth.account.signals import email_confirmed
from corsheaders.signals import check_request_enabled

from apps.core.navigation import register_nav
from apps.tenants import flags, personal_data
from apps.tenants.cors import cors_allow
from apps.tenants.navigation import NAV
from apps.tenants.signup import on_email_confirmed


def connect() -> None:
    # The public widget API answers CORS for each tenant's own origins only.
    check_request_enabled.connect(cors_allow, dispatch_uid="fastlead_widget_cors")
    # The company named at sign-up is created once the address is confirmed.
    email_confirmed.connect(on_email_confirmed, dispatch_uid="fastlead_signup_tenant")

    register_nav(*NAV)
    personal_data.register()  # where a person's data lives (apps/core/personal_data.py)
    flags.connect()
