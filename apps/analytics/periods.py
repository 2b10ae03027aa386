"""Date ranges of the analytics pages and API: today, 7/30/90 days or custom, in the tenant's
time zone, with the previous period of the same length to compare against."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from apps.analytics.rollups import day_bounds, local_day, tenant_zone
from apps.core.errors import ValidationFailed

PRESETS = {"today": 1, "7d": 7, "30d": 30, "90d": 90}
DEFAULT = "30d"
MAX_DAYS = 366
# Dates outside these are refused (and a period before EARLIEST has no previous period).
EARLIEST = date(2001, 1, 1)
LATEST = date(2099, 12, 31)


@dataclass(frozen=True)
class Period:
    key: str
    first: date
    last: date  # inclusive
    zone: object

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        last = self.first - timedelta(days=1)
        return Period(self.key, last - timedelta(days=self.days - 1), last, self.zone)

    def day_list(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range(self.days)]

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) as aware datetimes."""
        return day_bounds(self.first, self.zone)[0], day_bounds(self.last, self.zone)[1]


def period_parse(tenant, params, now: datetime | None = None) -> Period:
    """`period` (today, 7d, 30d, 90d, custom; default 30d, or custom when `from` or `to` is
    given) and `from` / `to` (YYYY-MM-DD, EARLIEST…LATEST). A custom range lacking one end is
    30 days long (lacking both: the last 30 days). A parameter that is present must be
    valid (an empty one too): ValidationFailed naming it."""
    zone = tenant_zone(tenant)
    today = local_day(now or timezone.now(), zone)
    first, last = _date(params, "from"), _date(params, "to")
    key = params.get("period")
    if key is None:
        key = "custom" if (first or last) else DEFAULT
    if key in PRESETS:
        return Period(key, today - timedelta(days=PRESETS[key] - 1), today, zone)
    if key != "custom":
        raise ValidationFailed(
            _("Unknown period."), fields={"period": [_("Use today, 7d, 30d, 90d or custom.")]}
        )
    length = timedelta(days=PRESETS[DEFAULT] - 1)
    if first is None:
        last = last or today
        first = last - length
    elif last is None:
        last = first + length
    if last < first:
        raise ValidationFailed(
            _("The range ends before it starts."),
            fields={"to": [_("Must not be before the start date.")]},
        )
    if (last - first).days + 1 > MAX_DAYS:
        raise ValidationFailed(
            _("The range is too long."),
            fields={"to": [_("At most %(days)s days.") % {"days": MAX_DAYS}]},
        )
    return Period(key, first, last, zone)


def _date(params, name: str) -> date | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(
            _("Invalid date."), fields={name: [_("Enter a date as YYYY-MM-DD.")]}
        ) from None
    if not EARLIEST <= value <= LATEST:
        raise ValidationFailed(
            _("Invalid date."),
            fields={
                name: [
                    _("Enter a date from %(first)s to %(last)s.")
                    % {"first": EARLIEST.isoformat(), "last": LATEST.isoformat()}
                ]
            },
        )
    return value
