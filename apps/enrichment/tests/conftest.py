"""Fixtures of the enrichment tests: the leads tests' tool grants (export, API access) apply
here too, and the AI layer's fake Messages API for the prompt's tests."""

from apps.ai.tests.conftest import (  # noqa: F401  (fixtures)
    anthropic_settings,
    fake_anthropic,
    limiter,
    managed,
    shared_backend,
    sleeps,
)
from apps.leads.tests.conftest import _tools_granted  # noqa: F401  (an autouse fixture)
