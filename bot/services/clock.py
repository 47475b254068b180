"""Time zones and local dates: one reading of a Slack time zone name for every capability."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone(*names: str | None) -> ZoneInfo:
    """The first of these zone names that is known (a member's own, then the workspace's, ...);
    UTC when none is."""
    for name in names:
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def local_date(now: datetime, *names: str | None) -> date:
    """Today's date where someone is: an evening in California is tomorrow in UTC."""
    return now.astimezone(zone(*names)).date()
