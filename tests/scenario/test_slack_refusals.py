"""Slack refusals a person can mend become a plain sentence to the person who can mend it:
a guest who cannot be added to the CoP channel, a deactivated account, Kettle not in a channel
someone asked it to post in. Never "something went wrong"."""

from __future__ import annotations

from sqlalchemy import select

from bot.builders.ids import KnowledgeIds
from bot.models import Consent, Delivery, DeliveryStatus
from bot.schedules import outbox
from tests.conftest import CONVENOR, COP, MEMBER, OUTSIDER
from tests.fakeslack import FakeSlack
from tests.harness import Kettle
from tests.scenario.test_knowledge import add_story, texts
from tests.scenario.test_membership import application_id, apply, decide, open_review
from tests.scenario.test_stories import open_modal, story_values


def dm_texts(fake: FakeSlack, user: str) -> str:
    return " ".join(texts(m) for m in fake.dm_messages(user))


def test_a_guest_approved_to_the_cop_the_convenors_hear_how_to_add_them(
    kettle: Kettle, fake: FakeSlack
) -> None:
    fake.make_guest(OUTSIDER)
    apply(kettle)
    decide(kettle, open_review(kettle, application_id(kettle)), "approved", "Welcome")
    assert OUTSIDER not in fake.members_of(COP)
    told = [m for m in fake.dm_messages(CONVENOR) if "is a guest in this workspace" in texts(m)]
    assert len(told) == 1
    assert f"<@{OUTSIDER}> is a guest" in told[0]["text"] and f"<#{COP}>" in told[0]["text"]
    assert "multi-channel guest" in told[0]["text"]
    # A Slack retry of the same decision tells nobody twice.
    outbox.retry_waiting()
    assert len([m for m in fake.dm_messages(CONVENOR) if "is a guest" in texts(m)]) == 1


def test_a_single_channel_guest(kettle: Kettle, fake: FakeSlack) -> None:
    fake.make_guest(OUTSIDER, single_channel=True)
    apply(kettle)
    decide(kettle, open_review(kettle, application_id(kettle)), "approved", "Welcome")
    assert "single-channel guest already in another channel" in dm_texts(fake, CONVENOR)


def test_a_deactivated_author_the_proposer_and_the_convenors_are_told(
    kettle: Kettle, fake: FakeSlack
) -> None:
    story_id = add_story(kettle, consent=Consent.MOVEMENT_NAMED)
    fake.deactivate_user(MEMBER)
    kettle.click(CONVENOR, KnowledgeIds.PROPOSE, value=str(story_id))
    # The convenor who pressed Propose reads why, in plain words.
    said = " ".join(str(r.get("text")) for r in fake.responses) + " ".join(
        str(e.get("text")) for e in fake.ephemerals_for(CONVENOR)
    )
    assert "That person's Slack account is deactivated, so Kettle can't reach them." in said
    assert "something went wrong" not in said
    with kettle.db() as session:
        row = session.scalar(select(Delivery).where(Delivery.key.like("publication-preview:%")))
        assert row is not None and row.status == DeliveryStatus.PENDING
        assert row.last_error == "user_disabled"
    # The periodic pass tells the convenors once what cannot reach whom.
    outbox.retry_waiting()
    outbox.retry_waiting()
    told = [m for m in fake.dm_messages(CONVENOR) if "account is deactivated" in texts(m)]
    assert len(told) == 1
    assert f"<@{MEMBER}>'s Slack account is deactivated" in told[0]["text"]
    assert "a request to approve a story for the movement" in told[0]["text"]


def test_kettle_removed_from_the_cop_channel_a_story_for_it_waits_for_the_invite(
    kettle: Kettle, fake: FakeSlack
) -> None:
    fake.set_members(COP, [CONVENOR, MEMBER])  # someone removed Kettle from the CoP's channel
    view = open_modal(kettle, MEMBER)
    kettle.submit(MEMBER, view, story_values(title="Tea after every session", post=True))
    assert [m for m in fake.messages(COP) if "Tea after every session" in texts(m)] == []
    # The author is thanked as ever; the convenors hear exactly how to mend it (to Kettle
    # outside it, a private channel is one Slack cannot find).
    assert "something went wrong" not in dm_texts(fake, MEMBER)
    assert "Thank you" in dm_texts(fake, MEMBER) or "thank" in dm_texts(fake, MEMBER).lower()
    told = [m for m in fake.dm_messages(CONVENOR) if "Slack can't find <#C0COP>" in texts(m)]
    assert len(told) == 1 and f"<@{MEMBER}>'s story for the CoP's channel" in told[0]["text"]
    assert "/invite @Kettle" in told[0]["text"]
    # Kettle is invited back: the story goes out, once.
    fake.set_members(COP, [CONVENOR, MEMBER, "UBOT"])
    kettle.event({"type": "member_joined_channel", "user": "UBOT", "channel": COP})
    kettle.event({"type": "member_joined_channel", "user": "UBOT", "channel": COP})
    outbox.retry_waiting()
    assert len([m for m in fake.messages(COP) if "Tea after every session" in texts(m)]) == 1
