"""Appreciative inquiry's presses that belong to one person: only the partner says yes to a
retelling, only the asked say yes to the library, only a convenor starts from a topic, and
nobody outside the CoP votes. Signed requests in, the fake Slack out."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from bot.builders.ids import RoundIds
from bot.models import Member, Round, RoundChoice, RoundContribution, Story, utcnow
from bot.schedules import rounds as schedule
from tests.conftest import CONVENOR, COP, MEMBER, MEMBER2, OUTSIDER
from tests.fakeslack.signing import SignedRequest
from tests.harness import Kettle, select_value, state, text_value
from tests.scenario.test_rounds_ai import posted, start_ai, thread


def member_id(kettle: Kettle, user: str) -> int:
    with kettle.db() as session:
        return session.scalars(select(Member.id).where(Member.user_id == user)).one()


def button_value(messages: list[dict[str, Any]], action_id: str) -> str:
    for message in reversed(messages):
        for block in message.get("blocks") or []:
            for element in block.get("elements") or []:
                if element.get("action_id") == action_id:
                    return str(element["value"])
    raise AssertionError(action_id)


def test_only_the_partner_lets_a_retelling_into_the_thread(kettle: Kettle) -> None:
    round_ = start_ai(kettle)
    for user in (MEMBER, MEMBER2):
        kettle.click(user, RoundIds.INTERVIEW, value=f"{round_.id}:0")
    kettle.click(CONVENOR, RoundIds.PAIR, value=f"{round_.id}:0")
    kettle.click(CONVENOR, RoundIds.RETELL, value=str(round_.id))  # not interviewed: no form
    assert (
        kettle.fake.last_view() is None
        or (kettle.fake.last_view() or {}).get("callback_id") != RoundIds.RETELL_MODAL
    )
    kettle.click(MEMBER, RoundIds.RETELL, value=str(round_.id))
    view = kettle.fake.last_view()
    assert view is not None and view["callback_id"] == RoundIds.RETELL_MODAL
    forged = kettle.submit(  # naming someone they did not interview
        MEMBER,
        view,
        state(
            **{
                RoundIds.PARTNER: select_value(str(member_id(kettle, CONVENOR))),
                RoundIds.TEXT: text_value("x"),
            }
        ),
    )
    assert forged.json["response_action"] == "errors" and RoundIds.PARTNER in forged.json["errors"]
    story = "ROHAN-STORY of the night we sang"
    values = {
        RoundIds.PARTNER: select_value(str(member_id(kettle, MEMBER2))),
        RoundIds.TEXT: text_value(story),
    }
    kettle.submit(MEMBER, view, state(**values))
    value = button_value(kettle.fake.dm_messages(MEMBER2), RoundIds.RETELL_YES)
    for someone in (MEMBER, CONVENOR, OUTSIDER):  # not theirs to say yes to
        kettle.click(someone, RoundIds.RETELL_YES, value=value)
    assert posted(thread(kettle, round_.id), "ROHAN-STORY") == 0
    with kettle.db() as session:
        assert session.get_one(RoundContribution, int(value)).awaiting
    kettle.click(MEMBER2, RoundIds.RETELL_YES, value=value)
    kettle.click(MEMBER2, RoundIds.RETELL_YES, value=value)  # twice: posted once
    assert posted(thread(kettle, round_.id), "*Amina* retells *Rohan*'s story: ROHAN-STORY") == 1


def retelling(kettle: Kettle) -> SignedRequest:
    """Amina's signed submission of Rohan's story, after they were paired for an interview."""
    round_ = start_ai(kettle)
    for user in (MEMBER, MEMBER2):
        kettle.click(user, RoundIds.INTERVIEW, value=f"{round_.id}:0")
    kettle.click(CONVENOR, RoundIds.PAIR, value=f"{round_.id}:0")
    kettle.click(MEMBER, RoundIds.RETELL, value=str(round_.id))
    view = kettle.fake.last_view()
    assert view is not None and view["callback_id"] == RoundIds.RETELL_MODAL
    values = {
        RoundIds.PARTNER: select_value(str(member_id(kettle, MEMBER2))),
        RoundIds.TEXT: text_value("ROHAN-STORY of the night we sang"),
    }
    return kettle.signer.view_submission(MEMBER, view, state(**values))


def retell_notes(kettle: Kettle) -> tuple[int, int]:
    """(asks in Rohan's DM, "I've asked Rohan" notes in Amina's DM)."""
    asks = sum(
        1
        for m in kettle.fake.dm_messages(MEMBER2)
        if RoundIds.RETELL_YES in json.dumps(m.get("blocks") or [])
    )
    return asks, posted(kettle.fake.dm_messages(MEMBER), "whether it may be posted")


def test_a_retried_retelling_asks_the_partner_and_tells_the_teller_once(kettle: Kettle) -> None:
    request = retelling(kettle)
    kettle.send(request)
    assert retell_notes(kettle) == (1, 1)
    for number in (1, 2):
        kettle.send(kettle.signer.retry(request, number))
    assert retell_notes(kettle) == (1, 1)
    with kettle.db() as session:
        assert len(session.scalars(select(RoundContribution)).all()) == 1


def test_a_retry_finishes_what_an_interrupted_retelling_left_unsent(kettle: Kettle) -> None:
    request = retelling(kettle)
    kettle.fake.fail_next("chat.postMessage", status=429, retry_after=0, times=4)
    kettle.send(request)  # kept, but Slack refused the partner's ask past every retry
    kettle.fake.clear_faults()
    assert retell_notes(kettle) == (0, 0)
    kettle.send(kettle.signer.retry(request, 1))
    kettle.send(kettle.signer.retry(request, 2))
    assert retell_notes(kettle) == (1, 1)


def test_votes_and_starting_from_a_topic_are_members_and_convenors_only(kettle: Kettle) -> None:
    kettle.command(MEMBER, "/round", "topics")
    view = kettle.fake.last_view()
    assert view is not None
    kettle.submit(MEMBER, view, state(**{RoundIds.TEXT: text_value("Joyful <!channel> calls")}))
    with kettle.db() as session:
        choice = session.scalars(select(RoundChoice)).one()
        choice_id = choice.id
    assert "Community of Practice" in kettle.command(OUTSIDER, "/round", "topics").json["text"]
    kettle.click(OUTSIDER, RoundIds.CHOICE_VOTE, value=str(choice_id), view=view)
    kettle.click(MEMBER2, RoundIds.START_TOPIC, value=str(choice_id), view=view)
    kettle.command(MEMBER2, "/round", "topics")
    shown = json.dumps(kettle.fake.last_view())
    assert "0 votes" in shown and "&lt;!channel&gt;" in shown and "<!channel>" not in shown
    assert not [v for v in kettle.fake.views_pushed if v["callback_id"] == RoundIds.AI_MODAL]
    with kettle.db() as session:
        assert session.scalars(select(Round)).all() == []


def test_only_those_asked_answer_for_the_library(kettle: Kettle) -> None:
    round_ = start_ai(kettle, minutes="0")
    kettle.click(MEMBER, RoundIds.CONTRIBUTE, value=f"{round_.id}:0")
    view = kettle.fake.last_view()
    assert view is not None
    kettle.submit(MEMBER, view, state(**{RoundIds.TEXT: text_value("AMINA-HIGH-POINT")}))
    kettle.click(CONVENOR, RoundIds.END, value=f"{round_.id}:0")
    schedule.tick(utcnow())
    schedule.tick(utcnow())
    offers = [m for m in kettle.fake.dm_messages(MEMBER) if "story library" in str(m["text"])]
    assert len(offers) == 1 and "AMINA-HIGH-POINT" in offers[0]["text"]
    value = button_value(offers, RoundIds.LIBRARY_YES)
    for someone in (MEMBER2, CONVENOR, OUTSIDER):
        kettle.click(someone, RoundIds.LIBRARY_YES, value=value)
    with kettle.db() as session:
        assert session.scalars(select(Story)).all() == []
    kettle.click(MEMBER, RoundIds.LIBRARY_YES, value=value)
    with kettle.db() as session:
        stories = session.scalars(select(Story)).all()
        assert len(stories) == 1 and "AMINA-HIGH-POINT" in stories[0].body
    assert not [
        m
        for m in kettle.fake.messages(COP)
        if "AMINA-HIGH-POINT" in str(m) and not m.get("thread_ts")
    ]
