from apps.billing.tests.stripe_support import stripe_env, stripe_fake  # noqa: F401
from apps.enrichment.tests.fixtures import offline_ai  # noqa: F401
