"""How billing counts a tenant's leads without importing leads (an upper app).

Every plan's usage is its period's meter (apps/billing/usage_counter.py); the leads are
counted only once for a meter that is not exact yet (and to close such a period). The leads
app registers the counter at start-up (apps/leads/wiring.py); with none registered it is 0.
"""

from collections.abc import Callable
from datetime import datetime

LeadCounter = Callable[[object, datetime, datetime], int]
_counter: list[LeadCounter] = []


def lead_counter_register(counter: LeadCounter) -> None:
    """`counter(tenant, start, end)` = leads created in [start, end). The last one wins."""
    _counter[:] = [counter]


def leads_created_between(tenant, start: datetime, end: datetime) -> int:
    return _counter[0](tenant, start, end) if _counter else 0
