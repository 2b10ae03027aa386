"""Where HyroPage keeps a person's data (apps/core/personal_data.py): a personal page written
for one lead holds the lead's name in its text and versions; erasing the lead deletes the page
(its versions and generations go with it). Registered from apps/hyropage/wiring.py."""

from __future__ import annotations

from apps.core.personal_data import ERASED_JSON, PersonalData, register_personal_data
from apps.hyropage.models import HyroPage

ENTRIES = (
    PersonalData(
        "hyropage.hyropage",
        model=HyroPage,
        lead="lead",
        erase="delete",
        label="Personal landing pages",
        fields={"content": ERASED_JSON},
        context_fields=("id", "slug", "status", "created_at"),
    ),
)


def register() -> None:
    register_personal_data(*ENTRIES)
