"""The check-ins' wording (prompts/checkins.toml) and how a mood reads: a word, or a
weather emoji a week."""

from __future__ import annotations

from typing import Any

import prompts
from bot.models import Checkin, CheckinStatus


def texts() -> dict[str, Any]:
    return prompts.load("checkins")


def mood_word(mood: int | None) -> str:
    if not mood:
        return "–"
    return str(texts()["moods"].get(str(mood), str(mood)))


def trend(checkins: list[Checkin]) -> str:
    """Oldest to newest, one weather emoji a week; a skipped week is a dot."""
    emoji = texts()["mood_emoji"]
    marks = [
        emoji.get(str(c.mood), "·") if c.status == CheckinStatus.ANSWERED else "·"
        for c in reversed(checkins)
    ]
    return " → ".join(marks)
