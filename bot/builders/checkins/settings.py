"""The convenors' settings form: the day and time check-ins go out, the reminder, the window."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    CheckboxesElement,
    InputBlock,
    Option,
    StaticSelectElement,
    TimePickerElement,
)

from bot.builders.checkins.words import texts
from bot.builders.common import modal
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

    def pick(options: list[Option], value: int) -> Option | None:
        return next((o for o in options if o.value == str(value)), None)

    blocks = [
        InputBlock(
            block_id=CheckinIds.SETTINGS_WEEKDAY,
            label=p["settings_weekday_label"],
            element=StaticSelectElement(
                action_id=CheckinIds.INPUT, options=days, initial_option=days[schedule.weekday]
            ),
        ),
        InputBlock(
            block_id=CheckinIds.SETTINGS_TIME,
            label=p["settings_time_label"],
            element=TimePickerElement(
                action_id=CheckinIds.INPUT, initial_time=schedule.at.strftime("%H:%M")
            ),
        ),
        InputBlock(
            block_id=CheckinIds.SETTINGS_REMINDER,
            label=p["settings_reminder_label"],
            element=StaticSelectElement(
                action_id=CheckinIds.INPUT,
                options=reminders,
                initial_option=pick(reminders, schedule.reminder_hours),
            ),
        ),
        InputBlock(
            block_id=CheckinIds.SETTINGS_WINDOW,
            label=p["settings_window_label"],
            element=StaticSelectElement(
                action_id=CheckinIds.INPUT,
                options=windows,
                initial_option=pick(windows, schedule.window_hours),
            ),
        ),
        InputBlock(
            block_id=CheckinIds.SETTINGS_ENABLED,
            label=" ",
            optional=True,
            element=CheckboxesElement(
                action_id=CheckinIds.INPUT,
                options=[enabled],
                initial_options=[enabled] if schedule.enabled else None,
            ),
        ),
    ]
    return modal(
        callback_id=CheckinIds.SETTINGS_MODAL,
        title=p["settings_title"],
        submit=p["settings_submit"],
        close="Cancel",
        blocks=blocks,
    )
