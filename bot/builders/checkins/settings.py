"""The convenors' settings form: the day and time check-ins go out, the reminder, the window."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import InputBlock, Option, StaticSelectElement, TimePickerElement

from bot.builders.checkins.words import texts
from bot.builders.common import modal, tick_box
from bot.builders.ids import CheckinIds
from bot.services.checkins import REMINDER_CHOICES, WEEKDAYS, WINDOW_CHOICES, Schedule
from bot.text import plain

SETTINGS_FIELD_IDS = {
    "weekday": CheckinIds.SETTINGS_WEEKDAY.value,
    "time": CheckinIds.SETTINGS_TIME.value,
    "reminder": CheckinIds.SETTINGS_REMINDER.value,
    "window": CheckinIds.SETTINGS_WINDOW.value,
}


def settings_modal(schedule: Schedule) -> dict[str, Any]:
    p = texts()
    days = [Option(value=str(i), text=name) for i, name in enumerate(WEEKDAYS)]
    reminders = [Option(value=str(h), text=f"{h} hours") for h in REMINDER_CHOICES]
    windows = [
        Option(value=str(h), text=f"{h // 24} days" if h % 24 == 0 else f"{h} hours")
        for h in WINDOW_CHOICES
    ]
    enabled = Option(
        value=CheckinIds.SETTINGS_ENABLED_YES.value, text=plain(p["settings_enabled_label"], 75)
    )

    def select(block_id: str, label: str, options: list[Option], value: int) -> InputBlock:
        """A pick-one that opens on the schedule's current choice."""
        return InputBlock(
            block_id=block_id,
            label=label,
            element=StaticSelectElement(
                action_id=CheckinIds.INPUT,
                options=options,
                initial_option=next((o for o in options if o.value == str(value)), None),
            ),
        )

    blocks = [
        select(CheckinIds.SETTINGS_WEEKDAY, p["settings_weekday_label"], days, schedule.weekday),
        InputBlock(
            block_id=CheckinIds.SETTINGS_TIME,
            label=p["settings_time_label"],
            element=TimePickerElement(
                action_id=CheckinIds.INPUT, initial_time=schedule.at.strftime("%H:%M")
            ),
        ),
        select(
            CheckinIds.SETTINGS_REMINDER,
            p["settings_reminder_label"],
            reminders,
            schedule.reminder_hours,
        ),
        select(
            CheckinIds.SETTINGS_WINDOW, p["settings_window_label"], windows, schedule.window_hours
        ),
        tick_box(
            block_id=CheckinIds.SETTINGS_ENABLED,
            action_id=CheckinIds.INPUT,
            option=enabled,
            ticked=schedule.enabled,
        ),
    ]
    return modal(
        callback_id=CheckinIds.SETTINGS_MODAL,
        title=p["settings_title"],
        submit=p["settings_submit"],
        close="Cancel",
        blocks=blocks,
    )
