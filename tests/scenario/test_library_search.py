"""Searching the library through Slack: stems and ranks, highlights, pages behind a "more"
button that is checked like any other, and an index that follows every way a story changes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.builders.ids import KnowledgeIds, MembershipIds, StoryIds
from bot.config import Settings
from bot.models import Community, Consent, Member, Story, StoryKind
from tests.conftest import MEMBER, MEMBER2, OUTSIDER, make_settings
from tests.fakeslack import FakeSlack
from tests.harness import Kettle, state, text_value
from tests.scenario.test_knowledge import add_story
from tests.scenario.test_stories import open_modal, story_values
from tests.scenario.test_takedown import publish, withdraw_from_library


@pytest.fixture
def settings(fake: FakeSlack, db_url: str, tmp_path: Path) -> Settings:
    return make_settings(fake, database_url=db_url, files_dir=tmp_path / "files")


def search(kettle: Kettle, user: str, words: str) -> str:
    return kettle.command(user, "/story", f"search {words}").text


def seen(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def more_button(blocks: list[dict[str, Any]]) -> dict[str, Any] | None:
    for block in blocks:
        for element in block.get("elements") or []:
            if element.get("action_id") == StoryIds.SEARCH_MORE:
                return element
    return None


def results(blocks: list[dict[str, Any]]) -> list[str]:
    """The titles of the stories a page of results shows, in order."""
    shown = []
    for block in blocks:
        if block.get("accessory", {}).get("action_id") == KnowledgeIds.READ:
            shown.append(block["text"]["text"].split("*")[1])
    return shown


def test_words_are_found_by_their_stems_best_first_with_highlights(kettle: Kettle) -> None:
    add_story(kettle, title="Funding bids", body="Bids, and a word on volunteers at the end.")
    add_story(kettle, title="Volunteers who stayed", body="Our volunteers stayed for years.")
    add_story(kettle, title="Tea", body="Just tea.")
    reply = kettle.command(MEMBER, "/story", "search volunteering")
    assert reply.status == 200
    blocks = reply.json["blocks"]
    assert results(blocks) == ["Volunteers who stayed", "Funding bids"]
    assert "*volunteers*" in seen(blocks)  # the matched word, in bold
    assert "2 stories match" in seen(blocks)
    assert more_button(blocks) is None


def test_a_member_pages_through_many_results(kettle: Kettle) -> None:
    for i in range(23):
        add_story(kettle, title=f"Harvest fair {i:02}", body="The harvest fair again.")
    reply = kettle.command(MEMBER, "/story", "search harvest")
    first = reply.json["blocks"]
    assert len(results(first)) == 20 and "23 stories match; 1–20" in seen(first)
    more = more_button(first)
    assert more is not None
    request = kettle.signer.block_actions(
        MEMBER,
        actions=[{"action_id": StoryIds.SEARCH_MORE, "value": more["value"], "type": "button"}],
        response_url=kettle.fake.new_response_url(),
        channel_id="C0GENERAL",
    )
    kettle.send(request)
    page = kettle.fake.responses[-1]
    assert page["replace_original"] is True
    assert len(results(page["blocks"])) == 3 and "21–23" in seen(page["blocks"])
    assert set(results(first)) | set(results(page["blocks"])) == {
        f"Harvest fair {i:02}" for i in range(23)
    }
    assert more_button(page["blocks"]) is None


def test_the_search_form_pages_in_place(kettle: Kettle) -> None:
    for i in range(22):
        add_story(kettle, title=f"Mistake {i:02}", body="A lesson.", kind=StoryKind.MISTAKE)
    add_story(kettle, title="Winning", body="A lesson.", kind=StoryKind.SUCCESS)
    kettle.click(MEMBER, StoryIds.SEARCH_BUTTON)
    form = kettle.fake.last_view()
    assert form is not None
    values = {
        StoryIds.SEARCH_WORDS: text_value("lessons"),
        StoryIds.SEARCH_KIND: {"type": "static_select", "selected_option": {"value": "mistake"}},
    }
    reply = kettle.submit(MEMBER, form, {k: {"value": v} for k, v in values.items()})
    shown = reply.json["view"]["blocks"]
    assert len(results(shown)) == 20 and "Winning" not in seen(shown)
    more = more_button(shown)
    assert more is not None
    kettle.click(MEMBER, StoryIds.SEARCH_MORE, value=more["value"], view={**form, "blocks": shown})
    updated = kettle.fake.view(form["id"])
    assert updated is not None and updated["callback_id"] == StoryIds.SEARCH_MODAL
    assert len(results(updated["blocks"])) == 2 and "Winning" not in seen(updated)


def test_a_more_button_is_checked_like_any_other(kettle: Kettle) -> None:
    add_story(kettle, title="Confidential harvest", body="Only for the CoP.")
    forged = json.dumps({"q": "harvest", "o": 0})
    kettle.click(OUTSIDER, StoryIds.SEARCH_MORE, value=forged)
    said = seen(kettle.fake.responses)
    assert "Confidential harvest" not in said and "ask one of the convenors" in said
    kettle.click(MEMBER, StoryIds.SEARCH_MORE, value="not json")
    assert "out of date" in seen(kettle.fake.responses[-1])
    kettle.click(MEMBER, StoryIds.SEARCH_MORE, value=json.dumps({"q": ["x"], "o": -1}))
    assert "out of date" in seen(kettle.fake.responses[-1])


def test_another_communitys_stories_never_appear_nor_count(kettle: Kettle) -> None:
    add_story(kettle, title="Our harvest", body="Ours.")
    with kettle.db() as session:
        other = Community(slug="elsewhere", name="Elsewhere", settings={})
        session.add(other)
        session.flush()
        olly = Member(community_id=other.id, user_id="UELSE", name="Else")
        session.add(olly)
        session.flush()
        for i in range(3):
            session.add(Story(community_id=other.id, author_id=olly.id, title=f"Their harvest {i}",
                              body="Theirs.", kind=StoryKind.SUCCESS, consent=Consent.COP_ONLY,
                              themes=[]))  # fmt: skip
        other_id = other.id
    # Even a button naming the other community searches only the presser's own.
    reply = kettle.command(MEMBER, "/story", "search harvest")
    assert results(reply.json["blocks"]) == ["Our harvest"]
    assert "1 stories match" in reply.text and "Their harvest" not in reply.text
    forged = json.dumps({"q": "harvest", "o": 0, "community_id": other_id})
    kettle.click(MEMBER, StoryIds.SEARCH_MORE, value=forged)
    assert "Their harvest" not in seen(kettle.fake.responses[-1])


def test_the_index_follows_a_story_told_through_the_form(kettle: Kettle) -> None:
    view = open_modal(kettle)
    kettle.submit(MEMBER, view, story_values(title="Rota", body="Our volunteering rota worked."))
    assert "Rota" in search(kettle, MEMBER2, "volunteers")


def test_withdrawing_from_the_movement_keeps_it_in_the_cops_library(kettle: Kettle) -> None:
    """As the library itself: a story taken back from the movement stays in the CoP."""
    story_id = add_story(
        kettle, title="Quiet win", body="Seedlings.", consent=Consent.MOVEMENT_NAMED
    )
    publish(kettle, story_id)
    withdraw_from_library(kettle, story_id)
    assert "Quiet win" in search(kettle, MEMBER2, "seedling")
    kettle.event({"type": "app_home_opened", "user": MEMBER2, "tab": "home", "channel": "D1"})
    assert "Quiet win" in seen(kettle.fake.home(MEMBER2))


def test_forget_me_keeping_stories_leaves_them_found_without_a_name(kettle: Kettle) -> None:
    add_story(kettle, title="Kept harvest", body="Marrows.")
    kettle.command(MEMBER, "/cop", "forget")
    kettle.click(MEMBER, MembershipIds.FORGET_KEEP_BUTTON, channel="D1")
    found = search(kettle, MEMBER2, "marrow")
    assert "Kept harvest" in found and "Amina" not in found


def test_forget_me_deleting_stories_takes_them_out_of_search(kettle: Kettle) -> None:
    add_story(kettle, title="Gone harvest", body="Marrows.")
    add_story(kettle, author=MEMBER2, title="Staying", body="Beans.")
    kettle.command(MEMBER, "/cop", "forget")
    kettle.click(MEMBER, MembershipIds.FORGET_DELETE_BUTTON, channel="D1")
    with kettle.db() as session:
        assert [s.title for s in session.scalars(select(Story))] == ["Staying"]
    found = search(kettle, MEMBER2, "marrow")
    assert "Gone harvest" not in found and "No stories match" in found
    assert "Staying" in search(kettle, MEMBER2, "beans")


def test_the_search_state_survives_punctuation(kettle: Kettle) -> None:
    add_story(kettle, title="Tea & cake", body='The "tea" (and cake) NEAR the end.')
    blocks = kettle.command(MEMBER, "/story", 'search "tea" NEAR( cake*').json["blocks"]
    assert results(blocks) == ["Tea &amp; cake"]
    reply = kettle.submit(MEMBER, _form(kettle), state(**{StoryIds.SEARCH_WORDS: text_value("*")}))
    assert "No stories match" in seen(reply.json["view"]["blocks"])


def _form(kettle: Kettle) -> dict[str, Any]:
    kettle.click(MEMBER, StoryIds.SEARCH_BUTTON)
    form = kettle.fake.last_view()
    assert form is not None
    return form


def test_the_app_homes_library_pages_through_every_story(kettle: Kettle) -> None:
    for i in range(8):
        add_story(kettle, title=f"Story {i}", body="Told.")
    kettle.event({"type": "app_home_opened", "user": MEMBER, "tab": "home", "channel": "D1"})
    home = kettle.fake.home(MEMBER)
    assert home is not None
    assert results(home["blocks"]) == [f"Story {i}" for i in (7, 6, 5, 4, 3)]  # the newest
    more = more_button(home["blocks"])
    assert more is not None
    kettle.click(MEMBER, StoryIds.SEARCH_MORE, value=more["value"], view={**home, "id": "VHOME"})
    form = kettle.fake.last_view()
    assert form is not None and form["callback_id"] == StoryIds.SEARCH_MODAL
    assert results(form["blocks"]) == ["Story 2", "Story 1", "Story 0"]
    assert "8 stories match; 6–8" in seen(form["blocks"])
    # Someone outside the CoP pressing the same button is refused, and sees no story.
    views = len(kettle.fake.calls_to("views.open"))
    kettle.click(OUTSIDER, StoryIds.SEARCH_MORE, value=more["value"], view={**home, "id": "VX"})
    assert len(kettle.fake.calls_to("views.open")) == views
    assert "Story 2" not in seen(kettle.fake.responses)
