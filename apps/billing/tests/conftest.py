from apps.billing.tests.helpers import private_cache, shared_cache  # noqa: F401
