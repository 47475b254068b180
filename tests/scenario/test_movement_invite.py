"""Kettle was never invited to the movement's channel: an author approves publishing their story,
the author and the convenors are told what to do, Kettle is invited, and the story goes out
exactly once, also across a restart in between."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select

from bot import runtime
from bot.builders.ids import KnowledgeIds
from bot.delivery import PostRateLimiter, Sender
from bot.models import Consent, Delivery, DeliveryStatus, Publication, PublicationStatus
from bot.schedules import outbox
from tests.conftest import CONVENOR, MEMBER, MOVEMENT
from tests.fakeslack import FakeSlack
from tests.harness import Kettle
from tests.scenario.test_knowledge import add_story, button, dm_click, texts

BOT = "UBOT"


@pytest.fixture
def uninvited(fake: FakeSlack) -> Iterator[FakeSlack]:
    """The movement's channel as a new install has it: people in it, Kettle not."""
    fake.set_members(MOVEMENT, [CONVENOR, MEMBER])
    yield fake


def approve(kettle: Kettle, story_id: int) -> dict:
    kettle.click(CONVENOR, KnowledgeIds.PROPOSE, value=str(story_id))
    preview = kettle.fake.dm_messages(MEMBER)[-1]
    dm_click(
        kettle,
        MEMBER,
        KnowledgeIds.APPROVE,
        button(preview, KnowledgeIds.APPROVE)["value"],
        preview,
    )
    return preview


def invite_kettle(kettle: Kettle) -> None:
    """Someone types /invite @Kettle in the channel: Slack adds it and sends the event."""
    kettle.fake.set_members(MOVEMENT, [CONVENOR, MEMBER, BOT])
    kettle.event({"type": "member_joined_channel", "user": BOT, "channel": MOVEMENT})


def story_posts(fake: FakeSlack) -> list[dict]:
    return [m for m in fake.messages(MOVEMENT) if "Peer sessions doubled" in texts(m)]


def test_approval_waits_people_are_told_and_it_goes_out_once_after_a_restart(
    kettle: Kettle, uninvited: FakeSlack, engine: Engine
) -> None:
    fake = uninvited
    story_id = add_story(kettle, consent=Consent.MOVEMENT_NAMED)
    preview = approve(kettle, story_id)
    assert kettle.executor.errors == []

    # Nothing went out, and nothing said "something went wrong".
    assert story_posts(fake) == []
    everything = (
        str(fake.dm_messages(MEMBER)) + str(fake.dm_messages(CONVENOR)) + str(fake.responses)
    )
    assert "something went wrong" not in everything
    # The author's preview now says why it waits and how it will go.
    author_view = next(m for m in fake.dm_messages(MEMBER) if m["ts"] == preview["ts"])
    assert "approved and waiting, because Kettle isn't in <#C0MOVE>" in texts(author_view)
    assert "/invite @Kettle" in texts(author_view)
    assert KnowledgeIds.APPROVE not in texts(author_view)
    # The convenor is told exactly how to invite it.
    told = [m for m in fake.dm_messages(CONVENOR) if "isn't in <#C0MOVE>" in texts(m)]
    assert len(told) == 1
    assert f"<@{MEMBER}>'s story *Peer sessions doubled our volunteers*" in told[0]["text"]
    assert "open <#C0MOVE>, type `/invite @Kettle` and send it" in told[0]["text"]
    with kettle.db() as session:
        row = session.scalar(select(Delivery).where(Delivery.key.like("publication:%")))
        assert row is not None and row.status == DeliveryStatus.PENDING
        assert row.last_error == "not_in_channel" and row.payload is not None

    # The periodic retry while Kettle is still not in: still waiting, nobody told twice.
    assert outbox.retry_waiting() == 0
    assert story_posts(fake) == []
    assert len([m for m in fake.dm_messages(CONVENOR) if "isn't in <#C0MOVE>" in texts(m)]) == 1

    # Kettle restarts: a new process, a new sender, the same database.
    kettle.stop()
    sender = Sender(
        kettle.client, kettle.session_factory, limiter=PostRateLimiter(0), worker_id="second"
    )
    runtime.install(
        runtime.Runtime(kettle.settings, engine, kettle.session_factory, kettle.client, sender)
    )
    again = Kettle(kettle.settings, fake, kettle.session_factory, kettle.client, sender=sender)
    again.start(engine)
    try:
        invite_kettle(again)
        posts = story_posts(fake)
        assert len(posts) == 1 and "told by Amina" in texts(posts[0])
        # Slack sends the event again, a second invite, the periodic retry: still once.
        invite_kettle(again)
        assert outbox.retry_waiting() == 0
        assert len(story_posts(fake)) == 1
        assert again.executor.errors == []
        # What follows a post that goes out at once follows this one too.
        author_view = next(m for m in fake.dm_messages(MEMBER) if m["ts"] == preview["ts"])
        assert "Published" in texts(author_view) or "published" in texts(author_view)
        assert button(author_view, KnowledgeIds.WITHDRAW)
        with again.db() as session:
            publication = session.scalar(select(Publication))
            assert publication is not None and publication.status == PublicationStatus.PUBLISHED
            assert publication.channel_id == MOVEMENT and publication.message_ts == posts[0]["ts"]
    finally:
        again.stop()


def test_the_periodic_retry_posts_it_when_the_invite_event_was_missed(
    kettle: Kettle, uninvited: FakeSlack
) -> None:
    story_id = add_story(kettle, consent=Consent.MOVEMENT_ANONYMOUS)
    approve(kettle, story_id)
    assert story_posts(uninvited) == []
    # Kettle was invited while it was down: no event reaches it.
    uninvited.set_members(MOVEMENT, [CONVENOR, MEMBER, BOT])
    assert outbox.retry_waiting() == 1
    assert len(story_posts(uninvited)) == 1
    assert outbox.retry_waiting() == 0
    assert len(story_posts(uninvited)) == 1


def test_a_story_withdrawn_while_it_waits_never_goes_out(
    kettle: Kettle, uninvited: FakeSlack
) -> None:
    story_id = add_story(kettle, consent=Consent.MOVEMENT_NAMED)
    preview = approve(kettle, story_id)
    waiting_view = next(m for m in uninvited.dm_messages(MEMBER) if m["ts"] == preview["ts"])
    withdraw = button(waiting_view, KnowledgeIds.WITHDRAW)
    dm_click(kettle, MEMBER, KnowledgeIds.WITHDRAW, withdraw["value"], waiting_view)
    invite_kettle(kettle)
    assert outbox.retry_waiting() == 0
    assert story_posts(uninvited) == []
    with kettle.db() as session:
        publication = session.scalar(select(Publication))
        assert publication is not None and publication.status == PublicationStatus.WITHDRAWN
        row = session.scalar(select(Delivery).where(Delivery.key.like("publication:%")))
        assert row is not None and row.status == DeliveryStatus.CANCELLED


@pytest.mark.parametrize(
    ("break_it", "mend_it", "words"),
    [
        (
            lambda f: f.archive_channel(MOVEMENT),
            lambda f: f.archive_channel(MOVEMENT, archived=False),
            "<#C0MOVE> is archived",
        ),
        (
            lambda f: f.restrict_posting(MOVEMENT),
            lambda f: f.restrict_posting(MOVEMENT, restricted=False),
            "Only some people may post in <#C0MOVE>",
        ),
        (
            lambda f: f.scopes.discard("chat:write"),
            lambda f: f.scopes.add("chat:write"),
            "missing Slack's permission `chat:write`",
        ),
    ],
    ids=["archived", "posting-restricted", "missing-scope"],
)
def test_other_refusals_a_convenor_can_mend_wait_the_same_way(
    kettle: Kettle, fake: FakeSlack, break_it, mend_it, words: str
) -> None:
    story_id = add_story(kettle, consent=Consent.MOVEMENT_NAMED)
    kettle.click(CONVENOR, KnowledgeIds.PROPOSE, value=str(story_id))
    preview = fake.dm_messages(MEMBER)[-1]
    break_it(fake)
    dm_click(
        kettle,
        MEMBER,
        KnowledgeIds.APPROVE,
        button(preview, KnowledgeIds.APPROVE)["value"],
        preview,
    )
    assert story_posts(fake) == []
    assert kettle.executor.errors == []
    if words.startswith("missing"):
        # Without chat:write Kettle cannot even tell anyone; the doctor line says it.
        mend_it(fake)
        assert outbox.retry_waiting() == 1
    else:
        told = [m for m in fake.dm_messages(CONVENOR) if words in texts(m)]
        assert len(told) == 1, [m["text"] for m in fake.dm_messages(CONVENOR)]
        mend_it(fake)
        assert outbox.retry_waiting() == 1
    assert len(story_posts(fake)) == 1
    assert outbox.retry_waiting() == 0


def test_a_call_out_waits_for_kettle_too(kettle: Kettle, uninvited: FakeSlack) -> None:
    reply = kettle.command(CONVENOR, "/cop", "callout What helped your volunteers stay?")
    assert reply.status == 200
    assert [m for m in uninvited.messages(MOVEMENT) if "volunteers stay" in texts(m)] == []
    told = [m for m in uninvited.dm_messages(CONVENOR) if "isn't in <#C0MOVE>" in texts(m)]
    assert len(told) == 1 and "the call-out" in told[0]["text"]
    invite_kettle(kettle)
    assert len([m for m in uninvited.messages(MOVEMENT) if "volunteers stay" in texts(m)]) == 1
