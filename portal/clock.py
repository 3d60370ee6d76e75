"""The one place that reads the wall clock. Everything else receives ``now``/``today``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")


def utcnow() -> datetime:
    return datetime.now(UTC)


def today_in_brussels(now: datetime | None = None) -> date:
    """The fund counts calendar days in Belgium, not in UTC."""
    return (now or utcnow()).astimezone(BRUSSELS).date()
