"""Release flags (django-waffle) for any app: `flag_active(request, name)`.

Waffle answers by default. The app that owns the flag rules (features: a per-flag whitelist
of companies, docs/release-flags.md) refines the answer by registering its check at start-up,
so that a page of a lower app (billing's plan comparison) follows the same rules without
importing the app above it. Release flags gate pages; they are not entitlements.
"""

from __future__ import annotations

from collections.abc import Callable

from waffle import flag_is_active

FlagCheck = Callable[[object, str], bool]

_check: list[FlagCheck] = []


def flag_check_register(check: FlagCheck) -> None:
    """Answer every `flag_active` with `check(request, name)` (the last registration wins)."""
    _check[:] = [check]


def flag_active(request, name: str) -> bool:
    check = _check[0] if _check else flag_is_active
    return bool(check(request, name))
