"""The signature check a receiver runs, shown on the dashboard: read from docs/webhooks.md
(its first Python block), so the page and the document never disagree."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from django.conf import settings

DOC = Path(settings.BASE_DIR) / "docs" / "webhooks.md"
_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


@lru_cache(maxsize=1)
def verification_recipe() -> str:
    match = _BLOCK.search(DOC.read_text(encoding="utf-8"))
    if match is None:
        raise RuntimeError(f"{DOC} has no Python block: the recipe is missing")
    return match.group(1)
