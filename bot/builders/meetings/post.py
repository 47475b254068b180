"""The meeting as posted in its channel: details, the live count and the RSVP buttons."""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, HeaderBlock

from bot.builders.common import context, safe_link, section
from bot.builders.ids import MeetingIds
from bot.builders.meetings.words import duration_label, fallback_time, texts, when
from bot.models import Meeting, MeetingStatus, Rsvp
from bot.services import meetings as svc
from bot.services.meetings import Occurrence
from bot.text import escape, plain, truncate

RSVP_ACTIONS = {
    MeetingIds.RSVP_GOING: Rsvp.GOING,
    MeetingIds.RSVP_MAYBE: Rsvp.MAYBE,
    MeetingIds.RSVP_DECLINED: Rsvp.DECLINED,
}


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
    p = texts()
    lines = [f"*When:* {when(occ, meeting.tz)}  ·  {duration_label(meeting.duration_minutes)}"]
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
    p = texts()
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
