"""Knowledge end to end: library, files by DM, consent-gated publishing, curation, health."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.builders.ids import KnowledgeIds, MembershipIds, StoryIds
from bot.config import Settings
from bot.models import (
    Callout,
    CalloutStatus,
    Community,
    Consent,
    Member,
    Pick,
    Publication,
    PublicationStatus,
    Role,
    Story,
    StoryFile,
    StoryKind,
    Tip,
)
from tests.conftest import CONVENOR, COP, MEMBER, MEMBER2, MOVEMENT, OUTSIDER, make_settings
from tests.fakeslack import FakeSlack
from tests.harness import Kettle, Reply
from tests.scenario.test_stories import story_values


@pytest.fixture
def settings(fake: FakeSlack, db_url: str, tmp_path: Path) -> Settings:
    return make_settings(fake, database_url=db_url, files_dir=tmp_path / "files")


def add_story(
    kettle: Kettle,
    *,
    author: str = MEMBER,
    title: str = "Peer sessions doubled our volunteers",
    consent: Consent = Consent.MOVEMENT_NAMED,
    themes: list[str] | None = None,
    kind: StoryKind = StoryKind.SUCCESS,
    body: str = "We asked members what they wanted to learn.",
) -> int:
    with kettle.db() as session:
        member = session.scalar(select(Member).where(Member.user_id == author))
        assert member is not None
        story = Story(
            community_id=member.community_id,
            author_id=member.id,
            title=title,
            body=body,
            kind=kind,
            consent=consent,
            themes=themes or ["volunteers"],
        )
        session.add(story)
        session.flush()
        return story.id


def texts(message: dict) -> str:
    return json.dumps(message.get("blocks") or []) + str(message.get("text") or "")


def count(kettle: Kettle, model: type) -> int:
    with kettle.db() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def dm_click(
    kettle: Kettle, user: str, action_id: str, value: str, message: dict, channel: str = ""
) -> None:
    """Press a button on a message Kettle sent (as Slack sends the container)."""
    channel = channel or kettle.fake.dm_channel_for(user)
    request = kettle.signer.block_actions(
        user,
        actions=[{"action_id": action_id, "value": value}],
        trigger_id=kettle.fake.issue_trigger_id(),
        message=message,
        channel_id=channel,
        response_url=kettle.fake.new_response_url(),
    )
    kettle.send(request)


def button(message: dict, action_id: str) -> dict:
    for block in message.get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("action_id") == action_id:
                return element
    raise AssertionError(f"no {action_id} button")


def propose_and_answer(kettle: Kettle, story_id: int, author: str, answer: str) -> dict:
    """A convenor proposes the story; its author answers the preview. Returns the DM after."""
    kettle.click(CONVENOR, KnowledgeIds.PROPOSE, value=str(story_id))
    preview = kettle.fake.dm_messages(author)[-1]
    dm_click(kettle, author, answer, button(preview, answer)["value"], preview)
    return next(m for m in kettle.fake.dm_messages(author) if m["ts"] == preview["ts"])


# -- the library -------------------------------------------------------------------------------


def test_story_search_finds_by_words_and_theme(kettle: Kettle) -> None:
    add_story(kettle, title="Funding bids that worked", themes=["funding"])
    add_story(kettle, title="Volunteer rota", themes=["volunteers", "peer support"])
    reply = kettle.command(MEMBER, "/story", "search #peer-support")
    assert "Volunteer rota" in reply.text and "Funding bids" not in reply.text
    reply = kettle.command(MEMBER2, "/story", "search bids")
    assert "Funding bids that worked" in reply.text and "Volunteer rota" not in reply.text
    reply = kettle.command(MEMBER, "/story", "search nothing-like-this")
    assert "No stories match" in reply.text


def test_outsider_cannot_search_the_library(kettle: Kettle) -> None:
    add_story(kettle, title="Confidential lesson", consent=Consent.COP_ONLY)
    reply = kettle.command(OUTSIDER, "/story", "search lesson")
    assert "Confidential lesson" not in reply.text and "ask one of the convenors" in reply.text


def test_home_library_read_opens_the_full_story(kettle: Kettle) -> None:
    story_id = add_story(kettle, body="The whole story, told in full.")
    kettle.event({"type": "app_home_opened", "user": MEMBER, "tab": "home", "channel": "D1"})
    home = kettle.fake.home(MEMBER)
    assert home is not None and "Search the library" in str(home["blocks"])
    kettle.click(MEMBER, KnowledgeIds.READ, value=str(story_id))
    view = kettle.fake.last_view()
    assert view is not None and view["callback_id"] == KnowledgeIds.STORY_MODAL
    assert "The whole story, told in full." in str(view["blocks"])
    assert KnowledgeIds.PROPOSE not in str(view["blocks"])  # members don't propose


def test_search_modal_filters_by_kind(kettle: Kettle) -> None:
    add_story(kettle, title="A mistake we made", kind=StoryKind.MISTAKE)
    add_story(kettle, title="A success we had", kind=StoryKind.SUCCESS)
    kettle.click(MEMBER, StoryIds.SEARCH_BUTTON)
    view = kettle.fake.last_view()
    assert view is not None and view["callback_id"] == StoryIds.SEARCH_MODAL
    values = {
        StoryIds.SEARCH_KIND: {
            "value": {"type": "static_select", "selected_option": {"value": "mistake"}}
        }
    }
    reply = kettle.submit(MEMBER, view, values)
    assert reply.json["response_action"] == "update"
    shown = str(reply.json["view"]["blocks"])
    assert "A mistake we made" in shown and "A success we had" not in shown


# -- files sent by DM ---------------------------------------------------------------------------


def file_event(kettle: Kettle, user: str, slack_file: dict, text: str = "") -> dict:
    channel = kettle.fake.dm_channel_for(user)
    return kettle.signer.message_event(
        user, channel, text, subtype="file_share", files=[slack_file], channel_type="im"
    )


def test_a_voice_clip_by_dm_is_kept_and_becomes_a_story(kettle: Kettle, settings: Settings) -> None:
    audio = b"ID3 fake voice clip bytes"
    slack_file = kettle.fake.add_file(MEMBER, "clip.m4a", "audio/mp4", audio, "m4a")
    kettle.event(file_event(kettle, MEMBER, slack_file, "Our first winter market"))
    with kettle.db() as session:
        row = session.scalar(select(StoryFile))
        assert row is not None and row.story_id is None
        sha, file_id = row.sha256, row.id
    kept = settings.files_dir / sha[:2] / sha
    assert kept.read_bytes() == audio  # Kettle's own copy, whatever Slack later deletes
    question = kettle.fake.dm_messages(MEMBER)[-1]
    assert "clip.m4a" in texts(question)

    # Another member cannot attach someone else's file, even with a forged value.
    dm_click(kettle, MEMBER2, StoryIds.FILE_IS_STORY, str(file_id), question)
    assert kettle.fake.last_view() is None

    dm_click(kettle, MEMBER, StoryIds.FILE_IS_STORY, str(file_id), question)
    view = kettle.fake.last_view()
    assert view is not None and view["callback_id"] == StoryIds.MODAL
    assert "clip.m4a" in str(view["blocks"])
    kettle.submit(MEMBER, view, story_values(title="Our first winter market"))
    with kettle.db() as session:
        row = session.get(StoryFile, file_id)
        assert row is not None and row.story_id is not None


def test_outsider_file_dm_is_ignored(kettle: Kettle) -> None:
    slack_file = kettle.fake.add_file(OUTSIDER, "x.mp4", "video/mp4", b"video", "mp4")
    kettle.event(file_event(kettle, OUTSIDER, slack_file))
    assert count(kettle, StoryFile) == 0


def test_not_a_story_lets_the_file_go(kettle: Kettle, settings: Settings) -> None:
    slack_file = kettle.fake.add_file(MEMBER, "notes.pdf", "application/pdf", b"%PDF", "pdf")
    kettle.event(file_event(kettle, MEMBER, slack_file))
    with kettle.db() as session:
        row = session.scalar(select(StoryFile))
        assert row is not None
        file_id, sha = row.id, row.sha256
    question = kettle.fake.dm_messages(MEMBER)[-1]
    dm_click(kettle, MEMBER, StoryIds.FILE_NOT_STORY, str(file_id), question)
    assert count(kettle, StoryFile) == 0
    assert not (settings.files_dir / sha[:2] / sha).exists()


# -- publishing with consent --------------------------------------------------------------------


def test_publish_flow_anonymous_preview_approve_and_withdraw(kettle: Kettle) -> None:
    story_id = add_story(kettle, consent=Consent.MOVEMENT_ANONYMOUS)
    kettle.click(MEMBER, KnowledgeIds.PROPOSE, value=str(story_id))  # a member cannot propose
    assert count(kettle, Publication) == 0

    kettle.click(CONVENOR, KnowledgeIds.PROPOSE, value=str(story_id))
    preview = kettle.fake.dm_messages(MEMBER)[-1]
    assert "without your name" in texts(preview) and "Amina" not in texts(preview)
    assert kettle.fake.messages(MOVEMENT) == []  # nothing public before approval
    approve = button(preview, KnowledgeIds.APPROVE)

    # Someone else pressing the author's button changes nothing.
    dm_click(kettle, MEMBER2, KnowledgeIds.APPROVE, approve["value"], preview)
    dm_click(kettle, CONVENOR, KnowledgeIds.APPROVE, approve["value"], preview)
    assert kettle.fake.messages(MOVEMENT) == []

    dm_click(kettle, MEMBER, KnowledgeIds.APPROVE, approve["value"], preview)
    posts = kettle.fake.messages(MOVEMENT)
    assert len(posts) == 1 and "Peer sessions doubled" in texts(posts[0])
    assert "Amina" not in texts(posts[0]) and "told anonymously" in texts(posts[0])
    # The post is exactly the preview's story blocks.
    assert all(b in preview["blocks"] for b in posts[0]["blocks"])

    dm_click(kettle, MEMBER, KnowledgeIds.APPROVE, approve["value"], preview)  # a double press
    assert len(kettle.fake.messages(MOVEMENT)) == 1

    updated = kettle.fake.dm_messages(MEMBER)
    published = next(m for m in updated if m["ts"] == preview["ts"])
    withdraw = button(published, KnowledgeIds.WITHDRAW)
    dm_click(kettle, MEMBER2, KnowledgeIds.WITHDRAW, withdraw["value"], published)
    assert len(kettle.fake.messages(MOVEMENT)) == 1
    dm_click(kettle, MEMBER, KnowledgeIds.WITHDRAW, withdraw["value"], published)
    assert kettle.fake.messages(MOVEMENT) == []
    with kettle.db() as session:
        publication = session.scalar(select(Publication))
        assert publication is not None and publication.status == PublicationStatus.WITHDRAWN


def test_named_story_is_published_with_the_authors_name(kettle: Kettle) -> None:
    story_id = add_story(kettle, consent=Consent.MOVEMENT_NAMED)
    kettle.click(CONVENOR, KnowledgeIds.PROPOSE, value=str(story_id))
    preview = kettle.fake.dm_messages(MEMBER)[-1]
    assert "with your name" in texts(preview)
    dm_click(
        kettle,
        MEMBER,
        KnowledgeIds.APPROVE,
        button(preview, KnowledgeIds.APPROVE)["value"],
        preview,
    )
    assert "told by Amina" in texts(kettle.fake.messages(MOVEMENT)[0])


def test_declining_keeps_it_in_the_cop(kettle: Kettle) -> None:
    story_id = add_story(kettle)
    kettle.click(CONVENOR, KnowledgeIds.PROPOSE, value=str(story_id))
    preview = kettle.fake.dm_messages(MEMBER)[-1]
    dm_click(
        kettle,
        MEMBER,
        KnowledgeIds.DECLINE,
        button(preview, KnowledgeIds.DECLINE)["value"],
        preview,
    )
    assert kettle.fake.messages(MOVEMENT) == []
    assert any("keep it in the CoP" in m["text"] for m in kettle.fake.dm_messages(CONVENOR))


def test_cop_only_story_can_never_be_proposed_or_published(kettle: Kettle) -> None:
    story_id = add_story(kettle, consent=Consent.COP_ONLY)
    kettle.click(CONVENOR, KnowledgeIds.READ, value=str(story_id))
    view = kettle.fake.last_view()
    assert view is not None and KnowledgeIds.PROPOSE not in str(view["blocks"])
    # A forged proposal payload is refused and asks nobody.
    kettle.click(CONVENOR, KnowledgeIds.PROPOSE, value=str(story_id))
    assert count(kettle, Publication) == 0
    assert not any("May we share" in m["text"] for m in kettle.fake.dm_messages(MEMBER))
    # Even a proposal row that somehow exists cannot be approved into the movement.
    with kettle.db() as session:
        publication = Publication(
            story_id=story_id, proposed_by=CONVENOR, author_user_id=MEMBER, named=False
        )
        session.add(publication)
        session.flush()
        publication_id = publication.id
    message = {"ts": "1700000000.000001", "text": "x"}
    dm_click(kettle, MEMBER, KnowledgeIds.APPROVE, str(publication_id), message)
    assert kettle.fake.messages(MOVEMENT) == []


# -- curation: digests, tips, blog --------------------------------------------------------------


def test_digests_honour_consent(kettle: Kettle) -> None:
    secret = add_story(kettle, title="Confidential wobble", consent=Consent.COP_ONLY)
    anon = add_story(kettle, title="Anonymous win", consent=Consent.MOVEMENT_ANONYMOUS)
    named = add_story(kettle, author=MEMBER2, title="Named win", consent=Consent.MOVEMENT_NAMED)
    unasked = add_story(kettle, title="Never asked", consent=Consent.MOVEMENT_NAMED)
    kettle.click(MEMBER, KnowledgeIds.PICK, value=str(secret))  # members cannot pick
    assert count(kettle, Pick) == 0
    for story_id in (secret, anon, named, unasked):
        kettle.click(CONVENOR, KnowledgeIds.PICK, value=str(story_id))
    assert count(kettle, Pick) == 4

    reply = kettle.command(MEMBER, "/cop", "digest movement")
    assert "Only a convenor" in reply.text and kettle.fake.messages(MOVEMENT) == []
    kettle.command(CONVENOR, "/cop", "digest movement")  # nothing is approved yet
    assert kettle.fake.messages(MOVEMENT) == []

    propose_and_answer(kettle, anon, MEMBER, KnowledgeIds.APPROVE)
    propose_and_answer(kettle, named, MEMBER2, KnowledgeIds.APPROVE)
    kettle.command(CONVENOR, "/cop", "digest movement")
    movement = texts(kettle.fake.messages(MOVEMENT)[-1])
    assert "Stories from" in movement and "Confidential wobble" not in movement
    assert "Never asked" not in movement  # consent allows it, but its author was never asked
    assert "Anonymous win" in movement and "Amina" not in movement
    assert "Named win" in movement and "Rohan" in movement

    kettle.command(CONVENOR, "/cop", "digest")
    cop = texts(kettle.fake.messages(COP)[-1])
    assert "Confidential wobble" in cop and "Amina" in cop
    posts = len(kettle.fake.messages(COP))
    kettle.command(CONVENOR, "/cop", "digest")  # the basket is empty now
    assert len(kettle.fake.messages(COP)) == posts


def test_tips_roundup(kettle: Kettle) -> None:
    reply = kettle.command(MEMBER, "/cop", "tip Ask before you advise")
    assert count(kettle, Tip) == 0 and "Only a convenor" in reply.text
    kettle.command(CONVENOR, "/cop", "tip Ask before you advise <!channel>")
    story_id = add_story(kettle)
    kettle.click(CONVENOR, KnowledgeIds.TIP_BUTTON, value=str(story_id))
    view = kettle.fake.last_view()
    assert view is not None and view["callback_id"] == KnowledgeIds.TIP_MODAL
    values = {
        KnowledgeIds.TIP_TEXT: {"value": {"type": "plain_text_input", "value": "Start small"}}
    }
    kettle.submit(CONVENOR, view, values)
    kettle.command(CONVENOR, "/cop", "tips")
    roundup = texts(kettle.fake.messages(COP)[-1])
    assert "Ask before you advise" in roundup and "Start small" in roundup
    assert "<!channel>" not in roundup


def test_blog_draft_is_uploaded_and_honours_consent(kettle: Kettle) -> None:
    for title, consent, author in (
        ("Confidential wobble", Consent.COP_ONLY, MEMBER),
        ("Anonymous win", Consent.MOVEMENT_ANONYMOUS, MEMBER),
        ("Named win", Consent.MOVEMENT_NAMED, MEMBER2),
        ("Never asked", Consent.MOVEMENT_NAMED, MEMBER),
    ):
        story_id = add_story(kettle, title=title, consent=consent, author=author)
        kettle.click(CONVENOR, KnowledgeIds.PICK, value=str(story_id))
        if title in ("Anonymous win", "Named win"):
            propose_and_answer(kettle, story_id, author, KnowledgeIds.APPROVE)
    reply = kettle.command(MEMBER, "/cop", "blog")
    assert "Only a convenor" in reply.text
    kettle.command(CONVENOR, "/cop", "blog")
    uploads = kettle.fake.calls_to("files.completeUploadExternal")
    assert len(uploads) == 1
    file_id = (
        json.loads(uploads[0]["files"])[0]["id"]
        if isinstance(uploads[0]["files"], str)
        else uploads[0]["files"][0]["id"]
    )
    markdown = (kettle.fake.file_bytes(file_id) or b"").decode()
    assert "Anonymous win" in markdown and "Named win" in markdown and "Rohan" in markdown
    assert "Confidential wobble" not in markdown and "Amina" not in markdown
    assert "Never asked" not in markdown and "2 picked stories stay in the CoP" in str(uploads[0])
    assert kettle.fake.dm_channel_for(CONVENOR) == uploads[0]["channel_id"]


def test_health_report_chart_goes_to_the_convenor(kettle: Kettle) -> None:
    add_story(kettle)
    reply = kettle.command(MEMBER, "/cop", "health")
    assert "Only a convenor" in reply.text
    kettle.command(CONVENOR, "/cop", "health")
    uploads = kettle.fake.calls_to("files.completeUploadExternal")
    assert len(uploads) == 1 and "peripheral" in uploads[0]["initial_comment"]
    files = uploads[0]["files"]
    file_id = (json.loads(files) if isinstance(files, str) else files)[0]["id"]
    assert (kettle.fake.file_bytes(file_id) or b"").startswith(b"\x89PNG")


# -- schedules ---------------------------------------------------------------------------------


def test_weekly_digest_and_monthly_health_are_sent_once(kettle: Kettle) -> None:
    from bot.schedules import knowledge as schedule

    kettle.click(CONVENOR, KnowledgeIds.PICK, value=str(add_story(kettle, title="Weekly pick")))
    friday = datetime(2026, 12, 4, 11, 0, tzinfo=UTC)
    before = len(kettle.fake.messages(COP))
    schedule.tick(friday)
    schedule.tick(friday)
    assert len(kettle.fake.messages(COP)) == before + 1
    assert "Weekly pick" in texts(kettle.fake.messages(COP)[-1])

    first = datetime(2027, 1, 1, 10, 0, tzinfo=UTC)
    schedule.tick(first)
    schedule.tick(first)
    assert len(kettle.fake.calls_to("files.completeUploadExternal")) == 1


# -- call-outs ---------------------------------------------------------------------------------


def answer_values(consent: str = "cop_only", title: str = "What helped us") -> dict:
    values = story_values(title=title, consent=consent)
    values.pop(StoryIds.MEDIA_URL)
    values.pop(StoryIds.POST)
    return values


def answer_callout(kettle: Kettle, question: str, consent: str, title: str) -> Reply:
    """A convenor asks the movement; someone outside the CoP answers through the posted button."""
    kettle.command(CONVENOR, "/cop", f"callout {question}")
    post = kettle.fake.messages(MOVEMENT)[0]
    answer = button(post, KnowledgeIds.ANSWER)["value"]
    dm_click(kettle, OUTSIDER, KnowledgeIds.ANSWER, answer, post, MOVEMENT)
    view = kettle.fake.last_view()
    assert view is not None and view["callback_id"] == KnowledgeIds.ANSWER_MODAL
    return kettle.submit(OUTSIDER, view, answer_values(consent, title))


def test_callout_answers_land_in_the_library_with_consent(kettle: Kettle) -> None:
    reply = kettle.command(MEMBER, "/cop", "callout What helped your network grow?")
    assert "Only a convenor" in reply.text and kettle.fake.messages(MOVEMENT) == []
    kettle.command(CONVENOR, "/cop", "callout What helped your network grow?")
    post = kettle.fake.messages(MOVEMENT)[0]
    answer = button(post, KnowledgeIds.ANSWER)

    dm_click(kettle, OUTSIDER, KnowledgeIds.ANSWER, answer["value"], post, MOVEMENT)
    view = kettle.fake.last_view()
    assert view is not None and view["callback_id"] == KnowledgeIds.ANSWER_MODAL
    kettle.submit(OUTSIDER, view, answer_values("cop_only", "Kept between us"))
    with kettle.db() as session:
        story = session.scalar(select(Story).where(Story.title == "Kept between us"))
        assert story is not None and story.author_id is None and "call-out" in story.themes
        story_id = story.id
    told = kettle.fake.dm_messages(CONVENOR)[-1]
    assert "Kept between us" in texts(told)
    assert any("Thank you for answering" in m["text"] for m in kettle.fake.dm_messages(OUTSIDER))

    # A CoP-only answer can't be proposed, digested to the movement or blogged.
    kettle.click(CONVENOR, KnowledgeIds.PROPOSE, value=str(story_id))
    assert count(kettle, Publication) == 0
    kettle.click(CONVENOR, KnowledgeIds.PICK, value=str(story_id))
    kettle.command(CONVENOR, "/cop", "digest movement")
    assert len(kettle.fake.messages(MOVEMENT)) == 1  # only the call-out itself

    # A shareable answer's responder is asked before it is published.
    dm_click(kettle, OUTSIDER, KnowledgeIds.ANSWER, answer["value"], post, MOVEMENT)
    view = kettle.fake.last_view()
    assert view is not None
    kettle.submit(OUTSIDER, view, answer_values("movement_anonymous", "Share this one"))
    with kettle.db() as session:
        shared = session.scalar(select(Story).where(Story.title == "Share this one"))
        assert shared is not None
        shared_id = shared.id
    kettle.click(CONVENOR, KnowledgeIds.PROPOSE, value=str(shared_id))
    assert "May we share" in kettle.fake.dm_messages(OUTSIDER)[-1]["text"]

    # Closing: members can't; the convenor can; then no more answers.
    kettle.click(MEMBER, KnowledgeIds.CLOSE_CALLOUT, value=answer["value"])
    assert "Answer" in texts(kettle.fake.messages(MOVEMENT)[0])
    kettle.click(CONVENOR, KnowledgeIds.CLOSE_CALLOUT, value=answer["value"])
    assert "has closed" in texts(kettle.fake.messages(MOVEMENT)[0])
    before = count(kettle, Story)
    kettle.submit(OUTSIDER, view, answer_values("movement_named", "Too late"))
    assert count(kettle, Story) == before


# -- a convenor's reach is their own CoP ----------------------------------------------------------

OTHER_CONVENOR = "UCONV2"


def other_cop_convenor(kettle: Kettle) -> str:
    """A convenor of another CoP on the same install, with no part in this one."""
    kettle.fake.add_user(OTHER_CONVENOR, "Bea", tz="Europe/Paris")
    with kettle.db() as session:
        other = Community(slug="other", name="Other CoP", channel_id="C0OTHER", settings={})
        session.add(other)
        session.flush()
        session.add(
            Member(community_id=other.id, user_id=OTHER_CONVENOR, name="Bea", role=Role.CONVENOR)
        )
    return OTHER_CONVENOR


def test_another_cops_convenor_cannot_withdraw_this_cops_story(kettle: Kettle) -> None:
    story_id = add_story(kettle, consent=Consent.MOVEMENT_NAMED)
    published = propose_and_answer(kettle, story_id, MEMBER, KnowledgeIds.APPROVE)
    withdraw = button(published, KnowledgeIds.WITHDRAW)
    stranger = other_cop_convenor(kettle)
    dm_click(kettle, stranger, KnowledgeIds.WITHDRAW, withdraw["value"], published)
    assert len(kettle.fake.messages(MOVEMENT)) == 1
    with kettle.db() as session:
        publication = session.scalar(select(Publication))
        assert publication is not None and publication.status == PublicationStatus.PUBLISHED
    # This CoP's own convenor still may.
    dm_click(kettle, CONVENOR, KnowledgeIds.WITHDRAW, withdraw["value"], published)
    assert kettle.fake.messages(MOVEMENT) == []


def test_another_cops_convenor_cannot_close_this_cops_callout(kettle: Kettle) -> None:
    kettle.command(CONVENOR, "/cop", "callout What helped your network grow?")
    post = kettle.fake.messages(MOVEMENT)[0]
    answer = button(post, KnowledgeIds.ANSWER)
    stranger = other_cop_convenor(kettle)
    kettle.click(stranger, KnowledgeIds.CLOSE_CALLOUT, value=answer["value"])
    assert "Answer" in texts(kettle.fake.messages(MOVEMENT)[0])
    with kettle.db() as session:
        callout = session.scalar(select(Callout))
        assert callout is not None and callout.status == CalloutStatus.OPEN
    kettle.click(CONVENOR, KnowledgeIds.CLOSE_CALLOUT, value=answer["value"])
    assert "has closed" in texts(kettle.fake.messages(MOVEMENT)[0])


def test_forgetting_removes_kept_files_from_disk(kettle: Kettle, settings: Settings) -> None:
    audio = b"ID3 a clip that identifies its speaker"
    slack_file = kettle.fake.add_file(MEMBER, "me.m4a", "audio/mp4", audio, "m4a")
    kettle.event(file_event(kettle, MEMBER, slack_file, "A clip"))
    with kettle.db() as session:
        sha = session.scalars(select(StoryFile)).one().sha256
    kept = settings.files_dir / sha[:2] / sha
    assert kept.exists()
    kettle.click(MEMBER, MembershipIds.FORGET_DELETE_BUTTON, channel="D1")
    assert not kept.exists()
