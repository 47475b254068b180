"""The member's own check-ins section of the App Home: their trend, the schedule, on or off."""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, MarkdownTextObject, SectionBlock

from bot.builders.checkins.words import mood_word, texts, trend
from bot.builders.common import context, section
from bot.builders.ids import CheckinIds
from bot.models import Checkin, CheckinStatus
from bot.services.checkins import WEEKDAYS, Schedule
from bot.text import truncate


def home_section(
    recent: list[Checkin],
    *,
    schedule: Schedule,
    is_convenor: bool,
    paused_until: date | None,
    off: bool = False,
) -> list[dict[str, Any]]:
    p = texts()
    button = ButtonElement(
        text=p["home_button"], action_id=CheckinIds.OPEN_BUTTON, value="", style="primary"
    )
    blocks: list[dict[str, Any]] = [
        SectionBlock(text=MarkdownTextObject(text=p["home_heading"]), accessory=button).to_dict()
    ]
    if recent:
        lines = [f"{trend(recent)}"]
        for c in recent:
            what = mood_word(c.mood) if c.status == CheckinStatus.ANSWERED else "skipped"
            lines.append(f"• {c.week}: {what}")
        blocks.append(section(truncate("\n".join(lines), 3000)))
    else:
        blocks.append(context(p["home_none"]))
    if off:
        notes = [p["home_off"]]
    else:
        notes = [
            p["home_schedule"].format(
                weekday=WEEKDAYS[schedule.weekday], time=schedule.at.strftime("%H:%M")
            )
        ]
        if paused_until is not None:
            notes.append(p["paused"].format(until=paused_until.strftime("%d %b %Y")))
    blocks.append(context(" ".join(notes)))
    buttons = [
        ButtonElement(text=p["home_on_button"], action_id=CheckinIds.ON_BUTTON)
        if off
        else ButtonElement(text=p["home_off_button"], action_id=CheckinIds.OFF_BUTTON)
    ]
    if is_convenor:
        buttons.append(
            ButtonElement(text=p["home_settings_button"], action_id=CheckinIds.SETTINGS_BUTTON)
        )
    blocks.append(ActionsBlock(elements=buttons).to_dict())
    return blocks
