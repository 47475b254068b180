"""Standing sets' rules on the real database: the rhythm on its own zone's wall clock, the plan
of a meeting with two presenters, report-back and learning review carried to the next meeting,
a meeting opened once, and tea breaks that come before any round ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.models import (
    Community,
    LearningSet,
    Member,
    OfferStatus,
    Round,
    RoundKind,
    RoundShare,
    SetOffer,
    SetRhythm,
)
from bot.services import rounds as svc

LONDON = ZoneInfo("Europe/London")


def test_a_weekly_set_keeps_its_wall_clock_time_when_the_clocks_change() -> None:
    before = datetime(2027, 3, 23, 20, 0, tzinfo=LONDON).astimezone(UTC)  # GMT
    after = svc.next_after(SetRhythm.WEEKLY, "Europe/London", before)
    assert after.astimezone(LONDON).hour == 20 and after.hour == 19  # BST: 19:00 UTC
    assert svc.next_after(SetRhythm.FORTNIGHTLY, "Europe/London", before) - before == timedelta(
        days=14, hours=-1
    )
    jan31 = datetime(2027, 1, 31, 9, 0, tzinfo=ZoneInfo("Pacific/Auckland"))
    feb = svc.next_after(SetRhythm.MONTHLY, "Pacific/Auckland", jan31.astimezone(UTC))
    assert feb.astimezone(ZoneInfo("Pacific/Auckland")).timetuple()[:5] == (2027, 2, 28, 9, 0)


def test_each_member_reads_the_meeting_in_their_own_zone() -> None:
    at = datetime(2026, 12, 8, 20, 0, tzinfo=UTC)
    assert svc.local_when(at, "Europe/London") == "Tuesday 8 December, 20:00"
    assert svc.local_when(at, "America/New_York") == "Tuesday 8 December, 15:00"
    assert svc.local_when(at, "Pacific/Auckland") == "Wednesday 9 December, 09:00"


def _set(session: Session) -> tuple[LearningSet, list[Member]]:
    community = Community(slug="s", name="S", channel_id="C1", settings={})
    session.add(community)
    session.flush()
    people = [
        Member(community_id=community.id, user_id=f"U{i}", name=f"M{i}", tz="Europe/London")
        for i in range(5)
    ]
    session.add_all(people)
    session.flush()
    set_ = LearningSet(
        community_id=community.id,
        name="Set",
        adviser_id=people[0].id,
        members=[p.user_id for p in people],
        rhythm=SetRhythm.WEEKLY,
        tz="Europe/London",
        next_meeting_at=datetime(2026, 12, 8, 20, 0, tzinfo=UTC),
        meetings_planned=2,
        meetings_held=0,
        channel_id="G1",
    )
    session.add(set_)
    session.flush()
    return set_, people


def test_a_meeting_with_two_presenters_then_the_report_back_and_review_next_time(
    db_session: Session,
) -> None:
    set_, people = _set(db_session)
    first = set_.next_meeting_at
    assert first is not None
    now = first - timedelta(days=1)
    for member in people[1:3]:
        svc.offer(db_session, set_, member, meeting_at=first, problem="p", help_wanted="", now=now)
    svc.offer(db_session, set_, people[3], meeting_at=first, problem="x", help_wanted="", now=now)
    for offer in db_session.query(SetOffer).filter(SetOffer.member_id != people[3].id):
        svc.confirm_offer(db_session, offer.id, offer.member, yes=True, now=now)
    assert svc.open_meeting(db_session, set_, first - timedelta(minutes=1)) is None  # not yet
    one = svc.open_meeting(db_session, set_, first)
    assert one is not None
    assert one.source_key == f"set:{set_.id}:{first.isoformat()}"  # a second insert collides
    assert svc.due_openings(db_session, first + timedelta(minutes=1)) == []  # opened once
    keys = [svc.phase_at(one, i)["key"] for i in range(svc.step_count(one))]
    assert keys == [*["restate", "clarifying", "open", "reflection", "actions"] * 2, "review"]
    assert [svc.turn_of(one, i) for i in (0, 5, 10)] == [people[1].id, people[2].id, None]
    lapsed = db_session.query(SetOffer).filter(SetOffer.member_id == people[3].id).one()
    assert lapsed.status == OfferStatus.WITHDRAWN and lapsed.problem == ""
    assert set_.next_meeting_at == first + timedelta(days=7) and set_.meetings_held == 1

    # Actions and a review in meeting one; the presenter shares one report, keeps one private.
    one.phase_index = 4
    mine = [
        svc.add_commitment(db_session, one, people[1], what=w, due_at=first, source_key=None)[0]
        for w in ("call them", "write it")
    ]
    mine[0].report, mine[0].report_visibility = "They came", RoundShare.COP
    mine[1].report, mine[1].report_visibility = "Secret words", RoundShare.PRIVATE
    svc.add_contribution(
        db_session,
        one,
        people[4],
        text="We listened",
        anonymous=False,
        source_key=None,
        phase_index=10,
    )
    svc.close(db_session, one, now=first + timedelta(hours=2))
    two = svc.open_meeting(db_session, set_, set_.next_meeting_at or first)
    assert two is not None
    assert two.settings["reporting"] == [people[1].id, people[2].id]
    assert svc.phase_at(two, 0)["key"] == "report_back"
    assert "call them" in two.opening_note and "They came" in two.opening_note
    assert "Secret words" not in two.opening_note and "stays private" in two.opening_note
    assert "We listened" in two.opening_note
    assert set_.next_meeting_at is None  # two meetings were planned
    assert [text for _, text, _ in svc.reviews(db_session, set_)] == ["We listened"]


def test_tea_comes_before_a_default_round_ends() -> None:
    ai = Round(kind=RoundKind.AI, phase_minutes=[10, 10, 10, 10])
    assert svc.tea_break_after(ai) == timedelta(minutes=20)
    als = Round(kind=RoundKind.ALS, phase_minutes=[10, 10, 20, 10, 10, 10])
    assert svc.tea_break_after(als) < timedelta(minutes=sum(als.phase_minutes))
    long = Round(kind=RoundKind.ALS, phase_minutes=[60, 60, 60])
    assert svc.tea_break_after(long) == timedelta(minutes=60)
