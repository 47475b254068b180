"""Meetings on the real database: DST-safe repeats, what falls due when, RSVPs and the pulse."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from bot.builders import meetings as builders
from bot.errors import InvalidInput
from bot.models import Community, Meeting, Member, Repeat, Role, Rsvp
from bot.services import meetings
from bot.services.meetings import DueKind, MeetingConfig, MeetingDraft

NOW = datetime(2031, 1, 1, 12, 0, tzinfo=UTC)


def setup_meeting(
    session: Session,
    *,
    day: date = date(2031, 1, 7),  # the first Tuesday of January 2031
    start_minute: int = 18 * 60,
    duration: int = 90,
    repeat: Repeat = Repeat.MONTHLY,
    tz: str = "Europe/London",
) -> tuple[Meeting, list[Member]]:
    community = Community(slug="meet-test", name="Test CoP", settings={})
    session.add(community)
    session.flush()
    people = [
        Member(community_id=community.id, user_id="UC", name="Esther", role=Role.CONVENOR),
        Member(community_id=community.id, user_id="U1", name="Amina"),
        Member(community_id=community.id, user_id="U2", name="Rohan"),
    ]
    session.add_all(people)
    session.flush()
    draft = MeetingDraft(
        title="Monthly get-together",
        day=day,
        start_minute=start_minute,
        duration_minutes=duration,
        video_url="https://meet.example/abc",
        agenda="Stories, then tea",
        channel_id="C0COP",
        repeat=repeat,
    )
    meeting, created = meetings.create_meeting(
        session,
        community=community,
        convenor=people[0],
        draft=draft,
        tz=tz,
        source_key="view:1",
        now=NOW,
    )
    assert created
    meeting.message_ts = "1.0"
    return meeting, people


def test_monthly_first_tuesday_keeps_local_time_across_dst(db_session: Session) -> None:
    meeting, _ = setup_meeting(db_session)
    occ = meetings.upcoming_occurrences(meeting, NOW, 5)
    assert [o.day for o in occ] == [
        date(2031, 1, 7),
        date(2031, 2, 4),
        date(2031, 3, 4),
        date(2031, 4, 1),
        date(2031, 5, 6),
    ]
    assert occ[0].starts_at == datetime(2031, 1, 7, 18, 0, tzinfo=UTC)  # GMT
    assert occ[3].starts_at == datetime(2031, 4, 1, 17, 0, tzinfo=UTC)  # BST: still 18:00 local
    assert meetings.describe_repeat(meeting) == "monthly on the first Tuesday"


def test_last_weekday_and_weekly_repeats(db_session: Session) -> None:
    meeting, _ = setup_meeting(db_session, day=date(2031, 1, 30), repeat=Repeat.MONTHLY)
    days = [o.day for o in meetings.upcoming_occurrences(meeting, NOW, 3)]
    assert days == [date(2031, 1, 30), date(2031, 2, 27), date(2031, 3, 27)]  # last Thursdays
    meeting.repeat = Repeat.FORTNIGHTLY
    days = [o.day for o in meetings.upcoming_occurrences(meeting, NOW + timedelta(days=40), 2)]
    assert days == [date(2031, 2, 13), date(2031, 2, 27)]


def kinds_at(session: Session, now: datetime, config: MeetingConfig | None = None) -> set:
    return {
        (d.kind, d.occurrence.day)
        for d in meetings.due(session, now=now, config=config or MeetingConfig())
    }


def test_what_is_due_when(db_session: Session) -> None:
    meeting, people = setup_meeting(db_session)
    start = datetime(2031, 1, 7, 18, 0, tzinfo=UTC)
    day = date(2031, 1, 7)
    assert kinds_at(db_session, start - timedelta(hours=25)) == set()
    assert kinds_at(db_session, start - timedelta(hours=23)) == {(DueKind.REMIND_DAY, day)}
    assert kinds_at(db_session, start - timedelta(minutes=30)) == {(DueKind.REMIND_HOUR, day)}
    assert kinds_at(db_session, start + timedelta(minutes=1)) == {(DueKind.START, day)}
    assert kinds_at(db_session, start + timedelta(minutes=20)) == set()
    assert kinds_at(db_session, start + timedelta(minutes=46)) == {(DueKind.TEA, day)}
    # Tea breaks only in long meetings; the threshold and the moment are configurable.
    assert kinds_at(db_session, start + timedelta(minutes=46), MeetingConfig(90)) == set()
    assert kinds_at(db_session, start + timedelta(minutes=31), MeetingConfig(60, tea_at=30)) == {
        (DueKind.TEA, day)
    }

    # Nobody has answered: no pulse. Once someone is coming, they get it, then the convenor a summary.
    after = start + timedelta(minutes=95)
    assert kinds_at(db_session, after) == set()
    meetings.set_rsvp(db_session, meeting, people[1], day, Rsvp.GOING)
    meetings.set_rsvp(db_session, meeting, people[2], day, Rsvp.DECLINED)
    pulse = [d for d in meetings.due(db_session, now=after, config=MeetingConfig())]
    assert [(d.kind, d.recipients) for d in pulse] == [(DueKind.PULSE, ("U1",))]
    summary = meetings.due(db_session, now=after + timedelta(days=1), config=MeetingConfig())
    assert [(d.kind, d.recipients) for d in summary] == [(DueKind.SUMMARY, ("UC",))]


def test_reminders_skip_people_who_declined_and_cancelled_meetings(db_session: Session) -> None:
    meeting, people = setup_meeting(db_session)
    day = date(2031, 1, 7)
    meetings.set_rsvp(db_session, meeting, people[2], day, Rsvp.DECLINED)
    now = datetime(2031, 1, 7, 17, 30, tzinfo=UTC)
    (item,) = meetings.due(db_session, now=now, config=MeetingConfig())
    assert item.recipients == ("UC", "U1")
    assert item.key("U1") == f"meeting:{meeting.id}:2031-01-07:remind-hour:U1"
    meetings.cancel_meeting(db_session, meeting)
    assert meetings.due(db_session, now=now, config=MeetingConfig()) == []


def test_validation_names_each_bad_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        meetings.validate_draft(
            title=" ",
            day="2020-01-01",
            start="18:00",
            duration="7",
            video_url="zoom",
            agenda=None,
            channel_id=None,
            repeat="yearly",
            tz="Europe/London",
            now=NOW,
            field_ids=builders.FIELD_IDS,
        )
    assert set(caught.value.field_errors) == {
        "meeting_title",
        "meeting_day",
        "meeting_duration",
        "meeting_video_url",
        "meeting_channel",
        "meeting_repeat",
    }


def test_pulse_summary_has_no_names_and_waits_for_enough_answers(db_session: Session) -> None:
    meeting, people = setup_meeting(db_session)
    day = date(2031, 1, 7)
    occ = meetings.occurrence_at(meeting, day)
    meetings.record_pulse(db_session, meeting, people[1], day, score=4)
    meetings.record_pulse(db_session, meeting, people[2], day, score=5, note="Loved it")
    meetings.record_pulse(db_session, meeting, people[2], day, note="Loved it <!channel>")
    two = meetings.pulse_summary(db_session, meeting.id, day)
    assert two.too_few and (two.average, two.spread, two.notes) == (None, {}, [])
    text = builders.summary_text(meeting, occ, two)
    assert "too few" in text and "Loved it" not in text and "4" not in text.split(":")[-1]
    meetings.record_pulse(db_session, meeting, people[0], day, score=3)
    summary = meetings.pulse_summary(db_session, meeting.id, day)
    assert (summary.answers, summary.average, summary.notes) == (3, 4.0, ["Loved it <!channel>"])
    text = builders.summary_text(meeting, occ, summary)
    assert "Rohan" not in text and "&lt;!channel&gt;" in text
    with pytest.raises(InvalidInput):
        meetings.record_pulse(db_session, meeting, people[1], day, score=6)


def test_ics_is_rfc5545(db_session: Session) -> None:
    meeting, _ = setup_meeting(db_session)
    meeting.agenda = "Stories; tea, biscuits\nand a long line " + "x" * 120
    text = builders.ics(meeting, now=NOW)
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    unfolded = text.replace("\r\n ", "")
    assert "DTSTART:20310107T180000Z" in unfolded
    assert "20310401T170000Z" in unfolded  # the April date, in summer time
    assert "Stories\\; tea\\, biscuits\\nand" in unfolded
    assert f"UID:meeting-{meeting.id}@kettle" in unfolded


def test_post_shows_each_readers_time_and_counts(db_session: Session) -> None:
    meeting, people = setup_meeting(db_session)
    occ = meetings.next_occurrence(meeting, NOW)
    assert occ is not None
    meetings.set_rsvp(db_session, meeting, people[1], occ.day, Rsvp.GOING)
    blocks = builders.meeting_post(
        meeting,
        occ,
        counts=meetings.rsvp_counts(db_session, meeting.id, occ.day),
        going=meetings.going_names(db_session, meeting.id, occ.day),
    )
    text = str(blocks)
    stamp = int(occ.starts_at.timestamp())
    assert f"<!date^{stamp}^{{date_long_pretty}} at {{time}}|Tue 7 Jan 2031, 18:00 GMT>" in text
    assert "1 going" in text and "Amina" in text
