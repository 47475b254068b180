"""What a round may carry, and where: the CoP's private channel, the presenter's own yes, each
person's sharing choices, invitations once, pairing choices and forget-me."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.builders.ids import RoundIds
from bot.models import Round
from tests.conftest import CONVENOR, COP, GENERAL, MEMBER, MEMBER2, MOVEMENT
from tests.harness import Kettle, checkbox_values, state, text_value
from tests.scenario.test_rounds_ai import conversation, number
from tests.scenario.test_rounds_als import user, users


def als_values(presenter: str, channel: str | None = None, **extra: Any) -> dict[str, Any]:
    blocks: dict[str, Any] = {
        RoundIds.PRESENTER: user(presenter),
        RoundIds.CHALLENGE: text_value("Volunteers drift away after a month"),
        RoundIds.MEMBERS: users(MEMBER2, CONVENOR),
        **{f"{RoundIds.MINUTES}_{i}": number("5") for i in range(5)},
        **extra,
    }
    if channel is not None:
        blocks[RoundIds.CHANNEL] = conversation(channel)
    return state(**blocks)


def ai_values(channel: str | None = None) -> dict[str, Any]:
    blocks: dict[str, Any] = {
        RoundIds.TOPIC: text_value("Meetings people can't wait to come to"),
        RoundIds.MINUTES: number("10"),
        RoundIds.ANONYMOUS: checkbox_values(),
    }
    if channel is not None:
        blocks[RoundIds.CHANNEL] = conversation(channel)
    return state(**blocks)


def rounds_in_db(kettle: Kettle) -> list[Round]:
    with kettle.db() as session:
        found = list(session.scalars(select(Round).order_by(Round.id)))
        session.expunge_all()
        return found


def posts_in(kettle: Kettle, channel: str) -> list[dict[str, Any]]:
    return [m for m in kettle.fake.messages(channel) if m.get("bot_id")]


# -- 1. rounds run only in the CoP's private channel ----------------------------------------------


def test_a_set_or_a_round_runs_only_in_the_cop_channel(kettle: Kettle) -> None:
    kettle.command(MEMBER, "/round", "als", channel=GENERAL)
    form = kettle.fake.last_view()
    assert form is not None and form["callback_id"] == RoundIds.ALS_MODAL
    # The form offers no choice of channel: it says where the set runs.
    assert RoundIds.CHANNEL not in {b.get("block_id") for b in form["blocks"]}
    assert f"<#{COP}>" in str(form["blocks"])

    # A forged (or old) form asking for the movement's public channel is refused on its field.
    reply = kettle.submit(MEMBER, form, als_values(MEMBER, MOVEMENT))
    assert reply.json["response_action"] == "errors"
    assert "private channel" in reply.json["errors"][RoundIds.CHANNEL]
    assert rounds_in_db(kettle) == []
    assert posts_in(kettle, MOVEMENT) == [] and posts_in(kettle, GENERAL) == []

    kettle.command(CONVENOR, "/round", "ai better meetings", channel=GENERAL)
    ai_form = kettle.fake.last_view()
    assert ai_form is not None and ai_form["callback_id"] == RoundIds.AI_MODAL
    assert RoundIds.CHANNEL not in {b.get("block_id") for b in ai_form["blocks"]}
    reply = kettle.submit(CONVENOR, ai_form, ai_values(GENERAL))
    assert reply.json["errors"][RoundIds.CHANNEL]
    assert rounds_in_db(kettle) == [] and posts_in(kettle, GENERAL) == []

    # Without a channel in the form, the round opens in the CoP channel.
    assert kettle.submit(CONVENOR, ai_form, ai_values()).status == 200
    (round_,) = rounds_in_db(kettle)
    assert round_.channel_id == COP and round_.thread_ts
    assert any(m["ts"] == round_.thread_ts for m in posts_in(kettle, COP))
