"""A full action-learning set, its coaching tips, its follow-up and the next set's report-back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.builders.ids import RoundIds
from bot.models import Round, RoundCommitment, RoundStatus, utcnow
from bot.schedules import rounds as schedule
from tests.conftest import CONVENOR, COP, MEMBER, MEMBER2, OUTSIDER
from tests.harness import Kettle, state, text_value
from tests.scenario.test_rounds_ai import conversation, date_value, number, posted, thread


def users(*ids: str) -> dict[str, Any]:
    return {"type": "multi_users_select", "selected_users": list(ids)}


def user(value: str) -> dict[str, Any]:
    return {"type": "users_select", "selected_user": value}


def start_als(kettle: Kettle, presenter: str = MEMBER) -> Round:
    kettle.command(presenter, "/round", "als", channel=COP)
    view = kettle.fake.last_view()
    assert view is not None and view["callback_id"] == RoundIds.ALS_MODAL
    values = state(
        **{
            RoundIds.PRESENTER: user(presenter),
            RoundIds.CHALLENGE: text_value("Our volunteers <@UCONV> drift away after a month"),
            RoundIds.MEMBERS: users(MEMBER2, CONVENOR),
            RoundIds.CHANNEL: conversation(COP),
            **{f"{RoundIds.MINUTES}_{i}": number("5") for i in range(6)},
        }
    )
    assert kettle.submit(presenter, view, values).status == 200
    with kettle.db() as session:
        round_ = session.scalars(select(Round).order_by(Round.id.desc())).first()
        assert round_ is not None
        session.expunge(round_)
        return round_


def radio(value: str) -> dict[str, Any]:
    option = {"value": value, "text": {"type": "plain_text", "text": value}}
    return {"type": "radio_buttons", "selected_option": option}


def current(kettle: Kettle, round_id: int) -> Round:
    with kettle.db() as session:
        round_ = session.get_one(Round, round_id)
        session.expunge(round_)
        return round_


def say(kettle: Kettle, user_id: str, round_: Round, text: str, **extra: Any) -> None:
    event = {
        "type": "message",
        "channel": COP,
        "channel_type": "group",
        "user": user_id,
        "text": text,
        "ts": f"{utcnow().timestamp():.6f}",
        "thread_ts": round_.thread_ts,
        **extra,
    }
    kettle.event(event)


def tips_for(kettle: Kettle, user_id: str) -> list[dict[str, Any]]:
    return [e for e in kettle.fake.ephemerals_for(user_id) if "Kettle" in str(e.get("text"))]


def test_full_action_learning_set_and_the_next_one(kettle: Kettle) -> None:
    base = utcnow()
    round_ = start_als(kettle)
    opening = next(m for m in kettle.fake.messages(COP) if m["ts"] == round_.thread_ts)
    assert "No advice" in opening["text"] and "<@UCONV> drift" not in opening["text"]
    assert posted(thread(kettle, round_.id), "*The problem, restated*") == 1

    # A set member is not the facilitator: their forged controls change nothing.
    kettle.click(MEMBER2, RoundIds.PAUSE, value=f"{round_.id}:0", channel=COP)
    kettle.click(OUTSIDER, RoundIds.NEXT, value=f"{round_.id}:0", channel=COP)
    assert current(kettle, round_.id).status == RoundStatus.RUNNING
    assert current(kettle, round_.id).phase_index == 0

    schedule.tick(base + timedelta(minutes=6))
    round_ = current(kettle, round_.id)
    assert round_.phase_index == 1
    clarifying = [m for m in thread(kettle, round_.id) if "*Clarifying questions*" in m["text"]]
    assert len(clarifying) == 1 and "No advice" in str(clarifying[0]["blocks"])

    # Advice in a question phase earns the author one private, friendly tip; questions don't.
    say(kettle, MEMBER2, round_, "How many volunteers do you have now?")
    assert tips_for(kettle, MEMBER2) == []
    say(kettle, MEMBER2, round_, "You should just pay them")
    say(kettle, MEMBER2, round_, "Have you tried a buddy scheme")
    tips = tips_for(kettle, MEMBER2)
    assert len(tips) == 1 and tips[0]["thread_ts"] == round_.thread_ts
    assert tips_for(kettle, MEMBER) == [] and tips_for(kettle, CONVENOR) == []
    # Edits, bot posts and messages outside the thread are none of the rounds' business.
    say(kettle, CONVENOR, round_, "I would do a survey", subtype="message_changed")
    say(kettle, CONVENOR, round_, "I would do a survey", bot_id="B123")
    kettle.event(
        {"type": "message", "channel": COP, "user": CONVENOR, "text": "you should x", "ts": "1.2"}
    )
    assert tips_for(kettle, CONVENOR) == []

    # The facilitator (the member who set it up) extends the phase.
    kettle.click(MEMBER, RoundIds.EXTEND, value=f"{round_.id}:1")
    schedule.tick(base + timedelta(minutes=12))
    assert current(kettle, round_.id).phase_index == 1
    schedule.tick(base + timedelta(minutes=17))
    round_ = current(kettle, round_.id)
    assert round_.phase_index == 2
    say(kettle, MEMBER2, round_, "In my experience buddies help")  # a new phase: a new tip
    assert len(tips_for(kettle, MEMBER2)) == 2

    # Halfway through the set's planned time comes tea: the break pauses the timer, and the
    # nudge says so truthfully; the phase waits until the facilitator resumes it.
    tea = [m for m in thread(kettle, round_.id) if ":tea:" in m["text"]]
    assert len(tea) == 1 and "paused the timer" in tea[0]["text"]
    assert current(kettle, round_.id).status == RoundStatus.PAUSED
    schedule.tick(base + timedelta(minutes=40))
    assert current(kettle, round_.id).phase_index == 2
    kettle.click(MEMBER, RoundIds.RESUME, value=f"{round_.id}:2")
    assert current(kettle, round_.id).status == RoundStatus.RUNNING
    schedule.tick(base + timedelta(minutes=41))
    round_ = current(kettle, round_.id)
    assert round_.phase_index == 3
    say(kettle, MEMBER2, round_, "You should pay them")  # not a question phase
    assert len(tips_for(kettle, MEMBER2)) == 2

    # Only the presenter reflects and commits.
    kettle.click(MEMBER2, RoundIds.CONTRIBUTE, value=f"{round_.id}:3", channel=COP)
    assert kettle.fake.last_view()["callback_id"] != RoundIds.CONTRIBUTE_MODAL  # type: ignore[index]
    assert any("Only the presenter" in str(r.get("text")) for r in kettle.fake.responses)
    kettle.click(MEMBER, RoundIds.CONTRIBUTE, value=f"{round_.id}:3")
    view = kettle.fake.last_view()
    assert view is not None
    kettle.submit(MEMBER, view, state(**{RoundIds.TEXT: text_value("It's about belonging")}))
    assert posted(thread(kettle, round_.id), "reflects: It's about belonging") == 1

    kettle.click(MEMBER, RoundIds.NEXT, value=f"{round_.id}:3")
    round_ = current(kettle, round_.id)
    assert round_.phase_index == 4
    kettle.click(MEMBER, RoundIds.CONTRIBUTE, value=f"{round_.id}:4")
    view = kettle.fake.last_view()
    assert view is not None
    past = kettle.submit(
        MEMBER,
        view,
        state(
            **{
                RoundIds.TEXT: text_value("call three volunteers"),
                RoundIds.WHEN: date_value("2001-01-01"),
            }
        ),
    )
    assert past.json["errors"][RoundIds.WHEN]
    due_day = (utcnow() + timedelta(days=7)).date()
    kettle.submit(
        MEMBER,
        view,
        state(
            **{
                RoundIds.TEXT: text_value("call three volunteers"),
                RoundIds.WHEN: date_value(due_day.isoformat()),
            }
        ),
    )
    kettle.click(MEMBER, RoundIds.END, value=f"{round_.id}:4")
    round_ = current(kettle, round_.id)
    assert round_.status == RoundStatus.CLOSED
    assert "call three volunteers" in (round_.synthesis or "")
    assert posted(thread(kettle, round_.id), "The set is closed") == 1
    kettle.click(MEMBER, RoundIds.NEXT, value=f"{round_.id}:4")  # closed: nothing moves

    # After the date Kettle asks how it went; the presenter answers.
    with kettle.db() as session:
        commitment = session.scalars(select(RoundCommitment)).one()
        due, commitment_id = commitment.due_at, commitment.id
    schedule.tick(due + timedelta(minutes=1))
    asks = [m for m in kettle.fake.dm_messages(MEMBER) if "How did it go" in m["text"]]
    assert len(asks) == 1
    kettle.click(MEMBER, RoundIds.REPORT, value=str(commitment_id))
    view = kettle.fake.last_view()
    assert view is not None and view["callback_id"] == RoundIds.REPORT_MODAL
    shared = {RoundIds.TEXT: text_value("Two came back"), RoundIds.SHARE: radio("cop")}
    kettle.submit(MEMBER, view, state(**shared))

    # The next set for the same presenter opens with that report-back, which they shared.
    second = start_als(kettle)
    opening = next(m for m in kettle.fake.messages(COP) if m["ts"] == second.thread_ts)
    assert "Last time" in str(opening["blocks"]) and "Two came back" in str(opening["blocks"])


def test_unreported_actions_are_asked_about_when_the_next_set_starts(kettle: Kettle) -> None:
    first = start_als(kettle)
    kettle.click(MEMBER, RoundIds.NEXT, value=f"{first.id}:0")
    kettle.click(MEMBER, RoundIds.NEXT, value=f"{first.id}:1")
    kettle.click(MEMBER, RoundIds.NEXT, value=f"{first.id}:2")
    kettle.click(MEMBER, RoundIds.NEXT, value=f"{first.id}:3")
    kettle.click(MEMBER, RoundIds.CONTRIBUTE, value=f"{first.id}:4")
    view = kettle.fake.last_view()
    assert view is not None
    due_day = (utcnow() + timedelta(days=30)).date()
    values = {
        RoundIds.TEXT: text_value("write to the board"),
        RoundIds.WHEN: date_value(due_day.isoformat()),
    }
    kettle.submit(MEMBER, view, state(**values))
    kettle.click(CONVENOR, RoundIds.END, value=f"{first.id}:4")  # a convenor may end any set
    assert current(kettle, first.id).status == RoundStatus.CLOSED

    second = start_als(kettle)
    opening = next(m for m in kettle.fake.messages(COP) if m["ts"] == second.thread_ts)
    assert "write to the board" in str(opening["blocks"]) and "no report yet" in str(
        opening["blocks"]
    )
    schedule.tick(utcnow() + timedelta(minutes=1))
    asks = [m for m in kettle.fake.dm_messages(MEMBER) if "How did it go" in m["text"]]
    assert len(asks) == 1


def test_the_set_up_form_names_the_field_when_someone_named_is_not_a_member(
    kettle: Kettle,
) -> None:
    kettle.command(MEMBER, "/round", "als", channel=COP)
    view = kettle.fake.last_view()
    assert view is not None

    def submit(presenter: str, members: list[str]) -> dict[str, Any]:
        values = state(
            **{
                RoundIds.PRESENTER: user(presenter),
                RoundIds.CHALLENGE: text_value("Keeping volunteers"),
                RoundIds.MEMBERS: users(*members),
                RoundIds.CHANNEL: conversation(COP),
                **{f"{RoundIds.MINUTES}_{i}": number("5") for i in range(6)},
            }
        )
        reply = kettle.submit(MEMBER, view, values)
        assert reply.json["response_action"] == "errors"
        return dict(reply.json["errors"])

    assert list(submit(OUTSIDER, [MEMBER2])) == [RoundIds.PRESENTER]
    assert list(submit(MEMBER, [MEMBER2, OUTSIDER])) == [RoundIds.MEMBERS]
    assert list(submit(MEMBER, [])) == [RoundIds.MEMBERS]
    with kettle.db() as session:
        assert session.scalars(select(Round)).first() is None


def test_a_mangled_report_button_says_it_is_out_of_date(kettle: Kettle) -> None:
    kettle.click(MEMBER, RoundIds.REPORT, value="my commitment")
    told = [r["text"] for r in kettle.fake.responses]
    assert told == ["That button is out of date."]
    assert kettle.fake.last_view() is None
