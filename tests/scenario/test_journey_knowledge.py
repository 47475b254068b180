"""A season of stories, as members and a convenor live it: sharing, searching, publishing,
changing their minds, curating, and being forgotten. Above all, nothing reaches the movement
that its author kept back, and no anonymous author is ever named there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.builders.ids import KnowledgeIds, MembershipIds, StoryIds
from bot.config import Settings
from bot.models import CalloutAnswer, Consent, Story
from bot.services.knowledge import export
from tests.conftest import CONVENOR, COP, MEMBER, MEMBER2, MOVEMENT, OUTSIDER, make_settings
from tests.fakeslack import FakeSlack
from tests.harness import Kettle
from tests.scenario.test_knowledge import add_story, button, dm_click, propose_and_answer, texts
from tests.scenario.test_stories import open_modal, story_values


@pytest.fixture
def settings(fake: FakeSlack, db_url: str, tmp_path: Path) -> Settings:
    return make_settings(fake, database_url=db_url, files_dir=tmp_path / "files")


def blog_markdown(kettle: Kettle) -> str:
    kettle.command(CONVENOR, "/cop", "blog")
    upload = kettle.fake.calls_to("files.completeUploadExternal")[-1]
    files = upload["files"]
    file_id = (json.loads(files) if isinstance(files, str) else files)[0]["id"]
    return (kettle.fake.file_bytes(file_id) or b"").decode()


def sharing_export(kettle: Kettle) -> str:
    with kettle.db() as session:
        return export.render(session, fmt="json", purpose=export.SHARING)


def test_a_story_taken_back_never_reaches_the_movement_another_way(kettle: Kettle) -> None:
    """Amina withdraws a published story; Rohan says "not this time". Neither may then go out
    in a movement digest, a blog draft or an export for sharing."""
    withdrawn = add_story(
        kettle, title="Our rota rescue", consent=Consent.MOVEMENT_NAMED, body="Rota lesson."
    )
    declined = add_story(
        kettle,
        author=MEMBER2,
        title="Funding hiccup",
        consent=Consent.MOVEMENT_ANONYMOUS,
        body="Bid lesson.",
    )
    welcome = add_story(
        kettle, author=MEMBER2, title="Welcome circles", consent=Consent.MOVEMENT_NAMED
    )

    published = propose_and_answer(kettle, withdrawn, MEMBER, KnowledgeIds.APPROVE)
    assert "Our rota rescue" in texts(kettle.fake.messages(MOVEMENT)[0])
    dm_click(
        kettle, MEMBER, KnowledgeIds.WITHDRAW, button(published, KnowledgeIds.WITHDRAW)["value"],
        published,
    )  # fmt: skip
    assert kettle.fake.messages(MOVEMENT) == []
    propose_and_answer(kettle, declined, MEMBER2, KnowledgeIds.DECLINE)
    assert kettle.fake.messages(MOVEMENT) == []
    propose_and_answer(kettle, welcome, MEMBER2, KnowledgeIds.APPROVE)

    for story_id in (withdrawn, declined, welcome):
        kettle.click(CONVENOR, KnowledgeIds.PICK, value=str(story_id))
    kettle.command(CONVENOR, "/cop", "digest movement")
    digest = texts(kettle.fake.messages(MOVEMENT)[-1])
    assert "Stories from" in digest and "Welcome circles" in digest
    movement = "".join(texts(m) for m in kettle.fake.messages(MOVEMENT))
    assert "Our rota rescue" not in movement and "Funding hiccup" not in movement

    markdown = blog_markdown(kettle)
    assert "Welcome circles" in markdown
    assert "Our rota rescue" not in markdown and "Funding hiccup" not in markdown
    shared = sharing_export(kettle)
    assert "Welcome circles" in shared
    assert "Our rota rescue" not in shared and "Funding hiccup" not in shared

    # Inside the CoP the stories are still there for everyone.
    kettle.command(CONVENOR, "/cop", "digest")
    cop = texts(kettle.fake.messages(COP)[-1])
    assert "Our rota rescue" in cop and "Funding hiccup" in cop

    # Proposed again later and approved, a story may go out again.
    propose_and_answer(kettle, declined, MEMBER2, KnowledgeIds.APPROVE)
    post = texts(kettle.fake.messages(MOVEMENT)[-1])
    assert "Funding hiccup" in post and "Rohan" not in post
    assert "Funding hiccup" in sharing_export(kettle)


def test_saying_no_twice_tells_the_convenor_once(kettle: Kettle) -> None:
    story_id = add_story(kettle, title="Quiet win", consent=Consent.MOVEMENT_NAMED)
    kettle.click(CONVENOR, KnowledgeIds.PROPOSE, value=str(story_id))
    preview = kettle.fake.dm_messages(MEMBER)[-1]
    decline = button(preview, KnowledgeIds.DECLINE)["value"]
    before = len(kettle.fake.dm_messages(CONVENOR))
    dm_click(kettle, MEMBER, KnowledgeIds.DECLINE, decline, preview)
    dm_click(kettle, MEMBER, KnowledgeIds.DECLINE, decline, preview)  # a double click
    told = kettle.fake.dm_messages(CONVENOR)[before:]
    assert len(told) == 1 and "keep it in the CoP" in told[0]["text"]


def test_a_no_after_publishing_does_not_pretend_it_was_kept(kettle: Kettle) -> None:
    """An old copy of the preview: the story is already out, so "Not this time" must not say
    it stayed in the CoP (withdrawing is the way to take it back)."""
    story_id = add_story(kettle, title="Out already", consent=Consent.MOVEMENT_NAMED)
    kettle.click(CONVENOR, KnowledgeIds.PROPOSE, value=str(story_id))
    preview = kettle.fake.dm_messages(MEMBER)[-1]
    dm_click(kettle, MEMBER, KnowledgeIds.APPROVE, button(preview, KnowledgeIds.APPROVE)["value"],
             preview)  # fmt: skip
    before = len(kettle.fake.dm_messages(CONVENOR))
    dm_click(kettle, MEMBER, KnowledgeIds.DECLINE, button(preview, KnowledgeIds.DECLINE)["value"],
             preview)  # fmt: skip
    assert len(kettle.fake.messages(MOVEMENT)) == 1
    assert not any(
        "keep it in the CoP" in m["text"] for m in kettle.fake.dm_messages(CONVENOR)[before:]
    )
    current = next(m for m in kettle.fake.dm_messages(MEMBER) if m["ts"] == preview["ts"])
    assert KnowledgeIds.WITHDRAW in texts(current)  # still the way to take it back


def test_forgotten_responders_answer_cannot_be_proposed(kettle: Kettle) -> None:
    kettle.command(CONVENOR, "/cop", "callout What made your network welcoming?")
    post = kettle.fake.messages(MOVEMENT)[0]
    dm_click(kettle, OUTSIDER, KnowledgeIds.ANSWER, button(post, KnowledgeIds.ANSWER)["value"],
             post, MOVEMENT)  # fmt: skip
    view = kettle.fake.last_view()
    assert view is not None
    values = story_values(title="Tea first", consent="movement_named")
    values.pop(StoryIds.MEDIA_URL)
    values.pop(StoryIds.POST)
    kettle.submit(OUTSIDER, view, values)
    kettle.click(OUTSIDER, MembershipIds.FORGET_KEEP_BUTTON, channel="D9")
    with kettle.db() as session:
        story = session.scalar(select(Story).where(Story.title == "Tea first"))
        assert story is not None
        story_id = story.id
    kettle.click(CONVENOR, KnowledgeIds.PROPOSE, value=str(story_id))
    assert len(kettle.fake.messages(MOVEMENT)) == 1  # the call-out alone
    assert "no author to ask" in json.dumps(kettle.fake.responses)
    assert not any(
        "May we share" in (m.get("text") or "") for m in kettle.fake.dm_messages(OUTSIDER)
    )
    with kettle.db() as session:
        story = session.get(Story, story_id)
        assert story is not None and story.author_id is None  # kept, without a name
        answer = session.scalar(select(CalloutAnswer))
        assert answer is not None and answer.responder_user_id == answer.responder_name == ""


def test_forgotten_author_is_taken_out_of_movement_digests(kettle: Kettle) -> None:
    """Amina is forgotten, keeping her stories anonymised: the movement's digest that named her
    comes down, as her own publication does."""
    named = add_story(kettle, title="Named lesson", consent=Consent.MOVEMENT_NAMED)
    propose_and_answer(kettle, named, MEMBER, KnowledgeIds.APPROVE)
    kettle.click(CONVENOR, KnowledgeIds.PICK, value=str(named))
    kettle.command(CONVENOR, "/cop", "digest movement")
    digest = kettle.fake.messages(MOVEMENT)[-1]
    assert "Stories from" in texts(digest) and "Amina" in texts(digest)
    kettle.click(MEMBER, MembershipIds.FORGET_KEEP_BUTTON, channel="D1")
    assert not any("Amina" in texts(m) for m in kettle.fake.messages(MOVEMENT))


def test_sharing_a_story_with_odd_text_from_far_away(kettle: Kettle) -> None:
    """Emoji, non-Latin text and would-be pings survive intact and ping no one."""
    view = open_modal(kettle, MEMBER2, "  Чай и разговоры 🍵  ")
    assert "Чай и разговоры 🍵" in json.dumps(view["blocks"], ensure_ascii=False)
    kettle.submit(
        MEMBER2,
        view,
        story_values(
            title="Чай и разговоры 🍵",
            body="<!channel> we met over tea, @here, and <@UCONV> came — 你好",
            consent="movement_anonymous",
            themes="#Tea, tea ,  Peer Support",
            post=True,
        ),
    )
    cop_post = texts(kettle.fake.messages(COP)[-1])
    assert "<!channel>" not in cop_post and "<@UCONV>" not in cop_post
    reply = kettle.command(MEMBER, "/story", "  SEARCH   #peer-support ")
    assert "Чай и разговоры" in json.dumps(reply.json, ensure_ascii=False)
    with kettle.db() as session:
        story = session.scalar(select(Story).where(Story.title == "Чай и разговоры 🍵"))
        assert story is not None and story.themes == ["tea", "peer support"]
        story_id = story.id
    propose_and_answer(kettle, story_id, MEMBER2, KnowledgeIds.APPROVE)
    movement = texts(kettle.fake.messages(MOVEMENT)[-1])
    assert "Rohan" not in movement and "<!channel>" not in movement
