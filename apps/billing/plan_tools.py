"""The tools a plan may grant: billing stores their keys in `Plan.tools`, the app that
defines the tools (features' registry) tells billing which keys exist, at start-up.

    plan_tools_register(catalogue, live)  # apps/features/wiring.py
    plan_tool_choices()                 # the staff form's checkboxes
    plan_tools_unknown(keys)            # plan_save refuses these
    plan_tools_expand(keys)             # "*" -> every tool; unknown keys dropped
    plan_tools_sold(keys)               # what a plan card may promise: the live tools only

Until a catalogue is registered no key is known (and "*" expands to nothing), so a plan is
never saved with tools nobody checked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.utils.translation import gettext_lazy as _

ALL_TOOLS = "*"  # in Plan.tools: every registered tool, including future ones

ToolCatalogue = Callable[[], Iterable[tuple[str, str]]]  # () -> [(key, label), ...]
LiveTools = Callable[[], Iterable[str]]  # () -> keys of the tools whose pages exist

_catalogue: list[ToolCatalogue] = []
_live: list[LiveTools] = []


def plan_tools_register(catalogue: ToolCatalogue, live: LiveTools | None = None) -> None:
    """Set the source of tool keys and labels, and of the keys that are live (built: a plan
    may sell them); registering it again is a no-op."""
    if catalogue not in _catalogue:
        _catalogue.clear()
        _catalogue.append(catalogue)
    _live.clear()
    if live is not None:
        _live.append(live)


def _tools() -> list[tuple[str, str]]:
    return [pair for source in _catalogue for pair in source()]


def plan_tool_choices() -> list[tuple[str, str]]:
    return [(ALL_TOOLS, _("Every tool, including future ones (*)"))] + [
        (key, f"{label} ({key})") for key, label in _tools()
    ]


def plan_tools_unknown(keys: Iterable[str]) -> list[str]:
    known = {key for key, _label in _tools()}
    return [key for key in keys or () if key != ALL_TOOLS and key not in known]


def plan_tools_expand(keys: Iterable[str]) -> frozenset[str]:
    """A plan's tool list as registered keys: `"*"` means all; unknown keys are dropped (a
    tool removed from the code may linger in a plan row)."""
    keys = set(keys or ())
    known = [key for key, _label in _tools()]
    if ALL_TOOLS in keys:
        return frozenset(known)
    return frozenset(key for key in known if key in keys)


def plan_tools_sold(keys: Iterable[str]) -> list[tuple[str, str]]:
    """(key, label) of the plan's tools that exist, in catalogue order: what a plan card and
    the plans API may promise. A tool that is announced but not built is never sold."""
    granted = plan_tools_expand(keys)
    live = {key for source in _live for key in source()}
    return [(key, label) for key, label in _tools() if key in granted and key in live]
