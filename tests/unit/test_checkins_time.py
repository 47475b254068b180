"""When each member's check-in is due: their own 09:30, across clock changes, caught up until
the end of their own day and never after."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from bot.models import Community, Member, MemberStatus, Visibility
from bot.services import checkins
from bot.services.checkins import Schedule

MONDAY_0930 = Schedule(weekday=0, at=time(9, 30))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "monday", "expected_utc"),
    [
        # Europe/London: GMT before 29 March 2026, BST after; back to GMT on 25 October.
        ("Europe/London", "2026-03-23", utc(2026, 3, 23, 9, 30)),
        ("Europe/London", "2026-03-30", utc(2026, 3, 30, 8, 30)),
        ("Europe/London", "2026-10-19", utc(2026, 10, 19, 8, 30)),
        ("Europe/London", "2026-10-26", utc(2026, 10, 26, 9, 30)),
        # America/New_York: EDT from 8 March 2026, EST again from 1 November.
        ("America/New_York", "2026-03-02", utc(2026, 3, 2, 14, 30)),
        ("America/New_York", "2026-03-09", utc(2026, 3, 9, 13, 30)),
        ("America/New_York", "2026-11-02", utc(2026, 11, 2, 14, 30)),
        # Asia/Kolkata: no daylight saving, always UTC+05:30.
        ("Asia/Kolkata", "2026-03-30", utc(2026, 3, 30, 4, 0)),
        # Pacific/Auckland: NZDT (+13) ends 5 April 2026, starts again 27 September.
        ("Pacific/Auckland", "2026-03-30", utc(2026, 3, 29, 20, 30)),
        ("Pacific/Auckland", "2026-04-06", utc(2026, 4, 5, 21, 30)),
        ("Pacific/Auckland", "2026-09-28", utc(2026, 9, 27, 20, 30)),
    ],
)
def test_due_at_local_0930_across_clock_changes(
    zone: str, monday: str, expected_utc: datetime
) -> None:
    day = datetime.fromisoformat(monday).date()
    assert checkins.local_due(MONDAY_0930, ZoneInfo(zone), day) == expected_utc
    week, due, local_day = checkins.current_due(MONDAY_0930, ZoneInfo(zone), expected_utc)
    assert (due, local_day) == (expected_utc, day)
    assert week == checkins.week_of(day)


def test_a_time_skipped_by_the_clock_change_moves_forward() -> None:
    early = Schedule(weekday=6, at=time(1, 30))  # Sunday 01:30 does not exist on 29 March
    due = checkins.local_due(early, ZoneInfo("Europe/London"), datetime(2026, 3, 29).date())
    assert due == utc(2026, 3, 29, 1, 30)  # 02:30 BST, the first moment after the gap


def _member(session: Session, community: Community, user_id: str, tz: str | None) -> Member:
    member = Member(community_id=community.id, user_id=user_id, name=user_id, tz=tz)
    session.add(member)
    session.flush()
    return member


@pytest.fixture
def community(db_session: Session) -> Community:
    community = Community(slug="tz", name="TZ", settings={})
    db_session.add(community)
    db_session.flush()
    return community


def test_due_only_from_the_local_time_until_the_end_of_the_local_day(
    db_session: Session, community: Community
) -> None:
    london = _member(db_session, community, "ULON", "Europe/London")
    nowhere = _member(db_session, community, "UNOTZ", None)  # falls back to the workspace's
    kolkata = _member(db_session, community, "UKOL", "Asia/Kolkata")

    def due_ids(now: datetime, workspace_tz: str = "America/New_York") -> set[int]:
        found = checkins.due_checkins(
            db_session, community=community, now=now, workspace_tz=workspace_tz
        )
        return {d.member_id for d in found}

    assert due_ids(utc(2026, 3, 30, 3, 59)) == set()
    assert due_ids(utc(2026, 3, 30, 4, 0)) == {kolkata.id}
    assert due_ids(utc(2026, 3, 30, 8, 30)) == {kolkata.id, london.id}
    assert due_ids(utc(2026, 3, 30, 13, 30)) == {kolkata.id, london.id, nowhere.id}
    # Kolkata's Monday ends at 18:30 UTC: a check-in missed all day is not sent on Tuesday.
    assert due_ids(utc(2026, 3, 30, 18, 29)) == {kolkata.id, london.id, nowhere.id}
    assert due_ids(utc(2026, 3, 30, 18, 30)) == {london.id, nowhere.id}
    assert due_ids(utc(2026, 3, 30, 23, 0)) == {nowhere.id}
    assert due_ids(utc(2026, 3, 31, 4, 0)) == set()


def test_paused_and_already_answered_members_are_not_due(
    db_session: Session, community: Community
) -> None:
    paused = _member(db_session, community, "UPAUSE", "Europe/London")
    answered = _member(db_session, community, "UANS", "Europe/London")
    checkins.pause(
        db_session,
        member=paused,
        until=datetime(2026, 4, 3).date(),
        today=datetime(2026, 3, 28).date(),
    )
    checkins.record_answer(
        db_session, member=answered, week="2026-W14", answer=checkins.Answer(mood=4)
    )
    now = utc(2026, 3, 30, 9, 0)
    assert checkins.due_checkins(db_session, community=community, now=now, workspace_tz="UTC") == []
    # The week after the pause ends, the paused member is due again.
    later = checkins.due_checkins(
        db_session, community=community, now=now + timedelta(days=7), workspace_tz="UTC"
    )
    assert {d.member_id for d in later} == {paused.id, answered.id}


def test_a_second_answer_updates_the_first_and_a_skip_never_overwrites(
    db_session: Session, community: Community
) -> None:
    member = _member(db_session, community, "UONE", "Europe/London")
    first = checkins.record_answer(
        db_session, member=member, week="2026-W14", answer=checkins.Answer(mood=2)
    )
    second = checkins.record_answer(
        db_session, member=member, week="2026-W14", answer=checkins.Answer(mood=4)
    )
    skipped, newly = checkins.record_skip(db_session, member=member, week="2026-W14")
    assert first.id == second.id == skipped.id and skipped.mood == 4 and not newly


def test_care_signals_only_when_the_member_ticked_the_box(
    db_session: Session, community: Community
) -> None:
    low = checkins.Answer(mood=1, support="Time", visibility=Visibility.CONVENORS)
    sharer = _member(db_session, community, "USHARE", "Europe/London")
    private = _member(db_session, community, "UPRIV", "Europe/London")
    for week in ("2026-W13", "2026-W14"):
        quiet = checkins.record_answer(db_session, member=sharer, week=week, answer=low)
    assert checkins.care_signal(db_session, quiet) is None  # low twice, words on support: no ask
    asked = checkins.record_answer(
        db_session,
        member=private,
        week="2026-W14",
        answer=checkins.Answer(mood=4, tell_convenors=True),
    )
    signal = checkins.care_signal(db_session, asked)
    assert signal is not None and (signal.member_id, signal.week) == (private.id, "2026-W14")
    weeks = ["2026-W13", "2026-W14"]
    assert checkins.care_signals(db_session, community=community, weeks=weeks) == [signal]


def test_checkin_command_counts_for_the_check_in_just_sent_when_the_day_is_not_monday(
    db_session: Session, community: Community
) -> None:
    """With check-ins on Sunday, `/checkin` typed on Monday answers the Sunday DM's week (which
    is still open), not the new ISO week: that would hide the answer from Sunday's summary and
    swallow next Sunday's DM."""
    checkins.save_schedule(db_session, community, Schedule(weekday=6, at=time(18, 0)))
    london = _member(db_session, community, "ULON", "Europe/London")
    london.status = MemberStatus.ACTIVE
    monday = utc(2026, 3, 30, 10, 0)
    week = checkins.week_for_member(
        db_session, member=london, community=community, now=monday, workspace_tz="Europe/London"
    )
    sunday_dm = checkins.due_checkins(
        db_session, community=community, now=utc(2026, 3, 29, 18, 0), workspace_tz="UTC"
    )
    assert [d.week for d in sunday_dm] == [week] == ["2026-W13"]
    shared = checkins.Answer(mood=4, visibility=Visibility.CONVENORS)
    checkins.record_answer(db_session, member=london, week=week, answer=shared)
    assert checkins.summarise(db_session, community=community, week=week).shared_count == 1
    next_sunday = checkins.due_checkins(
        db_session, community=community, now=utc(2026, 4, 5, 17, 0), workspace_tz="UTC"
    )
    assert [d.member_id for d in next_sunday] == [london.id]
