"""Where the login limit counts while Redis is down: the database (it fails closed).

`DatabaseBackend` keeps the limiter's sliding log as `LoginAttempt` rows and decides with the
same rule as the shared backends (`apps.core.ratelimit.wait_ms`). An attempt is inserted
first and then the window is counted, itself included; over the limit it is deleted again
and refused. Two racing attempts therefore always see at least one another: together they
can be refused, never granted past the limit. Rows older than the window are purged on the
way (only during an outage does anything write here).
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.utils import timezone

from apps.accounts.models import LoginAttempt
from apps.core.ratelimit import Budget, wait_ms


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _ms(moment) -> int:
    return int(moment.timestamp() * 1000)


class DatabaseBackend:
    """The limiter backend for request counts in the database: the sliding log only
    (`try_acquire`, `settle`, `release`, `clear`). The login limit counts attempts, so it has
    no tokens, no pauses and no fixed windows (`Backend.pause` / `count_fixed`)."""

    def try_acquire(self, key: str, member: str, tokens: int, budget: Budget) -> tuple[int, int]:
        now = timezone.now()
        since = now - timedelta(milliseconds=budget.window_ms)
        LoginAttempt.objects.filter(at__lte=since).delete()
        digest = _digest(key)
        mine = LoginAttempt.objects.create(key=digest, member=member, at=now)
        others = (
            LoginAttempt.objects.filter(key=digest, at__gt=since)
            .exclude(pk=mine.pk)
            .order_by("at", "pk")
            .values_list("at", "member")
        )
        entries = [[_ms(at), other, 0] for at, other in others]
        wait = wait_ms(entries, 0, budget, _ms(now))
        if wait > 0:
            mine.delete()  # a refused attempt is not counted (as on the shared backends)
        return max(wait, 0), _ms(now)

    def release(self, key: str, member: str) -> None:
        LoginAttempt.objects.filter(key=_digest(key), member=member).delete()

    def clear(self, key: str) -> None:
        LoginAttempt.objects.filter(key=_digest(key)).delete()

    def settle(self, key: str, member: str, new_member: str) -> None:
        LoginAttempt.objects.filter(key=_digest(key), member=member).update(member=new_member)
