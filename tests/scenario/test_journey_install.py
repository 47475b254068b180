"""Installed in minutes, and a half-finished install that explains itself: two workspaces install
Kettle by OAuth through its real pages, one of them sets up two CoPs from Slack with `/cop setup`,
nobody invites Kettle to the movement's private channel, a member's approved story waits while
the author and the convenors are told exactly what to do, and once Kettle is invited the story
goes out exactly once with that workspace's own token (across a restart too), while the other
workspace and the other CoP see nothing of it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from bot import waiting
from bot.builders.ids import CommunityIds, KnowledgeIds, StoryIds
from bot.models import Community, Delivery, DeliveryStatus, Publication, PublicationStatus, Story
from bot.schedules import outbox
from tests.conftest import wipe
from tests.fakeslack import FakeSlack
from tests.fakeslack.signing import build_state_values
from tests.harness import Reply
from tests.scenario.test_knowledge import button, texts
from tests.scenario.test_oauth import (
    A,
    B,
    Running,
    oauth_settings,
    posts_by_token,
)
from tests.scenario.test_stories import story_values

ADMIN, AUTHOR, FIRST_CONVENOR, SECOND_CONVENOR = "UJADMIN", "UJAUTH", "UJCONV1", "UJCONV2"
B_CONVENOR, B_MEMBER = "UJBCONV", "UJBMEM"
FIRST_COP, SECOND_COP, MOVEMENT = "CJCOP1", "CJCOP2", "CJMOVE"
B_COP, B_MOVEMENT = "CJBCOP", "CJBMOVE"
KETTLE_IN_A = "UBOT"  # the bot user of workspace A's installation
TITLE = "Peer sessions doubled our volunteers"


@pytest.fixture
def world() -> Iterator[FakeSlack]:
    """Workspace A with two CoP channels and a private movement channel Kettle was never
    invited to; workspace B with a CoP of its own."""
    slack = FakeSlack(bot_token="xoxb-not-given-to-kettle")
    slack.oauth.add_team(B, "Second Works", bot_user_id="UBOTB", bot_id="BBOTB")
    with slack.acting_as(A):
        slack.add_user(ADMIN, "Ada", tz="Europe/London", is_admin=True)
        slack.add_user(AUTHOR, "Amina", tz="America/New_York")
        slack.add_user(FIRST_CONVENOR, "Esther", tz="Europe/London")
        slack.add_user(SECOND_CONVENOR, "Rohan", tz="Asia/Kolkata")
        slack.add_channel(
            FIRST_COP, "carers-cop", is_private=True, members=[ADMIN, AUTHOR, FIRST_CONVENOR]
        )
        slack.add_channel(
            SECOND_COP, "youth-cop", is_private=True, members=[ADMIN, SECOND_CONVENOR]
        )
        slack.add_channel(
            MOVEMENT,
            "movement-leads",
            is_private=True,
            members=[ADMIN, AUTHOR, FIRST_CONVENOR, SECOND_CONVENOR],
            bot_is_member=False,
        )
    with slack.acting_as(B):
        slack.add_user(B_CONVENOR, "Bea", tz="Europe/London", is_admin=True)
        slack.add_user(B_MEMBER, "Bo", tz="Europe/London")
        slack.add_channel(B_COP, "b-cop", is_private=True, members=[B_CONVENOR, B_MEMBER])
        slack.add_channel(B_MOVEMENT, "b-movement", is_private=False, members=[B_CONVENOR])
    with slack:
        yield slack


@pytest.fixture
def start(world: FakeSlack, db_url: str, tmp_path: Path, engine: Engine) -> Iterator[Any]:
    running: list[Running] = []

    def _start() -> Running:
        run = Running(world, oauth_settings(world, db_url, tmp_path), engine)
        running.append(run)
        return run

    yield _start
    for run in running:
        run.stop()
    wipe(engine)


def command(run: Running, team: str, user: str, channel: str, name: str, text: str = "") -> Reply:
    request = run.signers[team].slash_command(
        name,
        text,
        user,
        channel_id=channel,
        trigger_id=run.fake.issue_trigger_id(),
        response_url=run.fake.new_response_url(),
    )
    return run.kettle.send(request)


def opened_view(run: Running, callback_id: str) -> dict[str, Any]:
    view = run.fake.last_view()
    assert view is not None and view["callback_id"] == callback_id, view
    return view


def set_up(run: Running, team: str, channel: str, movement: str, convenors: list[str]) -> None:
    """Someone who may set up runs `/cop setup` in the CoP's channel and submits the form."""
    user = ADMIN if team == A else B_CONVENOR
    reply = command(run, team, user, channel, "/cop", "setup")
    assert reply.status == 200 and not (reply.json or {}).get("text"), reply.text
    view = opened_view(run, CommunityIds.SETUP_MODAL)
    values = build_state_values(
        view, {CommunityIds.SETUP_MOVEMENT: movement, CommunityIds.SETUP_CONVENORS: convenors}
    )
    assert run.kettle.send(run.signers[team].view_submission(user, view, values)).status == 200


def click(run: Running, user: str, action_id: str, value: str, **kw: Any) -> None:
    request = run.signers[A].block_actions(
        user,
        actions=[{"action_id": action_id, "value": value, "type": "button", "block_id": "b"}],
        trigger_id=run.fake.issue_trigger_id(),
        response_url=run.fake.new_response_url(),
        **kw,
    )
    assert run.kettle.send(request).status == 200


def kettle_invited(run: Running) -> Reply:
    """Someone types /invite @Kettle in the movement's channel: Slack adds Kettle to it and
    sends the member_joined_channel event for Kettle's own bot user, from workspace A."""
    with run.fake.acting_as(A):
        members = run.fake.members_of(MOVEMENT)
        if KETTLE_IN_A not in members:
            run.fake.set_members(MOVEMENT, [*members, KETTLE_IN_A])
    signer = run.signers[A]
    return run.kettle.send(
        signer.event(signer.member_joined_channel_event(KETTLE_IN_A, MOVEMENT, inviter=ADMIN))
    )


def story_posts(fake: FakeSlack, channel: str) -> list[dict[str, Any]]:
    return [m for m in fake.messages(channel) if TITLE in texts(m)]


def everything_seen_by(fake: FakeSlack, team: str, people: list[str], channels: list[str]) -> str:
    with fake.acting_as(team):
        seen = [fake.dm_messages(p) for p in people] + [fake.messages(c) for c in channels]
        seen.append([e for e in fake.ephemerals if e["user"] in people])
        seen.append([fake.home(p) for p in people])
    return str(seen)


def test_two_workspaces_two_cops_and_a_story_that_waits_for_kettle_to_be_invited(
    start: Any,
) -> None:
    run: Running = start()
    fake = run.fake
    assert "Kettle is in" in run.install(A, ADMIN).text
    assert "Kettle is in Second Works" in run.install(B, B_CONVENOR).text
    token_a, token_b = fake.oauth.token_of(A), fake.oauth.token_of(B)
    assert token_a and token_b and token_a != token_b

    # Two CoPs set up from Slack in A, each in its own private channel, both for the movement's
    # private channel Kettle is not in; one CoP in B.
    set_up(run, A, FIRST_COP, MOVEMENT, [FIRST_CONVENOR])
    set_up(run, A, SECOND_COP, MOVEMENT, [SECOND_CONVENOR])
    set_up(run, B, B_COP, B_MOVEMENT, [B_CONVENOR])
    with run.kettle.db() as session:
        cops = {
            c.channel_id: (c.team_id, c.movement_channel_id)
            for c in session.scalars(select(Community))
        }
    assert cops == {
        FIRST_COP: (A, MOVEMENT),
        SECOND_COP: (A, MOVEMENT),
        B_COP: (B, B_MOVEMENT),
    }
    # The checklist says how to invite Kettle to a private channel it cannot join itself.
    setup_said = str([e for e in fake.ephemerals if e["user"] == ADMIN])
    assert "/invite @Kettle" in setup_said and f"<#{MOVEMENT}>" in setup_said
    assert not fake.calls_to("conversations.join")

    # A member of the first CoP writes a story for the movement, with their name.
    command(run, A, AUTHOR, FIRST_COP, "/story")
    view = opened_view(run, StoryIds.MODAL)
    values = story_values(title=TITLE, consent="movement_named")
    assert run.kettle.send(run.signers[A].view_submission(AUTHOR, view, values)).status == 200
    with run.kettle.db() as session:
        story_id = session.scalar(select(Story.id).where(Story.title == TITLE))
    assert story_id is not None

    # Its convenor asks for it to go to the movement; the author approves the preview.
    click(run, FIRST_CONVENOR, KnowledgeIds.PROPOSE, str(story_id), channel_id=FIRST_COP)
    with fake.acting_as(A):
        preview = fake.dm_messages(AUTHOR)[-1]
        author_dm = fake.dm_channel_for(AUTHOR)
    click(
        run,
        AUTHOR,
        KnowledgeIds.APPROVE,
        button(preview, KnowledgeIds.APPROVE)["value"],
        message=preview,
        channel_id=author_dm,
    )
    assert run.kettle.executor.errors == []
    assert story_posts(fake, MOVEMENT) == []

    # The author and the convenor are told exactly what to do, naming the channel.
    with fake.acting_as(A):
        author_view = next(m for m in fake.dm_messages(AUTHOR) if m["ts"] == preview["ts"])
        told = [m for m in fake.dm_messages(FIRST_CONVENOR) if f"<#{MOVEMENT}>" in texts(m)]
    # A private channel Kettle is not in is one Slack "can't find" for Kettle.
    assert f"can't find <#{MOVEMENT}> for Kettle" in texts(author_view)
    assert f"anyone in <#{MOVEMENT}> can add Kettle: type `/invite @Kettle`" in texts(author_view)
    assert button(author_view, KnowledgeIds.WITHDRAW)
    assert len(told) == 1
    assert "If it's private, open it and type `/invite @Kettle`" in told[0]["text"]
    assert TITLE in told[0]["text"]
    seen_in_a = everything_seen_by(fake, A, [AUTHOR, FIRST_CONVENOR], [FIRST_COP])
    assert "something went wrong" not in seen_in_a
    with run.kettle.db() as session:
        row = session.scalar(select(Delivery).where(Delivery.key.like("publication:%")))
        assert row is not None and row.status == DeliveryStatus.PENDING
        assert (row.team_id, row.last_error) == (A, "channel_not_found")
    # The periodic retry while nobody has invited Kettle: still waiting, nobody told twice.
    assert outbox.retry_waiting() == 0
    with fake.acting_as(A):
        assert len([m for m in fake.dm_messages(FIRST_CONVENOR) if TITLE in texts(m)]) == 1

    # Kettle restarts between the approval and the invite.
    run.stop()
    run = start()
    fake.reset_calls()
    with fake.lock:
        fake.call_tokens.clear()

    assert kettle_invited(run).status == 200
    posts = story_posts(fake, MOVEMENT)
    assert len(posts) == 1 and "told by Amina" in texts(posts[0])
    movement_posts = [
        t
        for (m, p), (_, t) in zip(fake.calls, fake.call_tokens, strict=True)
        if m == "chat.postMessage" and p.get("channel") == MOVEMENT
    ]
    assert movement_posts == [token_a]
    # Slack sends the event again, and the periodic retry runs: still once.
    assert kettle_invited(run).status == 200
    assert outbox.retry_waiting() == 0
    assert len(story_posts(fake, MOVEMENT)) == 1
    assert run.kettle.executor.errors == []
    assert {t for _, t in posts_by_token(fake)} <= {token_a}
    with run.kettle.db() as session:
        publication = session.scalar(select(Publication))
        assert publication is not None and publication.status == PublicationStatus.PUBLISHED
        assert publication.message_ts == posts[0]["ts"]

    # The other CoP and the other workspace saw nothing of it.
    assert TITLE not in everything_seen_by(fake, A, [SECOND_CONVENOR], [SECOND_COP])
    seen_in_b = everything_seen_by(fake, B, [B_CONVENOR, B_MEMBER], [B_COP, B_MOVEMENT])
    assert TITLE not in seen_in_b and f"<#{MOVEMENT}>" not in seen_in_b
    assert token_b not in {t for _, t in posts_by_token(fake)}


def test_what_a_schedule_left_waiting_is_told_through_its_own_workspace(start: Any) -> None:
    """The ten-minute retry tells the convenors about work a scheduled send left waiting, with
    the token of the workspace the work was for (the process has no token of its own)."""
    run: Running = start()
    fake = run.fake
    run.install(A, ADMIN)
    run.install(B, B_CONVENOR)
    set_up(run, A, FIRST_COP, MOVEMENT, [FIRST_CONVENOR])
    set_up(run, B, B_COP, B_MOVEMENT, [B_CONVENOR])
    with run.kettle.db() as session:
        b_cop = session.scalar(select(Community.id).where(Community.channel_id == B_COP))
    with fake.acting_as(B):
        fake.archive_channel(B_COP)
    # A scheduled send for B's CoP, as the weekly digest's goes, through B's own sender.
    sender_b = run.rt.sender_for(B)
    assert sender_b is not None
    key = f"digest-weekly:{b_cop}:2026-W14"
    blocked = waiting.deliver_or_wait(sender_b, key, B_COP, text="This week's stories")
    assert isinstance(blocked, waiting.Waiting) and blocked.error == "is_archived"
    fake.reset_calls()
    with fake.lock:
        fake.call_tokens.clear()

    assert outbox.retry_waiting() == 0
    with fake.acting_as(B):
        told = [m for m in fake.dm_messages(B_CONVENOR) if f"<#{B_COP}> is archived" in texts(m)]
    assert len(told) == 1 and "the weekly digest" in told[0]["text"]
    assert [t for c, t in posts_by_token(fake) if c == B_CONVENOR] == [fake.oauth.token_of(B)]
    # Told once; nobody in A hears of it; unarchived, it goes out with B's token, once.
    assert outbox.retry_waiting() == 0
    with fake.acting_as(B):
        assert len([m for m in fake.dm_messages(B_CONVENOR) if "archived" in texts(m)]) == 1
        fake.archive_channel(B_COP, archived=False)
    assert "archived" not in everything_seen_by(fake, A, [ADMIN, FIRST_CONVENOR], [FIRST_COP])
    assert outbox.retry_waiting() == 1
    assert outbox.retry_waiting() == 0
    with fake.acting_as(B):
        assert len([m for m in fake.messages(B_COP) if "This week's stories" in texts(m)]) == 1
    assert {t for c, t in posts_by_token(fake) if c == B_COP} == {fake.oauth.token_of(B)}
