from apps.billing.tests.helpers import admin_client_staff, private_cache  # noqa: F401
