"""A full appreciative-inquiry round: signed requests in, the fake Slack out, time chosen by the test."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.builders.ids import RoundIds
from bot.models import Round, RoundCommitment, RoundContribution, RoundStatus, utcnow
from bot.schedules import rounds as schedule
from tests.conftest import CONVENOR, COP, MEMBER, MEMBER2, OUTSIDER
from tests.harness import Kettle, checkbox_values, state, text_value


def conversation(value: str) -> dict[str, Any]:
    return {"type": "conversations_select", "selected_conversation": value}


def number(value: str) -> dict[str, Any]:
    return {"type": "number_input", "value": value}


def date_value(value: str) -> dict[str, Any]:
    return {"type": "datepicker", "selected_date": value}


def thread(kettle: Kettle, round_id: int) -> list[dict[str, Any]]:
    with kettle.db() as session:
        ts = session.get_one(Round, round_id).thread_ts
    return [m for m in kettle.fake.messages(COP) if m.get("thread_ts") == ts and m["ts"] != ts]


def posted(messages: list[dict[str, Any]], needle: str) -> int:
    return sum(1 for m in messages if needle in str(m.get("text")) + str(m.get("blocks", "")))


def the_round(kettle: Kettle) -> Round:
    with kettle.db() as session:
        round_ = session.scalars(select(Round)).one()
        session.expunge(round_)
        return round_


def contribute(kettle: Kettle, user: str, round_: Round, values: dict[str, Any]) -> Any:
    kettle.click(user, RoundIds.CONTRIBUTE, value=f"{round_.id}:{round_.phase_index}")
    view = kettle.fake.last_view()
    assert view is not None and view["callback_id"] == RoundIds.CONTRIBUTE_MODAL
    return kettle.submit(user, view, state(**values))


def radio(value: str) -> dict[str, Any]:
    return {"type": "radio_buttons", "selected_option": {"value": value}}


def start_ai(kettle: Kettle, minutes: str = "10", anonymous: bool = True) -> Round:
    kettle.command(CONVENOR, "/round", "ai meetings people can't wait to come to", channel=COP)
    view = kettle.fake.last_view()
    assert view is not None and view["callback_id"] == RoundIds.AI_MODAL
    values = state(
        **{
            RoundIds.TOPIC: text_value("Meetings people can't wait to come to"),
            RoundIds.CHANNEL: conversation(COP),
            RoundIds.MINUTES: number(minutes),
            RoundIds.MODE: radio("live"),
            RoundIds.HOURS: number("24"),
            RoundIds.ANONYMOUS: checkbox_values(*(["yes"] if anonymous else [])),
        }
    )
    reply = kettle.submit(CONVENOR, view, values)
    assert reply.status == 200 and not reply.text
    again = kettle.submit(CONVENOR, view, values)  # Slack may deliver a submission twice
    assert again.status == 200
    return the_round(kettle)


def test_full_appreciative_inquiry_round(kettle: Kettle) -> None:
    base = utcnow()
    round_ = start_ai(kettle)
    top = [m for m in kettle.fake.messages(COP) if m.get("thread_ts") in (None, m["ts"])]
    assert len(top) == 1 and "Appreciative-inquiry round" in top[0]["text"]
    assert posted(thread(kettle, round_.id), "*Discover*") == 1

    # Discover: contributions appear in the thread, escaped, named or anonymous.
    contribute(kettle, MEMBER, round_, {RoundIds.TEXT: text_value("Our <!channel> picnic")})
    contribute(
        kettle,
        MEMBER2,
        round_,
        {
            RoundIds.TEXT: text_value("The night we sang"),
            RoundIds.ANONYMOUS: checkbox_values("yes"),
        },
    )
    replies = thread(kettle, round_.id)
    assert posted(replies, "*Amina* (Discover): Our &lt;!channel&gt; picnic") == 1
    assert posted(replies, "*A member* (Discover): The night we sang") == 1
    assert "Rohan" not in str(replies)

    # Pairing for appreciative interviews opens group DMs for those who asked for one.
    for user in (MEMBER, MEMBER2):
        kettle.click(user, RoundIds.INTERVIEW, value=f"{round_.id}:0")
    kettle.click(CONVENOR, RoundIds.PAIR, value=f"{round_.id}:0")
    opened = [c for c in kettle.fake.calls_to("conversations.open") if "," in str(c.get("users"))]
    assert opened
    mpim = kettle.fake.calls_to("chat.postMessage")
    assert any("appreciative interview" in str(c.get("text")) for c in mpim)
    assert not [c for c in opened if CONVENOR in str(c.get("users"))]  # did not ask

    # A member pressing the facilitator's button (a forged payload) changes nothing.
    kettle.click(MEMBER, RoundIds.NEXT, value=f"{round_.id}:0", channel=COP)
    kettle.click(OUTSIDER, RoundIds.END, value=f"{round_.id}:0", channel=COP)
    assert the_round(kettle).phase_index == 0
    assert the_round(kettle).status == RoundStatus.RUNNING

    # The timer moves to Dream; a second tick at the same moment posts nothing more.
    schedule.tick(base + timedelta(minutes=11))
    schedule.tick(base + timedelta(minutes=11))
    round_ = the_round(kettle)
    assert round_.phase_index == 1
    assert posted(thread(kettle, round_.id), "*Dream*") == 1

    # Some minutes into Dream, quiet members are invited once, privately; one opts out.
    schedule.tick(base + timedelta(minutes=17))
    schedule.tick(base + timedelta(minutes=18))
    for user in (MEMBER, MEMBER2):
        invites = [m for m in kettle.fake.dm_messages(user) if "Dream" in m["text"]]
        assert len(invites) == 1
    assert not [m for m in kettle.fake.dm_messages(CONVENOR) if "Dream" in m["text"]]
    kettle.click(MEMBER2, RoundIds.OPT_OUT, value="off")

    # By hand to Design; a double click of the same button moves only once.
    kettle.click(CONVENOR, RoundIds.NEXT, value=f"{round_.id}:1")
    kettle.click(CONVENOR, RoundIds.NEXT, value=f"{round_.id}:1")
    round_ = the_round(kettle)
    assert round_.phase_index == 2

    # Paused rounds hold still; a long one gets a tea-break nudge once.
    kettle.click(CONVENOR, RoundIds.PAUSE, value=f"{round_.id}:2")
    schedule.tick(base + timedelta(minutes=65))
    schedule.tick(base + timedelta(minutes=66))
    round_ = the_round(kettle)
    assert round_.phase_index == 2 and round_.status == RoundStatus.PAUSED
    assert posted(thread(kettle, round_.id), "Tea break") == 1
    assert not [m for m in kettle.fake.dm_messages(MEMBER2) if "Design" in m["text"]]
    kettle.click(CONVENOR, RoundIds.RESUME, value=f"{round_.id}:2")
    kettle.click(CONVENOR, RoundIds.NEXT, value=f"{round_.id}:2")
    round_ = the_round(kettle)
    assert round_.phase_index == 3 and round_.status == RoundStatus.RUNNING

    # Destiny: who, what, by when.
    due_day = (utcnow() + timedelta(days=5)).date()
    contribute(
        kettle,
        MEMBER,
        round_,
        {
            RoundIds.TEXT: text_value("host a welcome call for newcomers"),
            RoundIds.WHEN: date_value(due_day.isoformat()),
        },
    )
    assert posted(thread(kettle, round_.id), "*Amina* will host a welcome call") == 1

    # The facilitator closes it: a synthesis, kept for the library and export.
    kettle.click(CONVENOR, RoundIds.NEXT, value=f"{round_.id}:3")
    round_ = the_round(kettle)
    assert round_.status == RoundStatus.CLOSED
    assert round_.synthesis is not None
    assert "*Stories we heard*" in round_.synthesis and "welcome call" in round_.synthesis
    assert "The night we sang (A member)" in round_.synthesis
    assert posted(thread(kettle, round_.id), "is closed") == 1
    schedule.tick(base + timedelta(minutes=90))
    assert posted(thread(kettle, round_.id), "is closed") == 1

    # Follow-ups: a reminder before the date, then "how did it go?", each once.
    with kettle.db() as session:
        commitment = session.scalars(select(RoundCommitment)).one()
        due, commitment_id = commitment.due_at, commitment.id
    schedule.tick(due - timedelta(days=1))
    schedule.tick(due - timedelta(days=1) + timedelta(minutes=1))
    reminders = [m for m in kettle.fake.dm_messages(MEMBER) if "gentle reminder" in m["text"]]
    assert len(reminders) == 1
    schedule.tick(due + timedelta(minutes=1))
    schedule.tick(due + timedelta(minutes=2))
    asks = [m for m in kettle.fake.dm_messages(MEMBER) if "How did it go" in m["text"]]
    assert len(asks) == 1

    kettle.click(MEMBER2, RoundIds.REPORT, value=str(commitment_id))  # not theirs
    assert kettle.fake.last_view()["callback_id"] != RoundIds.REPORT_MODAL  # type: ignore[index]
    kettle.click(MEMBER, RoundIds.REPORT, value=str(commitment_id))
    view = kettle.fake.last_view()
    assert view is not None and view["callback_id"] == RoundIds.REPORT_MODAL
    kettle.submit(MEMBER, view, state(**{RoundIds.TEXT: text_value("Six people came!")}))
    with kettle.db() as session:
        assert session.get_one(RoundCommitment, commitment_id).report == "Six people came!"
        assert len(session.scalars(select(RoundContribution)).all()) == 2


def test_round_commands_by_role(kettle: Kettle) -> None:
    outsider = kettle.command(OUTSIDER, "/round", "ai better meetings")
    assert "Community of Practice" in outsider.json["text"]
    member = kettle.command(MEMBER, "/round", "ai better meetings")
    assert "convenor" in member.json["text"]
    assert kettle.fake.views_opened == []

    guide = kettle.command(MEMBER, "/round", "guide ai")
    assert "Appreciative inquiry" in guide.json["text"]
    assert "no advice" in kettle.command(MEMBER, "/round", "guide als").json["text"]
    assert "Community of Practice" in kettle.command(OUTSIDER, "/round", "guide als").json["text"]
    usage = kettle.command(MEMBER, "/round", "help").json["text"]
    assert "/round als" in usage and "/round ai" not in usage
    assert "/round ai" in kettle.command(CONVENOR, "/round", "").json["text"]

    assert "No rounds yet" in kettle.command(MEMBER, "/round", "list").json["text"]
    start_ai(kettle, minutes="0", anonymous=False)
    kettle.event({"type": "app_home_opened", "user": MEMBER, "tab": "home", "channel": "D1"})
    assert "Meetings people can" in str(kettle.fake.home(MEMBER))
    listing = kettle.command(MEMBER, "/round", "list").json["text"]
    assert "Meetings people can" in listing and "Discover" in listing
    assert "Community of Practice" in kettle.command(OUTSIDER, "/round", "list").json["text"]

    # A phase run by hand never moves on its own.
    schedule.tick(utcnow() + timedelta(hours=3))
    assert the_round(kettle).phase_index == 0

    # A member cannot forge the convenor's set-up form.
    kettle.command(CONVENOR, "/round", "ai another", channel=COP)
    view = kettle.fake.last_view()
    assert view is not None
    values = state(
        **{
            RoundIds.TOPIC: text_value("Forged"),
            RoundIds.CHANNEL: conversation(COP),
            RoundIds.MINUTES: number("5"),
            RoundIds.MODE: radio("live"),
            RoundIds.ANONYMOUS: checkbox_values(),
        }
    )
    reply = kettle.submit(MEMBER, view, values)
    assert reply.json["response_action"] == "update"
    bad = kettle.submit(CONVENOR, view, {**values, **state(**{RoundIds.MINUTES: number("x")})})
    assert bad.json["response_action"] == "errors"
    with kettle.db() as session:
        assert len(session.scalars(select(Round)).all()) == 1

    assert "won't invite" in kettle.command(MEMBER, "/round", "invites off").json["text"]
    assert "invite you again" in kettle.command(MEMBER, "/round", "invites on").json["text"]


def test_a_round_carries_on_after_a_restart(kettle: Kettle) -> None:
    """A phase change committed just before a crash is announced by the next tick, once."""
    round_ = start_ai(kettle)
    with kettle.db() as session:
        from bot.services import rounds as svc

        svc.advance(session, session.get_one(Round, round_.id), now=utcnow(), expected_phase=0)
    assert posted(thread(kettle, round_.id), "*Dream*") == 0
    schedule.tick(utcnow())
    schedule.tick(utcnow())
    assert posted(thread(kettle, round_.id), "*Dream*") == 1
    assert posted(thread(kettle, round_.id), "*Discover*") == 1
