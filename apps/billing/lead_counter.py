"""How billing counts a tenant's leads without importing leads (an upper app).

Plans with a lead limit keep their own meter; unlimited plans keep none (no check on the
ingestion hot path), so the usage page counts the leads themselves. The leads app registers
the counter at start-up (LeadsConfig.ready()); with none registered the count is 0.
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
