"""The built-in scheduler's slots: working hours in the tenant's zone, buffer, DST."""

from datetime import UTC, date, datetime, time

from apps.booking.slots import Rules, free_slots, is_candidate


def rules(zone="Europe/Moscow", **overrides) -> Rules:
    values = {
        "time_zone": zone,
        "work_days": (0, 1, 2, 3, 4),
        "work_from": time(10, 0),
        "work_to": time(12, 0),
        "slot_minutes": 30,
        "buffer_minutes": 15,
        "days_ahead": 14,
    }
    return Rules(**{**values, **overrides})


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


MONDAY = date(2026, 12, 7)
EARLY = utc(2026, 12, 6, 12, 0)  # the day before


def starts(slots) -> list[str]:
    return [s.starts_at.strftime("%H:%M") for s in slots]


def test_moscow_working_hours_with_a_buffer_become_utc_starts():
    slots = free_slots(rules(), MONDAY, now=EARLY)
    # 10:00, 10:45, 11:30 in Moscow (UTC+3 all year); 11:30 + 30 min ends at 12:00 exactly
    assert starts(slots) == ["07:00", "07:45", "08:30"]
    assert slots[0].ends_at == utc(2026, 12, 7, 7, 30)


def test_a_booking_and_its_buffer_block_the_neighbouring_slots():
    busy = [(utc(2026, 12, 7, 7, 50), utc(2026, 12, 7, 8, 20))]  # 10:50–11:20 local
    # 10:45 overlaps it; 11:30 starts only 10 minutes after it ends (buffer 15)
    assert starts(free_slots(rules(), MONDAY, now=EARLY, busy=busy)) == ["07:00"]
    # without a buffer, only the overlapping starts go
    plain = rules(buffer_minutes=0)
    assert starts(free_slots(plain, MONDAY, now=EARLY, busy=busy)) == ["07:00", "08:30"]


def test_past_starts_days_off_and_days_too_far_are_not_offered():
    now = utc(2026, 12, 7, 7, 10)  # 10:10 in Moscow
    assert starts(free_slots(rules(), MONDAY, now=now)) == ["07:45", "08:30"]
    assert free_slots(rules(), date(2026, 12, 12), now=EARLY) == []  # Saturday
    assert free_slots(rules(days_ahead=3), date(2026, 12, 11), now=EARLY) == []
    assert free_slots(rules(), date(2026, 12, 1), now=EARLY) == []  # the past


def test_a_dst_zone_keeps_wall_clock_hours_across_the_switch():
    berlin = rules("Europe/Berlin", work_days=tuple(range(7)), buffer_minutes=0, days_ahead=400)
    now = utc(2026, 1, 1)
    winter = free_slots(berlin, date(2026, 3, 27), now=now)  # CET, UTC+1
    summer = free_slots(berlin, date(2026, 3, 30), now=now)  # CEST, UTC+2
    assert starts(winter)[0] == "09:00" and starts(summer)[0] == "08:00"
    assert len(winter) == len(summer) == 4


def test_a_wall_time_missing_on_the_spring_switch_is_skipped():
    night = rules(
        "Europe/Berlin",
        work_days=tuple(range(7)),
        work_from=time(1, 0),
        work_to=time(4, 0),
        slot_minutes=60,
        buffer_minutes=0,
        days_ahead=400,
    )
    slots = free_slots(night, date(2026, 3, 29), now=utc(2026, 1, 1))
    # 01:00 CET = 00:00Z; 02:00 does not exist that night; 03:00 CEST = 01:00Z
    assert starts(slots) == ["00:00", "01:00"]


def test_only_a_start_of_the_working_hours_is_a_candidate():
    assert is_candidate(rules(), utc(2026, 12, 7, 7, 45), EARLY) is not None
    assert is_candidate(rules(), utc(2026, 12, 7, 7, 30), EARLY) is None  # off the grid
    assert is_candidate(rules(), utc(2026, 12, 7, 7, 45), utc(2026, 12, 7, 8, 0)) is None
