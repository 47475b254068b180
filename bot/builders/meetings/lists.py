"""Upcoming meetings: the /meeting list (with Edit and Cancel for convenors) and the App
Home section."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import ActionsBlock, ButtonElement

from bot.builders.common import context, safe_link, section
from bot.builders.ids import MeetingIds
from bot.builders.meetings.words import texts, when
from bot.models import Meeting
from bot.services.meetings import Occurrence
from bot.text import escape, truncate


def meeting_line(meeting: Meeting, occ: Occurrence) -> str:
    return f"*{escape(truncate(meeting.title, 120))}*  ·  {when(occ, meeting.tz)}"


def meeting_list(
    items: list[tuple[Meeting, Occurrence]], *, convenor: bool
) -> list[dict[str, Any]]:
    """Upcoming meetings; a convenor also gets Edit and Cancel buttons."""
    p = texts()
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
    p = texts()
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
