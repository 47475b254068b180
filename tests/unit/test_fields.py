"""A checked form copied onto its row: every field, renamed where the row names it otherwise."""

from __future__ import annotations

from datetime import date

import pytest

from bot.models import Checkin, Meeting, Repeat, Visibility
from bot.services.checkins import Answer
from bot.services.fields import copy_fields
from bot.services.meetings import MeetingDraft

DRAFT = MeetingDraft(
    title="Tea and talk",
    day=date(2031, 1, 7),
    start_minute=18 * 60,
    duration_minutes=90,
    video_url="https://meet.example/tea",
    agenda="Stories",
    channel_id="C0COP",
    repeat=Repeat.MONTHLY,
)


def test_every_field_lands_on_the_row_and_a_renamed_one_under_its_new_name() -> None:
    meeting = Meeting()
    copy_fields(DRAFT, meeting, renamed={"day": "first_date"})
    assert (meeting.title, meeting.first_date, meeting.start_minute) == (
        "Tea and talk",
        date(2031, 1, 7),
        18 * 60,
    )
    assert (meeting.duration_minutes, meeting.video_url, meeting.agenda) == (
        90,
        "https://meet.example/tea",
        "Stories",
    )
    assert (meeting.channel_id, meeting.repeat) == ("C0COP", Repeat.MONTHLY)

    checkin = Checkin()
    copy_fields(Answer(mood=4, win="a win", visibility=Visibility.CONVENORS), checkin)
    assert (checkin.mood, checkin.win, checkin.on_mind, checkin.visibility) == (
        4,
        "a win",
        "",
        Visibility.CONVENORS,
    )


def test_a_field_the_row_has_no_column_for_is_an_error_not_a_stray_attribute() -> None:
    meeting = Meeting()
    with pytest.raises(AttributeError, match="'day'"):
        copy_fields(DRAFT, meeting)
    assert not hasattr(meeting, "day")
