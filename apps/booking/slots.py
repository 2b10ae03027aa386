"""The built-in scheduler's arithmetic: which meeting starts a day offers.

Working hours are wall-clock times in the tenant's time zone; each candidate start is a wall
time (from + k × (length + buffer)) converted to UTC on its own, so a daylight-saving switch
shifts nothing and a wall time that does not exist that day (the spring gap) is skipped.
A candidate is offered when it lies in the future, within `days_ahead`, and neither it nor
the buffer around it overlaps an active booking.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta


@dataclass(frozen=True)
class Slot:
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC

    def as_json(self) -> dict:
        return {"start": _iso(self.starts_at), "end": _iso(self.ends_at)}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Rules:
    time_zone: str
    work_days: tuple[int, ...]  # Monday = 0
    work_from: time
    work_to: time
    slot_minutes: int
    buffer_minutes: int
    days_ahead: int

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


def local_today(rules: Rules, now: datetime) -> date:
    return now.astimezone(rules.zone).date()


def bookable_day(rules: Rules, day: date, now: datetime) -> bool:
    today = local_today(rules, now)
    return today <= day <= today + timedelta(days=rules.days_ahead)


def _wall_to_utc(day: date, minutes: int, zone: zoneinfo.ZoneInfo) -> datetime | None:
    """The UTC moment of the wall time `minutes` after midnight, None in a DST gap."""
    wall = datetime.combine(day, time()) + timedelta(minutes=minutes)
    moment = wall.replace(tzinfo=zone).astimezone(UTC)
    if moment.astimezone(zone).replace(tzinfo=None) != wall:
        return None
    return moment


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def candidates(rules: Rules, day: date) -> list[Slot]:
    """Every start the working hours of `day` allow, booked or not."""
    if day.weekday() not in rules.work_days:
        return []
    length = timedelta(minutes=rules.slot_minutes)
    step = rules.slot_minutes + rules.buffer_minutes
    end = _minutes(rules.work_to)
    slots, start = [], _minutes(rules.work_from)
    while start + rules.slot_minutes <= end:
        moment = _wall_to_utc(day, start, rules.zone)
        if moment is not None:
            slots.append(Slot(moment, moment + length))
        start += step
    return slots


def _overlaps(slot: Slot, busy: tuple[datetime, datetime], buffer: timedelta) -> bool:
    return slot.starts_at < busy[1] + buffer and busy[0] < slot.ends_at + buffer


def free_slots(
    rules: Rules, day: date, *, now: datetime, busy: Iterable[tuple[datetime, datetime]] = ()
) -> list[Slot]:
    """The starts a visitor may book on `day` (local date of the tenant)."""
    if not bookable_day(rules, day, now):
        return []
    buffer = timedelta(minutes=rules.buffer_minutes)
    busy = list(busy)
    return [
        slot
        for slot in candidates(rules, day)
        if slot.starts_at > now and not any(_overlaps(slot, b, buffer) for b in busy)
    ]


def is_candidate(rules: Rules, starts_at: datetime, now: datetime) -> Slot | None:
    """The slot starting at `starts_at` if the working hours offer it (taken or not)."""
    day = starts_at.astimezone(rules.zone).date()
    if not bookable_day(rules, day, now) or starts_at <= now:
        return None
    return next((s for s in candidates(rules, day) if s.starts_at == starts_at), None)
