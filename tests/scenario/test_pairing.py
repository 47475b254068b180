"""Pairing end to end: /cop pairing, the tick with controlled time, group DMs, the follow-up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot import runtime
from bot.builders.ids import PairingIds
from bot.delivery import PostRateLimiter, Sender
from bot.models import PairingGroup, PairingPreference
from bot.schedules import pairing as schedule
from tests.conftest import CONVENOR, MEMBER, MEMBER2, OUTSIDER
from tests.harness import Kettle

NOW = datetime(2031, 3, 3, 9, 30, tzinfo=UTC)


def group_dm(kettle: Kettle) -> str:
    with kettle.db() as session:
        (group,) = session.scalars(select(PairingGroup)).all()
        assert group.channel_id is not None
        return group.channel_id


def test_pairing_commands_for_members_and_outsiders(kettle: Kettle) -> None:
    outsider = kettle.command(OUTSIDER, "/cop", "pairing on")
    assert "ask one of the convenors" in outsider.json["text"]
    on = kettle.command(MEMBER, "/cop", "pairing on")
    assert "You're in" in on.json["text"]
    avoid = kettle.command(MEMBER, "/cop", "pairing avoid @Rohan")
    assert "won't pair you with Rohan" in avoid.json["text"]
    status = kettle.command(MEMBER, "/cop", "pairing")
    assert "Rohan" in status.json["text"] and "taking part" in status.json["text"]
    assert "couldn't find" in kettle.command(MEMBER, "/cop", "pairing avoid @nobody").json["text"]
    assert "convenor" in kettle.command(MEMBER, "/cop", "pairing stats").json["text"]
    assert "/cop pairing" in kettle.command(MEMBER, "/cop", "pairing dance").json["text"]
    kettle.command(MEMBER, "/cop", "pairing pause")
    with kettle.db() as session:
        (pref,) = session.scalars(select(PairingPreference)).all()
        assert pref.opted_in and pref.paused
    # The App Home shows it and its buttons change it.
    assert "Pairing is paused" in str(kettle.fake.home(MEMBER))
    kettle.click(MEMBER, PairingIds.RESUME)
    kettle.click(OUTSIDER, PairingIds.OPT_IN)
    with kettle.db() as session:
        prefs = session.scalars(select(PairingPreference)).all()
        assert len(prefs) == 1 and not prefs[0].paused


def test_a_round_introduces_a_trio_once_and_follows_up(kettle: Kettle) -> None:
    for user in (CONVENOR, MEMBER, MEMBER2):
        kettle.command(user, "/cop", "pairing on")
    rt = runtime.current()
    assert schedule.run_tick(rt, NOW) == 1
    assert schedule.run_tick(rt, NOW + timedelta(minutes=10)) == 0
    fresh = Sender(kettle.client, kettle.session_factory, limiter=PostRateLimiter(0))
    restarted = runtime.Runtime(rt.settings, rt.engine, rt.session_factory, rt.client, fresh)
    assert schedule.run_tick(restarted, NOW + timedelta(minutes=20)) == 0

    (opened,) = kettle.fake.calls_to("conversations.open")[-1:]
    assert sorted(opened["users"].split(",")) == sorted([CONVENOR, MEMBER, MEMBER2])
    channel = group_dm(kettle)
    (intro,) = kettle.fake.messages(channel)
    assert "Amina" in intro["text"] and "Rohan" in intro["text"] and "Esther" in intro["text"]
    assert "Asia/Kolkata" in str(intro["blocks"])

    # A week later: "did you meet?", once.
    schedule.run_tick(rt, NOW + timedelta(days=7, minutes=1))
    schedule.run_tick(restarted, NOW + timedelta(days=7, minutes=2))
    messages = kettle.fake.messages(channel)
    assert len(messages) == 2
    followup = messages[1]

    request = kettle.signer.block_actions(
        OUTSIDER,
        actions=[{"action_id": PairingIds.MET_NO, "type": "button", "value": "0"}],
        message={"ts": followup["ts"], "channel": channel},
        response_url=kettle.fake.new_response_url(),
    )
    kettle.send(request)
    with kettle.db() as session:
        group = session.scalars(select(PairingGroup)).one()
        assert group.met is None
        group_id = group.id
    request = kettle.signer.block_actions(
        MEMBER,
        actions=[{"action_id": PairingIds.MET_YES, "type": "button", "value": str(group_id)}],
        message={"ts": followup["ts"], "channel": channel},
        response_url=kettle.fake.new_response_url(),
    )
    kettle.send(request)
    with kettle.db() as session:
        assert session.get(PairingGroup, group_id).met is True  # type: ignore[union-attr]
    assert "Lovely" in str(kettle.fake.messages(channel)[1]["blocks"])

    stats = kettle.command(CONVENOR, "/cop", "pairing stats").json["text"]
    assert "1 answered" in stats and "3 taking part" in stats
    assert "1 met" not in stats and "too few" in stats  # one group's answer, plain to see
    assert "Amina" not in stats


def test_skip_one_round_and_avoidance_leave_a_pair(kettle: Kettle) -> None:
    for user in (CONVENOR, MEMBER, MEMBER2):
        kettle.command(user, "/cop", "pairing on")
    kettle.command(MEMBER, "/cop", "pairing avoid <@UMEM2|rohan>")
    rt = runtime.current()
    schedule.run_tick(rt, NOW)
    with kettle.db() as session:
        groups = session.scalars(select(PairingGroup)).all()
        members = [sorted(m.member.user_id for m in g.members) for g in groups]
    # Amina would rather not meet Rohan, so no trio is possible: one pair, nobody with whom they avoid.
    assert len(members) == 1 and members[0] != sorted([MEMBER, MEMBER2])


def test_a_mangled_did_you_meet_button_says_it_is_out_of_date(kettle: Kettle) -> None:
    request = kettle.signer.block_actions(
        MEMBER,
        actions=[{"action_id": PairingIds.MET_YES, "type": "button", "value": "yes please"}],
        response_url=kettle.fake.new_response_url(),
    )
    kettle.send(request)
    told = [r["text"] for r in kettle.fake.responses]
    assert told == ["That button is out of date."]
