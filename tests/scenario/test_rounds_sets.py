"""Standing sets, one rule at a time, through signed requests: the form's limits (4 to 8 people,
as a group DM holds), a meeting opened once whatever ticks twice or restarts, volunteers only
(a forged button from outside the set, or the adviser's, changes nothing), a confirmation that
comes too late, and Slack's own limit on a group DM."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.errors import SlackApiError
from sqlalchemy import select

from bot.builders.ids import RoundIds
from bot.models import LearningSet, Round, SetOffer
from bot.schedules import rounds as rounds_schedule
from bot.schedules import sets as sets_schedule
from tests.conftest import CONVENOR, COP, MEMBER, MEMBER2, OUTSIDER
from tests.fakeslack import FakeSlack
from tests.harness import Kettle, state, text_value
from tests.scenario.test_journey_als import confirm, dms, picked, user, users, volunteer
from tests.scenario.test_rounds_ai import date_value, number

EXTRA = [f"UEXTRA{i}" for i in range(7)]


@pytest.fixture
def fake(fake: FakeSlack) -> FakeSlack:
    for i, user_id in enumerate(EXTRA):
        fake.add_user(user_id, f"Member{i}", tz="Europe/London")
    fake.set_members(COP, [CONVENOR, MEMBER, MEMBER2, *EXTRA, fake.bot_user_id])
    return fake


def tick(now: datetime) -> None:
    rounds_schedule.tick(now)
    sets_schedule.tick(now)


def form_values(members: list[str], day: date, at: str = "19:00") -> dict[str, Any]:
    return state(
        **{
            RoundIds.SET_NAME: text_value("Practice set"),
            RoundIds.ADVISER: user(CONVENOR),
            RoundIds.MEMBERS: users(*members),
            RoundIds.RHYTHM: picked("fortnightly"),
            RoundIds.DAY: date_value(day.isoformat()),
            RoundIds.TIME: {"type": "timepicker", "selected_time": at},
            RoundIds.MEETINGS: number("3"),
        }
    )


def create(kettle: Kettle, members: list[str], day: date) -> dict[str, Any]:
    kettle.command(CONVENOR, "/round", "set", channel=COP)
    view = kettle.fake.last_view()
    assert view is not None
    return kettle.submit(CONVENOR, view, form_values(members, day)).json or {}


def test_a_set_is_four_to_eight_people_and_its_first_meeting_is_to_come(kettle: Kettle) -> None:
    soon = date.today() + timedelta(days=3)
    too_few = create(kettle, [MEMBER, MEMBER2], soon)  # three with the adviser
    assert "at least 4" in too_few["errors"][RoundIds.MEMBERS]
    too_many = create(kettle, [MEMBER, MEMBER2, *EXTRA], soon)  # ten with the adviser
    assert "at most 8" in too_many["errors"][RoundIds.MEMBERS]
    outsider = create(kettle, [MEMBER, MEMBER2, OUTSIDER, EXTRA[0]], soon)
    assert "members of the CoP" in outsider["errors"][RoundIds.MEMBERS]
    past = create(kettle, [MEMBER, MEMBER2, EXTRA[0]], date.today() - timedelta(days=1))
    assert "passed" in past["errors"][RoundIds.DAY]
    with kettle.db() as session:
        assert session.scalars(select(LearningSet)).first() is None
    assert kettle.fake.calls_to("conversations.open") == [] or all(
        "," not in str(c.get("users")) for c in kettle.fake.calls_to("conversations.open")
    )
    # Eight people (the adviser among them) fit the group DM.
    assert create(kettle, [MEMBER, MEMBER2, *EXTRA[:5]], soon) == {}
    with kettle.db() as session:
        set_ = session.scalars(select(LearningSet)).one()
        assert len(set_.members) == 8 and set_.channel_id
        channel = set_.channel_id
    assert len(kettle.fake.members_of(channel)) == 9  # eight people and Kettle


def test_slack_refuses_a_group_dm_of_more_than_eight(kettle: Kettle) -> None:
    nine = ",".join([MEMBER, MEMBER2, *EXTRA])
    with pytest.raises(SlackApiError) as refused:
        kettle.client.conversations_open(users=nine)
    assert refused.value.response["error"] == "too_many_users"
    eight = ",".join([MEMBER, MEMBER2, *EXTRA[:6]])
    first = kettle.client.conversations_open(users=eight)["channel"]["id"]
    again = kettle.client.conversations_open(users=eight)
    assert again["channel"]["id"] == first and again.get("already_open")


def test_a_meeting_opens_once_whatever_ticks_twice_and_only_volunteers_present(
    kettle: Kettle,
) -> None:
    day = date.today() + timedelta(days=5)
    assert create(kettle, [MEMBER, MEMBER2, EXTRA[0]], day) == {}
    with kettle.db() as session:
        set_ = session.scalars(select(LearningSet)).one()
        set_id, space, first = set_.id, str(set_.channel_id), set_.next_meeting_at
    assert first == datetime.combine(day, time(19), tzinfo=ZoneInfo("Europe/London")).astimezone(
        UTC
    )
    tick(first - timedelta(days=2))
    tick(first - timedelta(days=2))
    assert len(dms(kettle, MEMBER, "Would you like to present")) == 1
    # Someone outside the set, and the adviser, press a forged volunteer button: nothing.
    forged = f"{set_id}:{int(first.timestamp())}"
    kettle.click(EXTRA[3], RoundIds.VOLUNTEER, value=forged)
    kettle.click(CONVENOR, RoundIds.VOLUNTEER, value=forged)
    kettle.click(MEMBER, RoundIds.VOLUNTEER, value=f"{set_id}:12345")  # not the next meeting
    told = [str(r.get("text")) for r in kettle.fake.responses]
    assert any("Only the set's members" in t for t in told)
    assert any("doesn't present" in t for t in told)
    assert any("already started" in t for t in told)
    with kettle.db() as session:
        assert session.scalars(select(SetOffer)).first() is None

    volunteer(kettle, MEMBER, "My board won't decide", "Questions")
    volunteer(kettle, MEMBER2, "Nobody reads the newsletter", "Questions")
    tick(first - timedelta(hours=1))
    tick(first - timedelta(hours=1))
    asks = dms(kettle, MEMBER, "Is it still yours")
    assert len(asks) == 1
    offer_value = asks[0]["blocks"][1]["elements"][0]["value"]
    later = dms(kettle, MEMBER2, "Is it still yours")[0]["blocks"][1]["elements"][0]["value"]
    confirm(kettle, MEMBER, yes=True)
    assert dms(kettle, MEMBER, "you present at") and not dms(kettle, MEMBER, "Is it still yours")
    kettle.click(MEMBER, RoundIds.OFFER_NO, value=offer_value)  # pressed again: no change
    assert "already answered" in str(kettle.fake.responses[-1].get("text"))
    kettle.click(MEMBER, RoundIds.OFFER_YES, value=later)  # someone else's: not theirs
    assert "isn't yours" in str(kettle.fake.responses[-1].get("text"))
    # MEMBER2 never confirms: at the start they don't present, and nothing of theirs shows.
    tick(first)
    tick(first)
    rounds_schedule.tick(first + timedelta(seconds=30))
    with kettle.db() as session:
        meetings = list(session.scalars(select(Round)))
        assert len(meetings) == 1
        plan = meetings[0].settings["plan"]
        offers = {o.member.user_id: o.status.value for o in session.scalars(select(SetOffer))}
        thread_ts = meetings[0].thread_ts
    assert offers == {MEMBER: "confirmed", MEMBER2: "withdrawn"}
    assert len(plan) == 6  # one presenter's five phases and the learning review
    openings = [m for m in kettle.fake.messages(space) if m["ts"] == thread_ts]
    assert len(openings) == 1
    everything = str(kettle.fake.messages(space))
    assert "My board won't decide" in everything and "newsletter" not in everything
    # A confirmation pressed after the meeting began changes nothing.
    kettle.click(MEMBER2, RoundIds.OFFER_YES, value=later)
    with kettle.db() as session:
        offer = session.scalars(select(SetOffer).where(SetOffer.status == "withdrawn")).one()
        assert offer.round_id is None


def test_a_meeting_whose_opening_slack_refused_is_posted_once_on_the_next_tick(
    kettle: Kettle,
) -> None:
    day = date.today() + timedelta(days=5)
    assert create(kettle, [MEMBER, MEMBER2, EXTRA[0]], day) == {}
    with kettle.db() as session:
        set_ = session.scalars(select(LearningSet)).one()
        space, first = str(set_.channel_id), set_.next_meeting_at
    assert first is not None
    kettle.fake.fail_next("chat.postMessage", status=500, times=8)
    tick(first)  # the meeting is opened in the database; Slack refuses its post
    kettle.fake.clear_faults()
    with kettle.db() as session:
        assert len(list(session.scalars(select(Round)))) == 1
    tick(first + timedelta(minutes=1))
    tick(first + timedelta(minutes=2))
    with kettle.db() as session:
        meeting = session.scalars(select(Round)).one()
        assert meeting.thread_ts is not None
    openings = [m for m in kettle.fake.messages(space) if m["ts"] == meeting.thread_ts]
    assert len(openings) == 1 and "stays in the set" in str(openings[0]["blocks"])
    restated = [m for m in kettle.fake.messages(space) if "*The problem, restated*" in m["text"]]
    assert restated == []  # nobody volunteered: straight to the learning review
    reviews = [m for m in kettle.fake.messages(space) if "*Learning review*" in m["text"]]
    assert len(reviews) == 1


def test_the_guide_teaches_the_method_one_question_at_a_time(kettle: Kettle) -> None:
    guide = kettle.command(MEMBER, "/round", "guide als", channel=COP).json["text"]
    assert "one question at a time" in guide and "Learning review" in guide
    assert "Have you tried" in guide and "I just wonder" in guide
    assert "what would happen if" not in guide.lower()


def test_two_workers_at_the_meeting_time_open_it_once(kettle: Kettle) -> None:
    day = date.today() + timedelta(days=5)
    assert create(kettle, [MEMBER, MEMBER2, EXTRA[0]], day) == {}
    with kettle.db() as session:
        set_ = session.scalars(select(LearningSet)).one()
        space, first = str(set_.channel_id), set_.next_meeting_at
    assert first is not None
    start = threading.Barrier(2)

    def worker() -> None:
        start.wait()
        sets_schedule.tick(first)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with kettle.db() as session:
        meetings = list(session.scalars(select(Round)))
        set_ = session.scalars(select(LearningSet)).one()
        assert len(meetings) == 1 and set_.meetings_held == 1
        thread_ts = meetings[0].thread_ts
    assert len([m for m in kettle.fake.messages(space) if m["ts"] == thread_ts]) == 1
    top = [m for m in kettle.fake.messages(space) if m.get("thread_ts") in (None, m["ts"])]
    assert len(top) == 2  # the welcome and the one opening


def _space_of(kettle: Kettle) -> tuple[str, list[str]]:
    with kettle.db() as session:
        set_ = session.scalars(select(LearningSet)).one()
        return str(set_.channel_id), list(set_.members)


def test_a_member_who_leaves_the_cop_leaves_the_set_which_moves_to_a_new_group_dm(
    kettle: Kettle,
) -> None:
    """Slack cannot take anyone out of a group DM: the set goes on in a new one of those who
    remain, the old one hears once that it moved (and nothing said in the set), and later
    posts go only to the new one. Too small, and the adviser and convenor hear their options."""
    fake = kettle.fake
    day = date.today() + timedelta(days=5)
    assert create(kettle, [MEMBER, MEMBER2, EXTRA[0], EXTRA[1]], day) == {}  # five, adviser too
    old, people = _space_of(kettle)
    with kettle.db() as session:
        first = session.scalars(select(LearningSet)).one().next_meeting_at
    assert first is not None
    tick(first - timedelta(days=2))
    volunteer(kettle, MEMBER, "Secret problem of Amina's", "Questions")
    said_before = len(fake.messages(old))

    # A convenor removes Amina from the CoP: she leaves the set, whose posts move.
    reply = kettle.command(CONVENOR, "/cop", f"remove <@{MEMBER}> moved on from the role")
    assert "has been removed" in reply.text
    tick(first - timedelta(days=2) + timedelta(minutes=1))
    tick(first - timedelta(days=2) + timedelta(minutes=2))  # a second tick sends nothing new
    new, remaining = _space_of(kettle)
    assert new != old and sorted(remaining) == sorted(set(people) - {MEMBER})
    assert sorted(fake.members_of(new)) == sorted([*remaining, fake.bot_user_id])
    opened = [c for c in fake.calls_to("conversations.open") if "," in str(c.get("users"))]
    assert sorted(str(opened[-1]["users"]).split(",")) == sorted(remaining)
    notes = fake.messages(old)[said_before:]
    assert len(notes) == 1 and "has moved to a new group DM" in notes[0]["text"]
    assert "Amina" not in notes[0]["text"] and "Secret problem" not in notes[0]["text"]
    here = fake.messages(new)
    assert len(here) == 1 and "carries on here" in here[0]["text"]
    assert MEMBER not in here[0]["text"] and "Amina" not in here[0]["text"]
    assert "fewer than" not in here[0]["text"]  # four is enough
    with kettle.db() as session:
        offer = session.scalars(select(SetOffer)).one()
        assert offer.status == "withdrawn" and offer.problem == ""  # nobody left to bring it

    # A restart between the posts and their note: the ledger keeps each to once.
    with kettle.db() as session:
        session.scalars(select(LearningSet)).one().moved_from = [old]
    sets_schedule.tick(first - timedelta(days=1))
    assert len(fake.messages(old)) == said_before + 1 and len(fake.messages(new)) == 1

    # Another member leaves by themselves: three are left, fewer than a set needs.
    kettle.click(EXTRA[0], "membership_leave")
    newer, three = _space_of(kettle)
    assert newer not in (old, new) and sorted(three) == sorted([MEMBER2, EXTRA[1], CONVENOR])
    assert len(fake.messages(new)) == 2 and "has moved" in fake.messages(new)[-1]["text"]
    small = fake.messages(newer)
    assert len(small) == 1 and "fewer than the 4" in small[0]["text"]
    options = [m for m in fake.dm_messages(CONVENOR) if "a set needs at least 4" in m["text"]]
    assert len(options) == 1 and "`/round set`" in options[0]["text"]  # adviser and its convenor
    assert not [m for m in fake.dm_messages(MEMBER2) if "a set needs at least 4" in m["text"]]
    tick(first - timedelta(hours=12))
    assert len(fake.messages(new)) == 2 and len(fake.messages(newer)) == 1

    # The meeting's reminder, opening and thread go to the new group DM only.
    tick(first - timedelta(minutes=30))
    tick(first)
    with kettle.db() as session:
        meeting = session.scalars(select(Round)).one()
        assert meeting.channel_id == newer and sorted(meeting.set_members) == sorted(three)
    assert len(fake.messages(old)) == said_before + 1 and len(fake.messages(new)) == 2
    assert len(fake.messages(newer)) > 1
    assert not [m for m in fake.dm_messages(MEMBER) if "meets" in str(m.get("text"))][1:]
    assert not [m for m in fake.dm_messages(EXTRA[0]) if "in the set's group DM" in m["text"]]
