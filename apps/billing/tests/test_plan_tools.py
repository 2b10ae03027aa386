"""Plan.tools holds tool keys that billing does not define: features registers its tool
registry at start-up, and billing validates and expands plans' tools against it."""

import pytest

from apps.billing import services
from apps.billing.admin import PlanForm
from apps.billing.models import Plan
from apps.billing.plan_tools import (
    ALL_TOOLS,
    plan_tool_choices,
    plan_tools_expand,
    plan_tools_unknown,
)
from apps.core.errors import ValidationFailed
from apps.features.registry import tool_keys

pytestmark = pytest.mark.django_db


def test_the_registered_tools_are_the_features_registry():
    assert plan_tools_expand([ALL_TOOLS]) == frozenset(tool_keys())
    assert [key for key, _label in plan_tool_choices()] == [ALL_TOOLS, *tool_keys()]


def test_expanding_drops_keys_no_longer_registered():
    assert plan_tools_expand(["export", "retired_tool"]) == frozenset({"export"})
    assert plan_tools_unknown(["export", ALL_TOOLS, "retired_tool"]) == ["retired_tool"]


def test_plan_save_still_refuses_unknown_tools():
    start = Plan.objects.get(code="start")
    start.tools = [*start.tools, "teleport"]
    with pytest.raises(ValidationFailed) as error:
        services.plan_save(plan=start)
    assert "teleport" in str(error.value.message)
    assert "teleport" not in Plan.objects.get(code="start").tools


def test_the_staff_form_offers_only_registered_tools():
    start = Plan.objects.get(code="start")
    data = {f: getattr(start, f) for f in PlanForm.Meta.fields if f != "tools"}
    data["provider_price_ids"] = "{}"
    form = PlanForm(data={**data, "tools": ["export", "teleport"]}, instance=start)
    assert not form.is_valid() and "tools" in form.errors
