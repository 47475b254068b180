"""Taking a story back reaches every copy Kettle posted: withdrawing takes it out of the
movement (its publication and every movement digest), forget-me out of everywhere (the CoP's
post and digests, DMs about it, App Homes), whichever path posted it and whatever crashed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, select, update

from bot import runtime
from bot.builders.ids import KnowledgeIds, MembershipIds
from bot.config import Settings
from bot.db import make_session_factory
from bot.delivery import Outcome, PostRateLimiter, Sender
from bot.models import Consent, Delivery, Publication, Story, utcnow
from bot.schedules.outbox import sweep
from bot.server import bootstrap_community
from bot.slack import make_client
from tests.conftest import CONVENOR, COP, MEMBER, MEMBER2, MOVEMENT, OUTSIDER, make_settings, wipe
from tests.fakeslack import FakeSlack
from tests.harness import Kettle
from tests.scenario.test_knowledge import (
    add_story,
    answer_callout,
    button,
    dm_click,
    texts,
)
from tests.scenario.test_stories import open_modal, story_values


@pytest.fixture
def settings(fake: FakeSlack, db_url: str, tmp_path: Path) -> Settings:
    return make_settings(fake, database_url=db_url, files_dir=tmp_path / "files")


def movement(kettle: Kettle) -> str:
    return "".join(texts(m) for m in kettle.fake.messages(MOVEMENT))


def cop(kettle: Kettle) -> str:
    return "".join(texts(m) for m in kettle.fake.messages(COP))


def dms(kettle: Kettle, user: str) -> str:
    return "".join(texts(m) for m in kettle.fake.dm_messages(user))


def publish(kettle: Kettle, story_id: int, author: str = MEMBER) -> dict:
    """Propose, approve; returns Kettle's "Published" message in the author's DM."""
    kettle.click(CONVENOR, KnowledgeIds.PROPOSE, value=str(story_id))
    preview = kettle.fake.dm_messages(author)[-1]
    approve = button(preview, KnowledgeIds.APPROVE)["value"]
    dm_click(kettle, author, KnowledgeIds.APPROVE, approve, preview)
    return next(m for m in kettle.fake.dm_messages(author) if m["ts"] == preview["ts"])


def pick(kettle: Kettle, *story_ids: int) -> None:
    for story_id in story_ids:
        kettle.click(CONVENOR, KnowledgeIds.PICK, value=str(story_id))


def read(kettle: Kettle, user: str, story_id: int) -> dict:
    kettle.click(user, KnowledgeIds.READ, value=str(story_id))
    view = kettle.fake.last_view()
    assert view is not None and view["callback_id"] == KnowledgeIds.STORY_MODAL
    return view


def age_ledger(kettle: Kettle) -> None:
    with kettle.db() as session:
        session.execute(update(Delivery).values(created_at=utcnow() - timedelta(minutes=5)))


# -- withdrawing -------------------------------------------------------------------------------


def test_withdrawing_takes_the_story_out_of_movement_digests_too(kettle: Kettle) -> None:
    rota = add_story(kettle, title="Our rota rescue", consent=Consent.MOVEMENT_NAMED)
    circles = add_story(kettle, author=MEMBER2, title="Welcome circles")
    published = publish(kettle, rota)
    publish(kettle, circles, author=MEMBER2)
    pick(kettle, rota, circles)
    kettle.command(CONVENOR, "/cop", "digest movement")
    posts = kettle.fake.messages(MOVEMENT)  # two publications and the digest
    assert len(posts) == 3 and "Our rota rescue" in texts(posts[-1])

    withdraw = button(published, KnowledgeIds.WITHDRAW)["value"]
    dm_click(kettle, MEMBER, KnowledgeIds.WITHDRAW, withdraw, published)
    posts = kettle.fake.messages(MOVEMENT)
    assert len(posts) == 2  # Rohan's publication, and the digest posted again without it
    assert all("Our rota rescue" not in texts(p) and "Amina" not in texts(p) for p in posts)
    assert "Welcome circles" in texts(posts[-1]) and "Rohan" in texts(posts[-1])


def withdraw_from_library(kettle: Kettle, story_id: int) -> dict:
    # Another member is not offered it, and a forged press changes nothing.
    assert KnowledgeIds.WITHDRAW_STORY not in json.dumps(read(kettle, MEMBER2, story_id))
    before = movement(kettle)
    kettle.click(MEMBER2, KnowledgeIds.WITHDRAW_STORY, value=str(story_id))
    assert movement(kettle) == before

    view = read(kettle, MEMBER, story_id)
    withdraw = button({"blocks": view["blocks"]}, KnowledgeIds.WITHDRAW_STORY)
    kettle.click(MEMBER, KnowledgeIds.WITHDRAW_STORY, value=withdraw["value"], view=view)
    return view


def test_a_story_in_the_movement_can_be_withdrawn_from_the_library(kettle: Kettle) -> None:
    story_id = add_story(kettle, title="Quiet win", consent=Consent.MOVEMENT_ANONYMOUS)
    publish(kettle, story_id)
    pick(kettle, story_id)
    kettle.command(CONVENOR, "/cop", "digest movement")
    assert "Quiet win" in movement(kettle)

    view = withdraw_from_library(kettle, story_id)
    assert kettle.fake.messages(MOVEMENT) == []  # its post, and the digest of it alone
    refreshed = kettle.fake.view(view["id"])
    assert refreshed is not None and KnowledgeIds.WITHDRAW_STORY not in json.dumps(refreshed)

    # Picked afresh, it stays in the CoP until its author approves a new proposal.
    kettle.click(CONVENOR, KnowledgeIds.UNPICK, value=str(story_id))
    pick(kettle, story_id)
    kettle.command(CONVENOR, "/cop", "digest movement")
    assert kettle.fake.messages(MOVEMENT) == []


def test_a_story_that_went_out_in_a_digest_only_can_be_withdrawn(kettle: Kettle) -> None:
    """A digest posted before approvals were required carries a story with no publication."""
    story_id = add_story(kettle, title="Quiet win", consent=Consent.MOVEMENT_ANONYMOUS)
    publish(kettle, story_id)
    pick(kettle, story_id)
    kettle.command(CONVENOR, "/cop", "digest movement")
    publication_post = kettle.fake.messages(MOVEMENT)[0]
    kettle.client.chat_delete(channel=MOVEMENT, ts=publication_post["ts"])
    with kettle.db() as session:
        session.execute(delete(Publication).where(Publication.story_id == story_id))
    assert "Quiet win" in movement(kettle)

    withdraw_from_library(kettle, story_id)
    assert kettle.fake.messages(MOVEMENT) == []
    kettle.click(CONVENOR, KnowledgeIds.UNPICK, value=str(story_id))
    pick(kettle, story_id)
    kettle.command(CONVENOR, "/cop", "digest movement")
    assert kettle.fake.messages(MOVEMENT) == []


# -- forget-me reaches digests -----------------------------------------------------------------


def digests_of_both(kettle: Kettle) -> tuple[int, int]:
    lesson = add_story(kettle, title="Amina's lesson", consent=Consent.MOVEMENT_NAMED)
    circles = add_story(kettle, author=MEMBER2, title="Welcome circles")
    publish(kettle, lesson)
    publish(kettle, circles, author=MEMBER2)
    pick(kettle, lesson, circles)
    kettle.command(CONVENOR, "/cop", "digest movement")
    kettle.command(CONVENOR, "/cop", "digest")
    assert "Amina's lesson" in movement(kettle) and "Amina's lesson" in cop(kettle)
    return lesson, circles


def test_forget_me_takes_their_stories_out_of_every_digest(kettle: Kettle) -> None:
    digests_of_both(kettle)
    kettle.click(MEMBER, MembershipIds.FORGET_DELETE_BUTTON, channel="D1")
    for channel, count in ((MOVEMENT, 2), (COP, 1)):
        posts = kettle.fake.messages(channel)
        # Her publication is gone; each digest is posted again, with the other story only.
        assert len(posts) == count
        assert all("Amina" not in texts(p) for p in posts)
        assert "Welcome circles" in texts(posts[-1])


def test_forget_me_keeping_stories_takes_their_name_off_every_digest(kettle: Kettle) -> None:
    digests_of_both(kettle)
    kettle.click(MEMBER, MembershipIds.FORGET_KEEP_BUTTON, channel="D1")
    # In the CoP the story stays, unnamed; in the movement it named her, so it leaves.
    assert "Amina's lesson" in cop(kettle) and "— Amina" not in cop(kettle)
    assert "Welcome circles" in cop(kettle)
    assert "Amina" not in movement(kettle) and "Welcome circles" in movement(kettle)


# -- forget-me reaches the CoP post, whoever posted it ------------------------------------------


def share_while_slack_is_down(kettle: Kettle) -> None:
    view = open_modal(kettle)
    kettle.fake.fail_next("chat.postMessage", status=429, retry_after=0, times=50)
    kettle.submit(MEMBER, view, story_values(title="Our first peer session", post=True))
    kettle.fake.clear_faults()
    assert kettle.fake.messages(COP) == []
    age_ledger(kettle)


def test_a_story_the_sweeper_posted_comes_down_on_forget_me(kettle: Kettle) -> None:
    share_while_slack_is_down(kettle)
    sweep()
    assert "Our first peer session" in cop(kettle)
    kettle.click(MEMBER, MembershipIds.FORGET_DELETE_BUTTON, channel="D1")
    assert kettle.fake.messages(COP) == []


class LosingSender(Sender):
    """Posts, then 'crashes' before the ledger records the send."""

    def _finish(
        self,
        key: str,
        *,
        ts: str | None,
        error: str | None = None,
        dm: tuple[str, str] | None = None,
    ) -> None:
        if ts is None:
            super()._finish(key, ts=ts, error=error, dm=dm)


def test_a_cop_post_whose_send_was_lost_to_a_crash_still_comes_down(kettle: Kettle) -> None:
    share_while_slack_is_down(kettle)
    rt = runtime.current()
    lost = LosingSender(rt.client, rt.session_factory, limiter=PostRateLimiter(0), worker_id="a")
    runtime.install(runtime.Runtime(rt.settings, rt.engine, rt.session_factory, rt.client, lost))
    try:
        sweep()  # posted, and then Kettle died
    finally:
        runtime.install(rt)
    assert "Our first peer session" in cop(kettle)
    recovering = Sender(
        rt.client, rt.session_factory, limiter=PostRateLimiter(0), claim_lease=timedelta(0)
    )
    runtime.install(
        runtime.Runtime(rt.settings, rt.engine, rt.session_factory, rt.client, recovering)
    )
    try:
        sweep()  # finds the post in the channel instead of posting again
    finally:
        runtime.install(rt)
    assert len(kettle.fake.messages(COP)) == 1
    kettle.click(MEMBER, MembershipIds.FORGET_DELETE_BUTTON, channel="D1")
    assert kettle.fake.messages(COP) == []


def test_a_cop_post_still_waiting_is_never_sent_after_forget_me(kettle: Kettle) -> None:
    share_while_slack_is_down(kettle)
    kettle.click(MEMBER, MembershipIds.FORGET_DELETE_BUTTON, channel="D1")
    assert sweep() == 0
    assert kettle.fake.messages(COP) == []
    with kettle.db() as session:
        assert "Our first peer session" not in json.dumps(
            [row.payload for row in session.scalars(select(Delivery))]
        )


# -- forget-me reaches DMs and App Homes ------------------------------------------------------


def test_forget_me_takes_down_kettles_dms_about_their_story(kettle: Kettle) -> None:
    story_id = add_story(kettle, title="Amina's lesson", consent=Consent.MOVEMENT_NAMED)
    publish(kettle, story_id)
    assert "Amina's lesson" in dms(kettle, MEMBER) and "Amina's lesson" in dms(kettle, CONVENOR)
    kettle.click(MEMBER, MembershipIds.FORGET_DELETE_BUTTON, channel="D1")
    assert "Amina's lesson" not in movement(kettle)
    assert "Amina's lesson" not in dms(kettle, MEMBER)  # the preview
    assert "Amina's lesson" not in dms(kettle, CONVENOR)  # "approved by its author"


def test_forget_me_takes_down_the_convenors_note_of_a_callout_answer(kettle: Kettle) -> None:
    answer_callout(kettle, "What helped your network grow?", "cop_only", "Olly's rota trick")
    assert "Olly's rota trick" in dms(kettle, CONVENOR)
    assert "Olly's rota trick" in dms(kettle, OUTSIDER)
    kettle.click(OUTSIDER, MembershipIds.FORGET_DELETE_BUTTON, channel="D9")
    assert "Olly's rota trick" not in dms(kettle, CONVENOR)
    assert "Olly's rota trick" not in dms(kettle, OUTSIDER)


def test_forget_me_refreshes_everyones_app_home(kettle: Kettle) -> None:
    add_story(kettle, title="Amina's lesson")
    kettle.event({"type": "app_home_opened", "user": MEMBER2, "tab": "home", "channel": "D2"})
    assert "Amina's lesson" in json.dumps(kettle.fake.home(MEMBER2))
    kettle.click(MEMBER, MembershipIds.FORGET_DELETE_BUTTON, channel="D1")
    home = json.dumps(kettle.fake.home(MEMBER2))
    assert "Amina's lesson" not in home and "Amina" not in home


# -- my data shows what forget-me finds --------------------------------------------------------


def test_mydata_of_someone_who_never_joined_shows_their_callout_answers(kettle: Kettle) -> None:
    answer_callout(
        kettle, "What helped your network grow?", "movement_anonymous", "Olly's rota trick"
    )
    reply = kettle.command(OUTSIDER, "/cop", "mydata")
    assert "direct messages" in reply.json["text"]
    upload = kettle.fake.dm_messages(OUTSIDER)[-1]
    data = json.loads(kettle.fake.file_bytes(upload["files"][0]["id"]) or b"{}")
    answers = data["knowledge"]["callout_answers"]
    assert [a["story"] for a in answers] == ["Olly's rota trick"]
    assert answers[0]["question"] == "What helped your network grow?"
    with kettle.db() as session:
        body = session.scalars(select(Story.body)).one()
    assert answers[0]["body"] == body


# -- a publication's post is recorded however Kettle stops --------------------------------------


class DiesAfterPosting(Sender):
    """Kettle stops right after Slack took a publication's post (its ledger row written)."""

    def deliver(self, key: str, channel: str, **kwargs: Any) -> Outcome:
        outcome = super().deliver(key, channel, **kwargs)
        if key.startswith("publication:"):
            raise RuntimeError("the process died here")
        return outcome


@pytest.fixture
def dying_kettle(settings: Settings, fake: FakeSlack, engine: Engine) -> Iterator[Kettle]:
    session_factory = make_session_factory(engine)
    client = make_client(settings.bot_token, settings.api_url, max_retries=3)
    sender = DiesAfterPosting(client, session_factory, limiter=PostRateLimiter(0))
    rt = runtime.Runtime(settings, engine, session_factory, client, sender)
    runtime.install(rt)
    bootstrap_community(rt)
    harness = Kettle(settings, fake, session_factory, client, sender=sender)
    harness.start(engine)
    try:
        yield harness
    finally:
        harness.stop()
        runtime.clear()
        wipe(engine)


def test_a_publication_posted_just_before_kettle_died_can_be_withdrawn(
    dying_kettle: Kettle,
) -> None:
    kettle = dying_kettle
    story_id = add_story(kettle, title="Out in a hurry", consent=Consent.MOVEMENT_NAMED)
    kettle.click(CONVENOR, KnowledgeIds.PROPOSE, value=str(story_id))
    preview = kettle.fake.dm_messages(MEMBER)[-1]
    publication_id = button(preview, KnowledgeIds.APPROVE)["value"]
    dm_click(kettle, MEMBER, KnowledgeIds.APPROVE, publication_id, preview)
    assert "Out in a hurry" in movement(kettle)
    dm_click(kettle, MEMBER, KnowledgeIds.WITHDRAW, publication_id, preview)
    assert kettle.fake.messages(MOVEMENT) == []
