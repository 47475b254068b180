"""The check-in DM, its form, the pause and settings modals, the convenors' summary, care nudges
and the member's own App Home section."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    DatePickerElement,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
    TimePickerElement,
)

import prompts
from bot import privacy
from bot.builders.common import context, modal, options, section
from bot.builders.ids import CheckinIds
from bot.models import Checkin, CheckinStatus, Visibility
from bot.services.checkins import (
    REMINDER_CHOICES,
    TEXT_MAX,
    WEEKDAYS,
    WINDOW_CHOICES,
    CareSignal,
    Schedule,
    Summary,
)
from bot.text import escape, plain, truncate

FIELD_IDS = {
    "mood": CheckinIds.MOOD.value,
    "on_mind": CheckinIds.ON_MIND.value,
    "win": CheckinIds.WIN.value,
    "challenge": CheckinIds.CHALLENGE.value,
    "support": CheckinIds.SUPPORT.value,
    "visibility": CheckinIds.VISIBILITY.value,
}
SETTINGS_FIELD_IDS = {
    "weekday": CheckinIds.SETTINGS_WEEKDAY.value,
    "time": CheckinIds.SETTINGS_TIME.value,
    "reminder": CheckinIds.SETTINGS_REMINDER.value,
    "window": CheckinIds.SETTINGS_WINDOW.value,
}


def _p() -> dict[str, Any]:
    return prompts.load("checkins")


def dm_actions(week: str) -> dict[str, Any]:
    p = _p()
    return ActionsBlock(
        block_id=CheckinIds.DM_ACTIONS,
        elements=[
            ButtonElement(
                text=p["check_in_button"],
                action_id=CheckinIds.OPEN_BUTTON,
                value=week,
                style="primary",
            ),
            ButtonElement(text=p["skip_button"], action_id=CheckinIds.SKIP_BUTTON, value=week),
            ButtonElement(text=p["pause_button"], action_id=CheckinIds.PAUSE_BUTTON, value=week),
        ],
    ).to_dict()


def checkin_dm(name: str, week: str, *, reminder: bool = False) -> tuple[str, list[dict[str, Any]]]:
    """The weekly DM (or its one reminder): fallback text and blocks."""
    p = _p()
    who = escape(name) or "there"
    intro = p["reminder_intro" if reminder else "dm_intro"].format(name=who)
    text = p["reminder_text" if reminder else "dm_text"].format(name=who)
    blocks = [
        section(truncate(intro, 3000)),
        dm_actions(week),
        context(p["dm_off_hint"]),
    ]
    return text, blocks


def checkin_modal(week: str, existing: Checkin | None = None) -> dict[str, Any]:
    p = _p()
    moods = options(p["moods"])
    seen_by = [
        Option(
            value=value,
            text=plain(label, 75),
            description=plain(p["visibility_help"][value], 75),
        )
        for value, label in p["visibility"].items()
    ]
    answered = existing is not None and existing.status == CheckinStatus.ANSWERED

    def initial_mood() -> Option | None:
        if answered and existing is not None and existing.mood:
            return next((o for o in moods if o.value == str(existing.mood)), None)
        return None

    def initial_seen_by() -> Option:
        value = existing.visibility.value if answered and existing else Visibility.PRIVATE.value
        return next(o for o in seen_by if o.value == value)

    def text_input(block_id: str, label: str, initial: str | None) -> InputBlock:
        return InputBlock(
            block_id=block_id,
            label=plain(label, 2000),
            optional=True,
            element=PlainTextInputElement(
                action_id=CheckinIds.INPUT,
                multiline=True,
                max_length=TEXT_MAX,
                initial_value=initial or None,
            ),
        )

    tell_option = Option(
        value=CheckinIds.TELL_CONVENORS_YES.value,
        text=plain(p["tell_convenors_label"], 75),
        description=plain(p["tell_convenors_help"], 75),
    )
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=p["modal_intro"])),
        InputBlock(
            block_id=CheckinIds.MOOD,
            label=plain(p["mood_label"], 2000),
            element=StaticSelectElement(
                action_id=CheckinIds.INPUT, options=moods, initial_option=initial_mood()
            ),
        ),
        text_input(
            CheckinIds.ON_MIND,
            p["on_mind_label"],
            existing.on_mind if answered and existing else None,
        ),
        text_input(CheckinIds.WIN, p["win_label"], existing.win if answered and existing else None),
        text_input(
            CheckinIds.CHALLENGE,
            p["challenge_label"],
            existing.challenge if answered and existing else None,
        ),
        text_input(
            CheckinIds.SUPPORT,
            p["support_label"],
            existing.support if answered and existing else None,
        ),
        InputBlock(
            block_id=CheckinIds.TELL_CONVENORS,
            label=" ",
            optional=True,
            element=CheckboxesElement(
                action_id=CheckinIds.INPUT,
                options=[tell_option],
                initial_options=[tell_option]
                if answered and existing and existing.tell_convenors
                else None,
            ),
        ),
        InputBlock(
            block_id=CheckinIds.VISIBILITY,
            label=plain(p["visibility_label"], 2000),
            element=RadioButtonsElement(
                action_id=CheckinIds.INPUT, options=seen_by, initial_option=initial_seen_by()
            ),
        ),
    ]
    return modal(
        callback_id=CheckinIds.MODAL,
        title=p["modal_title"],
        submit=p["modal_submit"],
        close="Cancel",
        private_metadata=json.dumps({"week": week}),
        blocks=blocks,
    )


def pause_modal(today: date) -> dict[str, Any]:
    p = _p()
    return modal(
        callback_id=CheckinIds.PAUSE_MODAL,
        title=p["pause_title"],
        submit=p["pause_submit"],
        close="Cancel",
        blocks=[
            InputBlock(
                block_id=CheckinIds.PAUSE_UNTIL,
                label=plain(p["pause_label"], 2000),
                element=DatePickerElement(
                    action_id=CheckinIds.INPUT, initial_date=today.isoformat()
                ),
            ),
            context(p["pause_off_hint"]),
        ],
    )


def settings_modal(schedule: Schedule) -> dict[str, Any]:
    p = _p()
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


def mood_word(mood: int | None) -> str:
    if not mood:
        return "–"
    return str(_p()["moods"].get(str(mood), str(mood)))


def _entry(checkin: Checkin) -> str:
    """What one member shared, every word escaped."""
    p = _p()
    name = escape(checkin.member.name if checkin.member else "A member")
    lines = [f"*{name}* · {mood_word(checkin.mood)}"]
    for key, label in (
        ("support", p["support_label"]),
        ("on_mind", p["on_mind_label"]),
        ("win", p["win_label"]),
        ("challenge", p["challenge_label"]),
    ):
        value = getattr(checkin, key)
        if value:
            lines.append(f"_{label}_ {escape(truncate(value, 400))}")
    return truncate("\n".join(lines), 3000)


def _packed(entries: list[str], limit: int = 3000) -> list[str]:
    """Several members' entries to a section (Slack allows 50 blocks a message), each section
    within Slack's 3,000 characters."""
    chunks: list[str] = []
    for entry in entries:
        if chunks and len(chunks[-1]) + 2 + len(entry) <= limit:
            chunks[-1] += "\n\n" + entry
        else:
            chunks.append(entry)
    return chunks


def summary_message(summary: Summary) -> tuple[str, list[dict[str, Any]]]:
    """The convenors' weekly summary; at most 50 blocks, support requests first."""
    p = _p()
    title = p["summary_title"].format(week=summary.week)
    if summary.moods is None:
        mood = p["summary_too_few"].format(min=privacy.MIN_SHARED)
    else:
        moods = summary.moods
        spread = "  ".join(
            f"{p['mood_emoji'].get(str(level), '')} {moods.get(level, 0)}" for level in range(1, 6)
        )
        mood = p["summary_mood"].format(spread=spread)
    blocks: list[dict[str, Any]] = [
        HeaderBlock(text=plain(title, 150)).to_dict(),
        SectionBlock(
            text=MarkdownTextObject(
                text=p["summary_counts"].format(shared=summary.shared_count, sent=summary.sent)
                + "\n"
                + mood
            )
        ).to_dict(),
    ]
    for heading, entries in (
        (p["summary_support_heading"], summary.support),
        (p["summary_shared_heading"], summary.shared),
    ):
        if entries:
            blocks.append(section(heading))
            chunks = _packed([_entry(c) for c in entries])
            blocks.extend(section(chunk) for chunk in chunks)
    if not summary.support and not summary.shared:
        blocks.append(context(p["summary_nothing_shared"]))
    if len(blocks) > 50:
        hidden = len(blocks) - 49
        blocks = [
            *blocks[:49],
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=f"…and {hidden} more sections: too many for one message."
                    )
                ]
            ).to_dict(),
        ]
    return title, blocks


def care_message(signal: CareSignal) -> tuple[str, list[dict[str, Any]]]:
    p = _p()
    name = escape(signal.name)
    body = p["care_support"].format(name=name)
    return p["care_text"].format(name=name), [section(truncate(body, 3000))]


def trend(checkins: list[Checkin]) -> str:
    """Oldest to newest, one weather emoji a week; a skipped week is a dot."""
    emoji = _p()["mood_emoji"]
    marks = [
        emoji.get(str(c.mood), "·") if c.status == CheckinStatus.ANSWERED else "·"
        for c in reversed(checkins)
    ]
    return " → ".join(marks)


def home_section(
    recent: list[Checkin],
    *,
    schedule: Schedule,
    is_convenor: bool,
    paused_until: date | None,
    off: bool = False,
) -> list[dict[str, Any]]:
    p = _p()
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
