from apps.billing.tests.helpers import admin_client_staff, private_cache, shared_cache  # noqa: F401
from apps.billing.tests.stripe_support import stripe_env, stripe_fake  # noqa: F401
