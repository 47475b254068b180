"""A standing action-learning set across London, New York and Auckland, through signed
requests: created from Slack, four weekly meetings in its own group DM, presenters who
volunteer and confirm, every phase, the adviser's private prompts and coaching notes, the
learning review kept with the set, report-back at the next meeting, a tea break that stops the
clock, and nothing posted outside the set's private space."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.builders.ids import RoundIds
from bot.models import LearningSet, Round, RoundCommitment, RoundStatus, utcnow
from bot.schedules import rounds as rounds_schedule
from bot.schedules import sets as sets_schedule
from tests.conftest import CONVENOR, COP, GENERAL, MEMBER, MEMBER2, MOVEMENT
from tests.fakeslack import FakeSlack
from tests.harness import Kettle, state, text_value
from tests.scenario.test_home import open_home
from tests.scenario.test_rounds_ai import date_value, number

ESTHER, AMINA = CONVENOR, MEMBER  # London (the adviser), New York
AROHA, HANNAH, MARCUS, TAMATI = "UAKL1", "ULDN2", "UNYC2", "UAKL2"
SET = [AMINA, AROHA, HANNAH, MARCUS, TAMATI]  # the adviser is added by the form
ZONES = {
    ESTHER: "Europe/London",
    HANNAH: "Europe/London",
    AMINA: "America/New_York",
    MARCUS: "America/New_York",
    AROHA: "Pacific/Auckland",
    TAMATI: "Pacific/Auckland",
}
LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def fake(fake: FakeSlack) -> FakeSlack:
    """The CoP with members in London, New York and Auckland (Rohan, in Kolkata, is in the CoP
    but not in the set)."""
    fake.add_user(AROHA, "Aroha", tz="Pacific/Auckland")
    fake.add_user(HANNAH, "Hannah", tz="Europe/London")
    fake.add_user(MARCUS, "Marcus", tz="America/New_York")
    fake.add_user(TAMATI, "Tamati", tz="Pacific/Auckland")
    fake.set_members(COP, [ESTHER, AMINA, MEMBER2, AROHA, HANNAH, MARCUS, TAMATI, fake.bot_user_id])
    return fake


def tick(now: datetime) -> None:
    rounds_schedule.tick(now)
    sets_schedule.tick(now)


def local(at: datetime, user: str) -> str:
    when = at.astimezone(ZoneInfo(ZONES[user]))
    return f"{when:%A} {when.day} {when:%B}, {when:%H:%M}"


def users(*ids: str) -> dict[str, Any]:
    return {"type": "multi_users_select", "selected_users": list(ids)}


def user(value: str) -> dict[str, Any]:
    return {"type": "users_select", "selected_user": value}


def picked(value: str) -> dict[str, Any]:
    return {"type": "static_select", "selected_option": {"value": value}}


def radio(value: str) -> dict[str, Any]:
    option = {"value": value, "text": {"type": "plain_text", "text": value}}
    return {"type": "radio_buttons", "selected_option": option}


def the_set(kettle: Kettle) -> LearningSet:
    with kettle.db() as session:
        set_ = session.scalars(select(LearningSet)).one()
        session.expunge(set_)
        return set_


def meeting(kettle: Kettle, number: int) -> Round:
    with kettle.db() as session:
        rounds = list(session.scalars(select(Round).order_by(Round.id)))
        round_ = rounds[number - 1]
        session.expunge(round_)
        return round_


def now_of(kettle: Kettle, round_id: int) -> Round:
    with kettle.db() as session:
        round_ = session.get_one(Round, round_id)
        session.expunge(round_)
        return round_


def in_space(kettle: Kettle, space: str, round_: Round) -> list[dict[str, Any]]:
    return [m for m in kettle.fake.messages(space) if m.get("thread_ts") == round_.thread_ts]


def dms(kettle: Kettle, user_id: str, needle: str) -> list[dict[str, Any]]:
    return [m for m in kettle.fake.dm_messages(user_id) if needle in str(m.get("text"))]


def say(kettle: Kettle, space: str, user_id: str, round_: Round, text: str) -> None:
    kettle.event(
        {
            "type": "message",
            "channel": space,
            "channel_type": "mpim",
            "user": user_id,
            "text": text,
            "ts": f"{utcnow().timestamp():.6f}",
            "thread_ts": round_.thread_ts,
        }
    )


def tips_for(kettle: Kettle, user_id: str) -> list[dict[str, Any]]:
    return [e for e in kettle.fake.ephemerals_for(user_id) if "Kettle" in str(e.get("text"))]


def add(kettle: Kettle, user_id: str, round_: Round, text: str, when: str | None = None) -> None:
    kettle.click(user_id, RoundIds.CONTRIBUTE, value=f"{round_.id}:{round_.phase_index}")
    view = kettle.fake.last_view()
    assert view is not None and view["callback_id"] == RoundIds.CONTRIBUTE_MODAL
    values = {RoundIds.TEXT: text_value(text)}
    if when is not None:
        values[RoundIds.WHEN] = date_value(when)
    reply = kettle.submit(user_id, view, state(**values))
    assert reply.status == 200 and not (reply.json or {}).get("errors"), reply.json


def volunteer(kettle: Kettle, user_id: str, problem: str, help_wanted: str) -> None:
    call = dms(kettle, user_id, "Would you like to present")[-1]
    button = call["blocks"][1]["elements"][0]
    kettle.click(user_id, RoundIds.VOLUNTEER, value=button["value"])
    view = kettle.fake.last_view()
    assert view is not None and view["callback_id"] == RoundIds.OFFER_MODAL
    values = {RoundIds.PROBLEM: text_value(problem), RoundIds.HELP: text_value(help_wanted)}
    assert kettle.submit(user_id, view, state(**values)).status == 200


def confirm(kettle: Kettle, user_id: str, *, yes: bool) -> None:
    ask = dms(kettle, user_id, "Is it still yours to bring?")[-1]
    value = ask["blocks"][1]["elements"][0]["value"]
    kettle.click(
        user_id,
        RoundIds.OFFER_YES if yes else RoundIds.OFFER_NO,
        value=value,
        message={"ts": ask["ts"]},
        channel=kettle.fake.dm_channel_for(user_id),
    )


def run_to(kettle: Kettle, round_id: int, phase_key: str, now: datetime) -> datetime:
    """Tick from `now` until the meeting reaches the phase (the adviser resumes after tea)."""
    from bot.services import rounds as svc

    for _ in range(40):
        round_ = now_of(kettle, round_id)
        current = svc.phase_at(round_, round_.phase_index) or {}
        if round_.status == RoundStatus.CLOSED or current.get("key") == phase_key:
            return now
        if round_.status == RoundStatus.PAUSED:
            kettle.click(ESTHER, RoundIds.RESUME, value=f"{round_id}:{round_.phase_index}")
        else:
            now = max(now, round_.phase_deadline or now) + timedelta(minutes=1)
        tick(now)
    raise AssertionError(f"never reached {phase_key}")


def close(kettle: Kettle, round_id: int, now: datetime) -> datetime:
    now = run_to(kettle, round_id, "closed", now)
    assert now_of(kettle, round_id).status == RoundStatus.CLOSED
    return now


def test_a_standing_set_across_london_new_york_and_auckland(kettle: Kettle) -> None:
    fake = kettle.fake
    # -- Esther, in London, creates the set from Slack ---------------------------------------
    kettle.command(ESTHER, "/round", "set", channel=COP)
    form = fake.last_view()
    assert form is not None and form["callback_id"] == RoundIds.SET_MODAL
    day = date.today() + timedelta(days=4)
    values = {
        RoundIds.SET_NAME: text_value("Volunteer leaders' set"),
        RoundIds.ADVISER: user(ESTHER),
        RoundIds.MEMBERS: users(*SET),
        RoundIds.RHYTHM: picked("weekly"),
        RoundIds.DAY: date_value(day.isoformat()),
        RoundIds.TIME: {"type": "timepicker", "selected_time": "20:00"},
        RoundIds.MEETINGS: number("4"),
    }
    too_many = {**values, RoundIds.MEMBERS: users(*SET, MEMBER2, "UX1", "UX2")}
    fake.add_user("UX1", "X1")
    fake.add_user("UX2", "X2")
    refused = kettle.submit(ESTHER, form, state(**too_many))
    assert RoundIds.MEMBERS in refused.json["errors"]  # not members, or more than 8
    assert kettle.submit(ESTHER, form, state(**values)).status == 200
    first = datetime.combine(day, time(20, 0), tzinfo=LONDON).astimezone(UTC)
    set_ = the_set(kettle)
    assert set_.next_meeting_at == first and sorted(set_.members) == sorted([*SET, ESTHER])
    # A time that makes sense for all: 20:00 in London is afternoon in New York and morning
    # (the next day) in Auckland.
    for who_ in ZONES:
        assert 7 <= first.astimezone(ZoneInfo(ZONES[who_])).hour <= 21

    # Its own group DM: conversations.open with its six people, a welcome that it's private.
    opened = [c for c in fake.calls_to("conversations.open") if "," in str(c.get("users"))]
    assert sorted(str(opened[-1]["users"]).split(",")) == sorted([*SET, ESTHER])
    space = str(set_.channel_id)
    assert fake.channels[space]["is_mpim"] and sorted(fake.members_of(space)) == sorted(
        [*SET, ESTHER, fake.bot_user_id]
    )
    welcome = fake.messages(space)
    assert len(welcome) == 1 and "stays in the set" in welcome[0]["text"]

    # -- Two days before, each member is asked, in their own zone, whether they'd present ----
    tick(first - timedelta(days=2))
    tick(first - timedelta(days=2) + timedelta(minutes=1))  # a second tick sends nothing new
    for member in SET:
        calls = dms(kettle, member, "Would you like to present")
        assert len(calls) == 1 and local(first, member) in calls[0]["text"]
    assert first.astimezone(ZoneInfo("Pacific/Auckland")).date() == day + timedelta(days=1)
    assert len(dms(kettle, ESTHER, "You advise")) == 1
    assert not dms(kettle, ESTHER, "Would you like to present")
    assert fake.dm_messages(MEMBER2) == []  # not in the set: not even told it exists

    # Amina (New York) and Aroha (Auckland) volunteer; the adviser may not present.
    volunteer(kettle, AMINA, "My volunteers drift away after a month", "Questions about why")
    volunteer(kettle, AROHA, "Our board never reads the reports", "Fresh angles")
    assert len(dms(kettle, AMINA, "I'll ask you to confirm")) == 1
    value = f"{set_.id}:{int(first.timestamp())}"
    kettle.click(ESTHER, RoundIds.VOLUNTEER, value=value)
    assert any("doesn't present" in str(r.get("text")) for r in fake.responses)

    # Shortly before, each volunteer confirms it is still theirs to bring (or not).
    tick(first - timedelta(minutes=90))
    assert local(first, AMINA) in dms(kettle, AMINA, "Is it still yours")[0]["text"]
    confirm(kettle, AMINA, yes=True)
    confirm(kettle, AROHA, yes=False)
    assert dms(kettle, AROHA, "you won't present this time")

    # An hour before, everyone (the adviser too) is reminded, each in their own zone.
    tick(first - timedelta(minutes=30))
    tick(first - timedelta(minutes=29))
    for member in [*SET, ESTHER]:
        reminders = dms(kettle, member, "in the set's group DM")
        assert len(reminders) == 1 and local(first, member) in reminders[0]["text"]

    # -- Meeting 1 opens in the set's group DM -------------------------------------------------
    tick(first)
    one = meeting(kettle, 1)
    assert one.channel_id == space and one.set_id == set_.id
    opening = next(m for m in fake.messages(space) if m["ts"] == one.thread_ts)
    text = str(opening["blocks"])
    assert "stays in the set" in text and "drift away after a month" in text
    assert "Questions about why" in text and "board never reads" not in text
    assert "only ask questions" in text
    posts = in_space(kettle, space, one)
    assert any("*The problem, restated*" in m["text"] for m in posts)
    assert not any("Report-back" in m["text"] for m in posts)  # the first meeting has none
    assert dms(kettle, ESTHER, "Listen for the help they ask for")  # the adviser's prompt

    # The presenter restates the problem and the help they want; nobody else may.
    add(kettle, AMINA, one, "They leave when they feel unseen. Help me see what I'm missing.")
    kettle.click(MARCUS, RoundIds.CONTRIBUTE, value=f"{one.id}:0")
    assert any("Only the presenter" in str(r.get("text")) for r in fake.responses)

    # Clarifying questions: advice (even dressed as a question) gets a private tip and the
    # adviser a private note; "I just wonder…" and genuine questions get nothing.
    now = run_to(kettle, one.id, "clarifying", first)
    one = now_of(kettle, one.id)
    assert dms(kettle, ESTHER, "one question at a time")
    say(kettle, space, HANNAH, one, "I just wonder what matters most to you here?")
    say(kettle, space, TAMATI, one, "How many volunteers do you have now?")
    say(kettle, space, AMINA, one, "You should see the rota we have")  # the presenter answers
    assert tips_for(kettle, HANNAH) == [] and tips_for(kettle, TAMATI) == []
    assert tips_for(kettle, AMINA) == []
    say(kettle, space, MARCUS, one, "Have you tried a buddy scheme?")
    tips = tips_for(kettle, MARCUS)
    assert len(tips) == 1 and tips[0]["channel"] == space
    notes = dms(kettle, ESTHER, "sounds like advice")
    assert len(notes) == 1 and "Marcus" in notes[0]["text"] and "buddy scheme" in notes[0]["text"]
    assert not dms(kettle, HANNAH, "sounds like advice")

    # Open questions; the adviser is prompted to ask which question helped most so far.
    now = run_to(kettle, one.id, "open", now)
    assert dms(kettle, ESTHER, "which question has helped you most so far")

    # Tea: halfway through the meeting's planned time the timer pauses, and says so.
    one = now_of(kettle, one.id)
    tea_at = one.started_at + timedelta(minutes=35)
    assert one.phase_deadline is not None and one.phase_deadline > tea_at
    left = int((one.phase_deadline - tea_at).total_seconds())
    tick(tea_at)
    one = now_of(kettle, one.id)
    tea = [m for m in in_space(kettle, space, one) if ":tea:" in m["text"]]
    assert len(tea) == 1 and "paused the timer" in tea[0]["text"]
    assert one.status == RoundStatus.PAUSED and one.paused_seconds_left == left
    assert f"{left // 60} minutes of *Open questions*" in tea[0]["text"]
    tick(tea_at + timedelta(minutes=30))  # long past the phase's end: the clock waited
    assert now_of(kettle, one.id).status == RoundStatus.PAUSED
    assert (svc_phase_key(now_of(kettle, one.id))) == "open"
    kettle.click(ESTHER, RoundIds.RESUME, value=f"{one.id}:{one.phase_index}")
    assert now_of(kettle, one.id).status == RoundStatus.RUNNING

    # Reflection (the adviser checks the problem still holds), actions, learning review.
    now = run_to(kettle, one.id, "reflection", tea_at + timedelta(minutes=30))
    assert dms(kettle, ESTHER, "still holds")
    one = now_of(kettle, one.id)
    add(kettle, AMINA, one, "It isn't the rota; it's that nobody thanks them.")
    now = run_to(kettle, one.id, "actions", now)
    one = now_of(kettle, one.id)
    due = (first + timedelta(days=4)).astimezone(ZoneInfo(ZONES[AMINA])).date()
    add(kettle, AMINA, one, "ask two volunteers to co-design the thank-yous", due.isoformat())
    now = run_to(kettle, one.id, "review", now)
    one = now_of(kettle, one.id)
    review = [m for m in in_space(kettle, space, one) if "*Learning review*" in m["text"]]
    assert len(review) == 1 and "How could we ask better questions?" in str(review[0]["blocks"])
    add(kettle, HANNAH, one, "We waited for answers before the next question.")
    add(kettle, MARCUS, one, "I slipped into advice; I'll ask what they have tried.")
    add(kettle, ESTHER, one, "Fewer questions, more silence.")
    now = close(kettle, one.id, now)
    assert any("is closed" in m["text"] for m in in_space(kettle, space, now_of(kettle, one.id)))

    # -- Between meetings: "how did it go?", answered privately to Kettle, shared by choice ---
    with kettle.db() as session:
        action = session.scalars(select(RoundCommitment)).one()
        action_id, action_due = action.id, action.due_at
    tick(action_due + timedelta(minutes=1))
    asks = dms(kettle, AMINA, "How did it go?")
    assert len(asks) == 1
    kettle.click(AMINA, RoundIds.REPORT, value=str(action_id))
    report_form = fake.last_view()
    assert report_form is not None and "my set" in str(report_form["blocks"])
    shared = {
        RoundIds.TEXT: text_value("Two came; the thank-yous are theirs now"),
        RoundIds.SHARE: radio("cop"),
    }
    kettle.submit(AMINA, report_form, state(**shared))

    # -- Meeting 2, a week later at the same London time: the report-back opens it ---------
    second = datetime.combine(day + timedelta(days=7), time(20, 0), tzinfo=LONDON).astimezone(UTC)
    assert the_set(kettle).next_meeting_at == second
    tick(second - timedelta(days=2))
    for member in SET:
        assert local(second, member) in dms(kettle, member, "Would you like to present")[-1]["text"]
    volunteer(kettle, HANNAH, "I can't say no to my director", "What I'm not seeing")
    tick(second - timedelta(minutes=60))
    confirm(kettle, HANNAH, yes=True)
    tick(second)
    two = meeting(kettle, 2)
    opening = str(next(m for m in fake.messages(space) if m["ts"] == two.thread_ts)["blocks"])
    assert "co-design the thank-yous" in opening and "the thank-yous are theirs now" in opening
    assert "Fewer questions, more silence." in opening  # last time's learning review
    assert "I can't say no to my director" in opening
    posts = in_space(kettle, space, two)
    assert any("*Report-back*" in m["text"] for m in posts)
    assert dms(kettle, ESTHER, "Report-back is open")
    # The presenter of last time reports in the thread; the set asks about it, questions only.
    add(kettle, AMINA, two, "I asked; two said yes, and one told me why others left.")
    kettle.click(TAMATI, RoundIds.CONTRIBUTE, value=f"{two.id}:0")
    assert any("Only the presenter" in str(r.get("text")) for r in fake.responses[-1:])
    say(kettle, space, TAMATI, two, "What surprised you most?")
    say(kettle, space, AROHA, two, "Why don't you just pay them?")
    assert tips_for(kettle, TAMATI) == [] and len(tips_for(kettle, AROHA)) == 1
    assert any("reports back" in m["text"] for m in in_space(kettle, space, two))
    now = run_to(kettle, two.id, "restate", second)
    add(kettle, HANNAH, now_of(kettle, two.id), "Saying no feels disloyal. Help me see why.")
    now = run_to(kettle, two.id, "review", now)
    add(kettle, TAMATI, now_of(kettle, two.id), "Our questions were shorter today.")
    close(kettle, two.id, now)

    # -- Meetings 3 and 4: Hannah reports back; nobody presents at the last -------------------
    third = datetime.combine(day + timedelta(days=14), time(20, 0), tzinfo=LONDON)
    third = third.astimezone(UTC)
    tick(third - timedelta(days=2))
    volunteer(kettle, TAMATI, "Our hui always overrun", "Questions about time")
    tick(third - timedelta(minutes=30))
    confirm(kettle, TAMATI, yes=True)
    tick(third)
    three = meeting(kettle, 3)
    assert now_of(kettle, three.id).settings["reporting"]  # Hannah reports back
    close(kettle, three.id, third)
    fourth = datetime.combine(day + timedelta(days=21), time(20, 0), tzinfo=LONDON)
    fourth = fourth.astimezone(UTC)
    tick(fourth - timedelta(days=2))
    tick(fourth)
    four = meeting(kettle, 4)
    opening = str(next(m for m in fake.messages(space) if m["ts"] == four.thread_ts)["blocks"])
    assert "Nobody is presenting this time" in opening
    close(kettle, four.id, fourth)
    # Four meetings were planned: no fifth is called.
    assert the_set(kettle).next_meeting_at is None
    tick(fourth + timedelta(days=7))
    assert len(dms(kettle, AMINA, "Would you like to present")) == 4

    # -- The learning reviews are kept with the set and shown to its members ------------------
    listing = kettle.command(HANNAH, "/round", "sets", channel=space).json["text"]
    assert "Volunteer leaders' set" in listing and "Fewer questions, more silence." in listing
    assert "Our questions were shorter today." in listing and "has ended" in listing
    outside = kettle.command(MEMBER2, "/round", "sets", channel=GENERAL).json["text"]
    assert "Volunteer leaders" not in outside
    listed = kettle.command(MEMBER2, "/round", "list", channel=GENERAL).json["text"]
    assert "Volunteer leaders" not in listed and "drift" not in listed
    assert "Volunteer leaders' set" in str(open_home(kettle, HANNAH)["blocks"])
    outside_home = str(open_home(kettle, MEMBER2)["blocks"])
    assert "Volunteer leaders" not in outside_home and "drift" not in outside_home

    # -- Nothing of the set was posted outside its private space ------------------------------
    for channel in (COP, GENERAL, MOVEMENT):
        said = str(fake.messages(channel))
        for secret in ("Volunteer leaders", "drift away", "buddy scheme", "director", "hui"):
            assert secret not in said, (channel, secret)
    allowed = {space} | {fake.dm_channel_for(u) for u in [*SET, ESTHER]}
    for call in fake.calls_to("chat.postMessage") + fake.calls_to("chat.postEphemeral"):
        channel = str(call.get("channel"))
        assert channel in allowed or channel in [*SET, ESTHER], call
    assert all(
        m.get("subtype") != "thread_broadcast"
        for c in (COP, GENERAL, MOVEMENT)
        for m in fake.messages(c)
    )
    assert fake.dm_messages(MEMBER2) == []


def svc_phase_key(round_: Round) -> str:
    from bot.services import rounds as svc

    return str((svc.phase_at(round_, round_.phase_index) or {}).get("key"))
