from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone


def local_start(days: int = 2, hour: int = 10, minute: int = 0, zone="Europe/Moscow") -> datetime:
    """A start `days` after today in the tenant's zone (always in the future, never past the
    booking horizon), as an aware UTC moment."""
    tz = ZoneInfo(zone)
    day = timezone.now().astimezone(tz).date() + timedelta(days=days)
    return datetime.combine(day, time(hour, minute), tzinfo=tz).astimezone(ZoneInfo("UTC"))
