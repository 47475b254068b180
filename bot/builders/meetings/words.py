"""The meetings' wording (prompts/meetings.toml) and how a meeting's time and length read:
Slack shows each reader their own zone; the fallback is in the meeting's."""

from __future__ import annotations

from typing import Any

import prompts
from bot.builders.common import date_token
from bot.services import meetings as svc
from bot.services.meetings import Occurrence


def texts() -> dict[str, Any]:
    return prompts.load("meetings")


def duration_label(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def fallback_time(occ: Occurrence, tz: str) -> str:
    local = occ.starts_at.astimezone(svc.zone(tz))
    return f"{local:%a} {local.day} {local:%b %Y}, {local:%H:%M} {local.tzname()}"


def when(occ: Occurrence, tz: str) -> str:
    """Slack shows this in each reader's own zone; the fallback is in the meeting's zone."""
    return date_token(occ.starts_at, "{date_long_pretty} at {time}", fallback_time(occ, tz))
