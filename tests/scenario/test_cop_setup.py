"""`/cop setup` from Slack, on a fresh install with nothing in the environment: the channel is
checked, the movement's channel and the convenors are chosen in a form, Kettle offers to join
the movement's channel (or says how to invite it), and a checklist shows what is left."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.builders.ids import CommunityIds
from bot.config import Settings
from bot.models import Community, Member, Role
from bot.services import membership
from tests.conftest import (
    CONVENOR,
    COP,
    GENERAL,
    MEMBER,
    MEMBER2,
    MOVEMENT,
    OUTSIDER,
    make_settings,
)
from tests.fakeslack import FakeSlack
from tests.fakeslack.signing import build_state_values
from tests.harness import Kettle

ADMIN = "UADMIN"
SECOND_COP = "C0SECOND"
PRIVATE_MOVEMENT = "C0PRIVMOVE"


@pytest.fixture
def settings(fake: FakeSlack, db_url: str, tmp_path: Path) -> Settings:
    """A fresh install: no CoP channel, movement channel or convenors in the environment."""
    fake.add_user(ADMIN, "Ada", tz="Europe/London", is_admin=True)
    return make_settings(
        fake,
        database_url=db_url,
        files_dir=tmp_path / "files",
        cop_channel=None,
        movement_channel=None,
        convenors=(),
    )


def said(reply: Any) -> str:
    assert reply.status == 200
    return str((reply.json or {}).get("text", ""))


def open_setup(kettle: Kettle, user: str, channel: str = COP) -> dict[str, Any]:
    kettle.fake.reset_calls()
    reply = kettle.command(user, "/cop", "setup", channel=channel)
    assert reply.status == 200 and not said(reply), said(reply)
    view = kettle.fake.last_view()
    assert view is not None and view["callback_id"] == CommunityIds.SETUP_MODAL
    return view


def submit_setup(
    kettle: Kettle, user: str, view: dict[str, Any], movement: str | None, convenors: list[str]
) -> Any:
    values = build_state_values(
        view,
        {CommunityIds.SETUP_MOVEMENT: movement, CommunityIds.SETUP_CONVENORS: convenors},
    )
    return kettle.submit(user, view, values)


def checklist_for(kettle: Kettle, user: str) -> dict[str, Any]:
    ephemerals = kettle.fake.ephemerals_for(user)
    assert ephemerals, "no checklist was shown"
    return ephemerals[-1]


def text_of(message: dict[str, Any]) -> str:
    parts = []
    for block in message.get("blocks") or []:
        parts.append(((block.get("text") or {}).get("text")) or "")
        for element in block.get("elements") or []:
            parts.append(element.get("text") or "")
    return "\n".join(parts)


def community_of(kettle: Kettle, channel: str) -> Community:
    with kettle.db() as session:
        community = membership.community_for_channel(session, channel)
        assert community is not None
        session.expunge(community)
        return community


def convenors_of(kettle: Kettle, channel: str) -> set[str]:
    with kettle.db() as session:
        community = membership.community_for_channel(session, channel)
        assert community is not None
        return set(membership.convenor_ids(session, community.id))


def test_an_admin_sets_up_a_cop_and_kettle_joins_the_movement_channel(kettle: Kettle) -> None:
    fake = kettle.fake
    fake.set_members(COP, [*fake.members_of(COP), ADMIN])
    fake.set_members(MOVEMENT, [CONVENOR])  # Kettle is not in the movement's channel
    view = open_setup(kettle, ADMIN)
    # The channel was checked with conversations.info before anything was stored.
    assert any(c.get("channel") == COP for c in fake.calls_to("conversations.info"))
    community = community_of(kettle, COP)
    assert community.channel_id == COP
    assert community.name == "Peoples cop"  # named after its channel: the environment gave none
    with kettle.db() as session:
        assert len(membership.communities(session)) == 1  # the seeded one took the channel
    # Everyone already in the channel is known; the admin is the first convenor until chosen.
    with kettle.db() as session:
        members = {m.user_id for m in membership.active_members(session, community.id)}
    assert {CONVENOR, MEMBER, MEMBER2, ADMIN} <= members

    reply = submit_setup(kettle, ADMIN, view, MOVEMENT, [CONVENOR])
    assert reply.status == 200
    assert convenors_of(kettle, COP) == {CONVENOR}  # the admin chose someone else to convene
    assert community_of(kettle, COP).movement_channel_id == MOVEMENT
    checklist = checklist_for(kettle, ADMIN)
    assert checklist["channel"] == COP
    text = text_of(checklist)
    assert f"<#{MOVEMENT}>" in text and "Join it" in text
    assert f"<@{CONVENOR}>" in text

    # Join it: Kettle joins the public movement channel itself (channels:join).
    join = next(
        e
        for b in checklist["blocks"]
        if (e := b.get("accessory") or {}).get("action_id") == CommunityIds.SETUP_JOIN
    )
    block_id = next(b["block_id"] for b in checklist["blocks"] if b.get("accessory") == join)
    kettle.click(
        ADMIN, CommunityIds.SETUP_JOIN, value=join["value"], block_id=block_id, channel=COP
    )
    assert fake.bot_user_id in fake.members_of(MOVEMENT)
    assert [c["channel"] for c in fake.calls_to("conversations.join")] == [MOVEMENT]
    answer = fake.responses[-1]
    assert answer["replace_original"] is True
    assert "Kettle is in the movement's channel" in text_of(answer)


def test_the_convenor_sets_up_again_and_a_private_movement_channel_says_how_to_invite(
    kettle: Kettle,
) -> None:
    fake = kettle.fake
    fake.add_channel(PRIVATE_MOVEMENT, "movement-leads", is_private=True, bot_is_member=False)
    fake.set_members(COP, [*fake.members_of(COP), ADMIN])
    submit_setup(kettle, ADMIN, open_setup(kettle, ADMIN), MOVEMENT, [CONVENOR])
    # The convenor runs it again: the form shows what is stored, and they choose anew.
    view = open_setup(kettle, CONVENOR)
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks[CommunityIds.SETUP_CONVENORS]["element"]["initial_users"] == [CONVENOR]
    assert blocks[CommunityIds.SETUP_MOVEMENT]["element"]["initial_conversation"] == MOVEMENT
    submit_setup(kettle, CONVENOR, view, PRIVATE_MOVEMENT, [CONVENOR, MEMBER])
    assert convenors_of(kettle, COP) == {CONVENOR, MEMBER}
    text = text_of(checklist_for(kettle, CONVENOR))
    assert "/invite @Kettle" in text and "Join it" not in text
    assert not fake.calls_to("conversations.join")
    # Still one community: setting up again updates the channel's CoP.
    with kettle.db() as session:
        assert len(membership.communities(session)) == 1


def test_refusals_say_why(kettle: Kettle) -> None:
    fake = kettle.fake
    fake.set_members(COP, [*fake.members_of(COP), ADMIN])
    # Someone who is neither an admin nor a convenor.
    reply = kettle.command(MEMBER, "/cop", "setup", channel=COP)
    assert "Only a workspace admin or a convenor" in said(reply)
    # A public channel.
    reply = kettle.command(ADMIN, "/cop", "setup", channel=GENERAL)
    assert "This channel is public" in said(reply)
    # A private channel Kettle is not in (Slack says channel_not_found).
    fake.add_channel(
        SECOND_COP, "second-cop", is_private=True, members=[ADMIN], bot_is_member=False
    )
    reply = kettle.command(ADMIN, "/cop", "setup", channel=SECOND_COP)
    assert "/invite @Kettle" in said(reply)
    # A direct message.
    reply = kettle.command(ADMIN, "/cop", "setup", channel=fake.dm_channel_for(ADMIN))
    assert "private channel" in said(reply)
    with kettle.db() as session:
        assert (
            session.scalars(select(Community).where(Community.channel_id.is_not(None))).all() == []
        )
    # The form refuses the CoP's own channel as the movement's, and no convenor at all.
    view = open_setup(kettle, ADMIN)
    reply = submit_setup(kettle, ADMIN, view, COP, [])
    errors = reply.json["errors"]
    assert set(errors) == {CommunityIds.SETUP_MOVEMENT, CommunityIds.SETUP_CONVENORS}
    # Apps cannot convene: the person setting up is told, and nothing changes.
    submit_setup(kettle, ADMIN, view, MOVEMENT, [fake.bot_user_id])
    assert "Choose at least one convenor" in str(fake.dm_messages(ADMIN))
    assert convenors_of(kettle, COP) == {ADMIN}
    # A convenor of another CoP is not a convenor of this one.
    submit_setup(kettle, ADMIN, view, MOVEMENT, [CONVENOR])
    fake.add_channel(SECOND_COP + "2", "third-cop", is_private=True, members=[ADMIN, OUTSIDER])
    reply = kettle.command(CONVENOR, "/cop", "setup", channel=SECOND_COP + "2")
    assert "Only a workspace admin or a convenor" in said(reply)


def test_a_second_cop_in_the_same_install(kettle: Kettle) -> None:
    fake = kettle.fake
    fake.set_members(COP, [*fake.members_of(COP), ADMIN])
    submit_setup(kettle, ADMIN, open_setup(kettle, ADMIN), MOVEMENT, [CONVENOR])
    fake.add_channel(SECOND_COP, "carers-cop", is_private=True, members=[ADMIN, OUTSIDER])
    view = open_setup(kettle, ADMIN, channel=SECOND_COP)
    submit_setup(kettle, ADMIN, view, MOVEMENT, [OUTSIDER])
    with kettle.db() as session:
        cops = {c.channel_id: c for c in membership.communities(session)}
        assert set(cops) == {COP, SECOND_COP}
        assert cops[SECOND_COP].name == "Carers cop"
        second = cops[SECOND_COP].id
        roles = {
            m.user_id: m.role
            for m in session.scalars(select(Member).where(Member.community_id == second))
        }
    assert roles == {ADMIN: Role.MEMBER, OUTSIDER: Role.CONVENOR}
    assert convenors_of(kettle, COP) == {CONVENOR}
    assert convenors_of(kettle, SECOND_COP) == {OUTSIDER}
