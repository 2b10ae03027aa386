from apps.billing.tests.helpers import private_cache  # noqa: F401 (fixture)
