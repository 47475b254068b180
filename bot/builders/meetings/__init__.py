"""The meeting form, the post with RSVP buttons, reminders, tea breaks, the pulse, and .ics text."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ConversationFilter,
    ConversationSelectElement,
    DatePickerElement,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
    TimePickerElement,
    UrlInputElement,
)

import prompts
from bot import privacy
from bot.builders.common import context, date_token, modal, safe_link, section
from bot.builders.ids import MeetingIds
from bot.models import Meeting, MeetingStatus, Repeat, Rsvp
from bot.services import meetings as svc
from bot.services.meetings import DueKind, Occurrence, PulseSummary
from bot.text import escape, plain, truncate

FIELD_IDS = {
    "title": MeetingIds.TITLE.value,
    "day": MeetingIds.DAY.value,
    "start": MeetingIds.START.value,
    "duration": MeetingIds.DURATION.value,
    "video_url": MeetingIds.VIDEO_URL.value,
    "agenda": MeetingIds.AGENDA.value,
    "channel": MeetingIds.CHANNEL.value,
    "repeat": MeetingIds.REPEAT.value,
}
RSVP_ACTIONS = {
    MeetingIds.RSVP_GOING: Rsvp.GOING,
    MeetingIds.RSVP_MAYBE: Rsvp.MAYBE,
    MeetingIds.RSVP_DECLINED: Rsvp.DECLINED,
}


def _p() -> dict[str, Any]:
    return prompts.load("meetings")


def _duration_label(minutes: int) -> str:
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


# -- the form --------------------------------------------------------------------------------


def meeting_modal(
    *,
    community_id: int,
    tz: str,
    default_channel: str | None,
    meeting: Meeting | None = None,
    occurrence: Occurrence | None = None,
) -> dict[str, Any]:
    """The form behind /meeting; with `meeting` it edits (prefilled with the next occurrence)."""
    p = _p()
    durations = [Option(value=str(m), text=_duration_label(m)) for m in svc.DURATIONS]
    repeats = [Option(value=r.value, text=plain(p["repeats"][r.value], 75)) for r in Repeat]
    initial_duration = next(
        (o for o in durations if meeting and o.value == str(meeting.duration_minutes)),
        durations[2],
    )
    initial_repeat = next(
        (o for o in repeats if meeting and o.value == meeting.repeat.value), repeats[0]
    )
    local = occurrence.starts_at.astimezone(svc.zone(tz)) if occurrence else None
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=p["intro"])),
        InputBlock(
            block_id=MeetingIds.TITLE,
            label=p["title_label"],
            element=PlainTextInputElement(
                action_id=MeetingIds.INPUT,
                max_length=svc.TITLE_MAX,
                placeholder=plain(p["title_placeholder"], 150),
                initial_value=meeting.title if meeting else None,
            ),
        ),
        InputBlock(
            block_id=MeetingIds.DAY,
            label=p["day_label"],
            element=DatePickerElement(
                action_id=MeetingIds.INPUT,
                initial_date=local.date().isoformat() if local else None,
            ),
        ),
        InputBlock(
            block_id=MeetingIds.START,
            label=p["start_label"],
            hint=plain(f"In {tz}", 2000),
            element=TimePickerElement(
                action_id=MeetingIds.INPUT,
                initial_time=local.strftime("%H:%M") if local else None,
                timezone=tz,
            ),
        ),
        InputBlock(
            block_id=MeetingIds.DURATION,
            label=p["duration_label"],
            element=StaticSelectElement(
                action_id=MeetingIds.INPUT, options=durations, initial_option=initial_duration
            ),
        ),
        InputBlock(
            block_id=MeetingIds.VIDEO_URL,
            label=p["video_label"],
            hint=plain(p["video_hint"], 2000),
            element=UrlInputElement(
                action_id=MeetingIds.INPUT,
                initial_value=meeting.video_url if meeting else None,
            ),
        ),
        InputBlock(
            block_id=MeetingIds.AGENDA,
            label=p["agenda_label"],
            optional=True,
            element=PlainTextInputElement(
                action_id=MeetingIds.INPUT,
                multiline=True,
                max_length=svc.AGENDA_MAX,
                placeholder=plain(p["agenda_placeholder"], 150),
                initial_value=(meeting.agenda or None) if meeting else None,
            ),
        ),
        InputBlock(
            block_id=MeetingIds.CHANNEL,
            label=p["channel_label"],
            element=ConversationSelectElement(
                action_id=MeetingIds.INPUT,
                initial_conversation=(meeting.channel_id if meeting else default_channel),
                filter=ConversationFilter(include=["public", "private"], exclude_bot_users=True),
            ),
        ),
        InputBlock(
            block_id=MeetingIds.REPEAT,
            label=p["repeat_label"],
            element=StaticSelectElement(
                action_id=MeetingIds.INPUT, options=repeats, initial_option=initial_repeat
            ),
        ),
    ]
    metadata = {"community_id": community_id, "meeting_id": meeting.id if meeting else None}
    return modal(
        callback_id=MeetingIds.MODAL,
        title=p["edit_title"] if meeting else p["modal_title"],
        submit=p["save"] if meeting else p["submit"],
        close="Cancel",
        private_metadata=json.dumps(metadata),
        blocks=blocks,
    )


# -- the post --------------------------------------------------------------------------------


def occurrence_value(meeting_id: int, day: date) -> str:
    return f"{meeting_id}:{day.isoformat()}"


def parse_occurrence_value(value: str | None) -> tuple[int, date]:
    from bot.errors import InvalidInput

    try:
        meeting_id, day = (value or "").split(":", 1)
        return int(meeting_id), date.fromisoformat(day)
    except ValueError as exc:
        raise InvalidInput("That button is out of date.") from exc


def meeting_details(meeting: Meeting, occ: Occurrence) -> str:
    p = _p()
    lines = [f"*When:* {when(occ, meeting.tz)}  ·  {_duration_label(meeting.duration_minutes)}"]
    repeat = svc.describe_repeat(meeting)
    if repeat:
        lines.append(f"*Repeats:* {repeat}")
    lines.append(f"*Where:* <{safe_link(meeting.video_url)}|{p['texts']['join']}>")
    return "\n".join(lines)


def meeting_post(
    meeting: Meeting,
    occ: Occurrence | None,
    *,
    counts: dict[Rsvp, int],
    going: list[str],
) -> list[dict[str, Any]]:
    """The meeting as posted in its channel, with a live count of who is coming."""
    p = _p()
    if meeting.status == MeetingStatus.CANCELLED or occ is None:
        return [
            HeaderBlock(text=plain(f"{meeting.title} (cancelled)", 150)).to_dict(),
            section(p["texts"]["cancelled"]),
        ]
    blocks = [
        HeaderBlock(text=plain(meeting.title, 150)).to_dict(),
        section(meeting_details(meeting, occ)),
    ]
    if meeting.agenda:
        blocks.append(section(truncate("*Agenda*\n" + escape(meeting.agenda), 3000)))
    count = p["rsvp"]["count"].format(
        going=counts[Rsvp.GOING], maybe=counts[Rsvp.MAYBE], declined=counts[Rsvp.DECLINED]
    )
    if going:
        count += "\nComing: " + ", ".join(escape(n) for n in going)
    blocks.append(context(truncate(count, 3000)))
    value = occurrence_value(meeting.id, occ.day)
    blocks.append(
        ActionsBlock(
            block_id=MeetingIds.ACTIONS,
            elements=[
                ButtonElement(
                    text=p["rsvp"]["going"],
                    action_id=MeetingIds.RSVP_GOING,
                    value=value,
                    style="primary",
                ),
                ButtonElement(
                    text=p["rsvp"]["maybe"], action_id=MeetingIds.RSVP_MAYBE, value=value
                ),
                ButtonElement(
                    text=p["rsvp"]["declined"], action_id=MeetingIds.RSVP_DECLINED, value=value
                ),
                ButtonElement(
                    text=p["rsvp"]["calendar"], action_id=MeetingIds.CALENDAR, value=value
                ),
            ],
        ).to_dict()
    )
    return blocks


def post_text(meeting: Meeting, occ: Occurrence | None) -> str:
    if meeting.status == MeetingStatus.CANCELLED or occ is None:
        return f"Cancelled: {escape(meeting.title)}"
    return f"{escape(meeting.title)}: {fallback_time(occ, meeting.tz)}"


def meeting_line(meeting: Meeting, occ: Occurrence) -> str:
    return f"*{escape(truncate(meeting.title, 120))}*  ·  {when(occ, meeting.tz)}"


def meeting_list(
    items: list[tuple[Meeting, Occurrence]], *, convenor: bool
) -> list[dict[str, Any]]:
    """Upcoming meetings; a convenor also gets Edit and Cancel buttons."""
    p = _p()
    if not items:
        return [section(p["texts"]["nothing_upcoming"])]
    blocks: list[dict[str, Any]] = [section("*Upcoming meetings*")]
    for meeting, occ in items[:15]:
        line = (
            meeting_line(meeting, occ) + f"\n<{safe_link(meeting.video_url)}|{p['texts']['join']}>"
        )
        if convenor:
            line = f"`#{meeting.id}`  " + line
        blocks.append(section(line))
        if convenor:
            blocks.append(
                ActionsBlock(
                    block_id=f"{MeetingIds.ACTIONS}_{meeting.id}",
                    elements=[
                        ButtonElement(
                            text="Edit", action_id=MeetingIds.EDIT, value=str(meeting.id)
                        ),
                        ButtonElement(
                            text="Cancel",
                            action_id=MeetingIds.CANCEL,
                            value=str(meeting.id),
                            style="danger",
                        ),
                    ],
                ).to_dict()
            )
    return blocks


def home_section(
    items: list[tuple[Meeting, Occurrence]], *, convenor: bool
) -> list[dict[str, Any]]:
    p = _p()
    blocks = [section("*Meetings*")]
    if not items:
        blocks.append(context(p["texts"]["nothing_upcoming"]))
        return blocks
    for meeting, occ in items[:5]:
        blocks.append(
            section(
                meeting_line(meeting, occ)
                + f"\n<{safe_link(meeting.video_url)}|{p['texts']['join']}>"
            )
        )
    if convenor:
        blocks.append(context("Plan another with `/meeting`; `/meeting list` to edit or cancel."))
    return blocks


# -- reminders, tea, pulse -------------------------------------------------------------------


def reminder_text(kind: DueKind, meeting: Meeting, occ: Occurrence) -> str:
    template = _p()["reminders"][kind.value]
    return template.format(
        title=escape(meeting.title), when=when(occ, meeting.tz), link=safe_link(meeting.video_url)
    )


def reminder_blocks(kind: DueKind, meeting: Meeting, occ: Occurrence) -> list[dict[str, Any]]:
    return [section(reminder_text(kind, meeting, occ)), section(meeting_details(meeting, occ))]


def tea_text(meeting_id: int, day: date) -> str:
    """Varied wording: each meeting (and each occurrence of a series) gets a different nudge."""
    options: list[str] = _p()["tea_breaks"]
    return options[(meeting_id * 7 + day.toordinal()) % len(options)]


def pulse_blocks(meeting: Meeting, occ: Occurrence) -> list[dict[str, Any]]:
    p = _p()["pulse"]
    value = occurrence_value(meeting.id, occ.day)
    buttons = [
        ButtonElement(text=str(n), action_id=f"{MeetingIds.PULSE_SCORE}_{n}", value=value)
        for n in range(1, 6)
    ]
    buttons.append(
        ButtonElement(text=p["note_button"], action_id=MeetingIds.PULSE_NOTE, value=value)
    )
    return [
        section(p["question"].format(title=escape(meeting.title))),
        context(p["scale"]),
        ActionsBlock(block_id=MeetingIds.ACTIONS, elements=buttons).to_dict(),
    ]


def pulse_thanks_blocks(meeting: Meeting, day: date, score: int) -> list[dict[str, Any]]:
    p = _p()["pulse"]
    value = occurrence_value(meeting.id, day)
    return [
        SectionBlock(
            text=MarkdownTextObject(
                text=p["thanks"].format(title=escape(meeting.title), score=score)
            ),
            accessory=ButtonElement(
                text=p["note_button"], action_id=MeetingIds.PULSE_NOTE, value=value
            ),
        ).to_dict()
    ]


def note_modal(meeting_id: int, day: date) -> dict[str, Any]:
    p = _p()["pulse"]
    return modal(
        callback_id=MeetingIds.NOTE_MODAL,
        title=p["note_title"],
        submit="Send",
        close="Cancel",
        private_metadata=occurrence_value(meeting_id, day),
        blocks=[
            InputBlock(
                block_id=MeetingIds.NOTE,
                label=plain(p["note_label"], 2000),
                element=PlainTextInputElement(
                    action_id=MeetingIds.INPUT, multiline=True, max_length=svc.AGENDA_MAX
                ),
            )
        ],
    )


def summary_text(meeting: Meeting, occ: Occurrence, summary: PulseSummary) -> str:
    p = _p()["pulse"]
    day = f"{occ.day.day} {occ.day:%b %Y}"
    if summary.too_few:
        return p["summary_too_few"].format(
            title=escape(meeting.title), day=day, min=privacy.MIN_SHARED
        )
    head = p["summary"].format(
        title=escape(meeting.title),
        day=day,
        answers=summary.answers,
        average=summary.average if summary.average is not None else "–",
    )
    spread = "  ".join(f"{n}: {summary.spread[n]}" for n in range(1, 6))
    notes = "\n".join(f"> {escape(truncate(n, 400))}" for n in summary.notes[:10])
    return truncate("\n".join(part for part in (head, spread, notes) if part), 3000)


# -- iCalendar (RFC 5545) --------------------------------------------------------------------


def _ics_escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545 §3.1)."""
    out: list[str] = []
    current = b""
    for char in line:
        encoded = char.encode("utf-8")
        if len(current) + len(encoded) > (75 if not out else 74):
            out.append(current.decode("utf-8"))
            current = b""
        current += encoded
    out.append(current.decode("utf-8"))
    return "\r\n ".join(out)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def ics(meeting: Meeting, *, now: datetime, domain: str = "kettle") -> str:
    """A calendar file; a series lists its next dates in UTC (RDATE), so DST needs no VTIMEZONE."""
    upcoming = svc.upcoming_occurrences(meeting, now, 24)
    first = upcoming[0] if upcoming else svc.occurrence_at(meeting, meeting.first_date)
    description = meeting.agenda + ("\n\n" if meeting.agenda else "") + meeting.video_url
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Kettle//Community of Practice//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:meeting-{meeting.id}@{domain}",
        f"SEQUENCE:{meeting.sequence}",
        f"DTSTAMP:{_utc(now)}",
        f"DTSTART:{_utc(first.starts_at)}",
        f"DURATION:PT{meeting.duration_minutes}M",
        f"SUMMARY:{_ics_escape(meeting.title)}",
        f"DESCRIPTION:{_ics_escape(description)}",
        f"LOCATION:{_ics_escape(meeting.video_url)}",
        f"URL:{meeting.video_url}",
        "STATUS:CANCELLED" if meeting.status == MeetingStatus.CANCELLED else "STATUS:CONFIRMED",
    ]
    if len(upcoming) > 1:
        lines.append("RDATE:" + ",".join(_utc(o.starts_at) for o in upcoming[1:]))
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "".join(_fold(line) + "\r\n" for line in lines)
