"""Big data, constant cost: the App Home (a member's and a convenor's), the library, the health
report and the exports run the same number of SQL statements at a tenth of a movement's size as
at its full size (5,000 stories, 1,000 members, 200 meetings), and every view and message stays
within Slack's block limits (the fake Slack refuses one over them, as Slack does).

Statements are counted with SQLAlchemy's `before_cursor_execute` event over the whole request:
the acknowledgement and the work after it. This is a count, not a timing."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from bot.builders.ids import KnowledgeIds, StoryIds
from bot.config import Settings
from bot.models import Community, Story
from bot.services.knowledge.export import render
from tests.conftest import CONVENOR, MEMBER, make_settings
from tests.fakeslack import FakeSlack
from tests.harness import Kettle, state, text_value
from tests.perf.population import FULL, Size, StatementCounter, populate

SMALL = FULL.scaled(0.1)


@pytest.fixture
def settings(fake: FakeSlack, db_url: str, tmp_path: Path) -> Settings:
    return make_settings(fake, database_url=db_url, files_dir=tmp_path / "files")


def grow(kettle: Kettle, size: Size, tag: str) -> None:
    with kettle.db() as session:
        community_id = session.scalars(select(Community.id)).one()
        populate(session, community_id, size, tag=tag)


def home(user: str) -> Callable[[Kettle], Any]:
    def run(kettle: Kettle) -> Any:
        kettle.event({"type": "app_home_opened", "user": user, "tab": "home", "channel": "D1"})
        view = kettle.fake.home(user)
        assert view is not None
        return view

    return run


def search_command(kettle: Kettle) -> Any:
    reply = kettle.command(MEMBER, "/story", "search volunteers #funding")
    assert "stories match" in reply.text
    return reply.json


def search_form(kettle: Kettle) -> Any:
    kettle.click(MEMBER, StoryIds.SEARCH_BUTTON)
    form = kettle.fake.last_view()
    assert form is not None and form["callback_id"] == StoryIds.SEARCH_MODAL
    reply = kettle.submit(MEMBER, form, state(**{StoryIds.SEARCH_WORDS: text_value("tea")}))
    view = reply.json["view"]
    more = next(
        e
        for b in view["blocks"]
        for e in b.get("elements") or []
        if e.get("action_id") == StoryIds.SEARCH_MORE
    )
    kettle.click(MEMBER, StoryIds.SEARCH_MORE, value=more["value"], view={**form, **view})
    return kettle.fake.view(form["id"])


def read_story(kettle: Kettle) -> Any:
    with kettle.db() as session:
        story_id = session.scalars(select(Story.id).order_by(Story.id.desc()).limit(1)).one()
    kettle.click(CONVENOR, KnowledgeIds.READ, value=str(story_id))
    return kettle.fake.last_view()


def health(kettle: Kettle) -> Any:
    kettle.command(CONVENOR, "/cop", "health")
    return kettle.fake.dm_messages(CONVENOR)[-1]


def exports(kettle: Kettle) -> Any:
    with kettle.db() as session:
        for fmt in ("json", "csv", "markdown"):
            for purpose in ("backup", "sharing"):
                assert render(session, fmt=fmt, purpose=purpose)


SURFACES: dict[str, Callable[[Kettle], Any]] = {
    "member's App Home": home(MEMBER),
    "convenor's App Home": home(CONVENOR),
    "/story search": search_command,
    "the search form and its next page": search_form,
    "a story read in full": read_story,
    "/cop health": health,
    "exports": exports,
}


def measure(kettle: Kettle, counter: StatementCounter) -> dict[str, Counter[str]]:
    """Each surface's statements (their SQL, counted), after a first run to warm what is read
    once per process (prompts, whether the full-text index is there)."""
    seen = {}
    for name, surface in SURFACES.items():
        surface(kettle)
        with counter.counting():
            surface(kettle)
        seen[name] = Counter(counter.statements)
    return seen


def grown(small: Counter[str], full: Counter[str]) -> list[str]:
    """The statements run more often at full size: where an N+1 hides."""
    return [f"{small[s]} → {full[s]}: {s[:200]}" for s in full if full[s] != small[s]]


def test_statements_per_request_do_not_grow_with_the_data(kettle: Kettle, engine: Engine) -> None:
    counter = StatementCounter(engine)
    try:
        grow(kettle, SMALL, "a")
        small = measure(kettle, counter)
        grow(kettle, Size(FULL.stories - SMALL.stories, FULL.members - SMALL.members,
                          FULL.meetings - SMALL.meetings), "b")  # fmt: skip
        full = measure(kettle, counter)
    finally:
        counter.close()
    counts = {name: (small[name].total(), full[name].total()) for name in SURFACES}
    print(json.dumps(counts, indent=1))
    growing = {name: grown(small[name], full[name]) for name in SURFACES}
    for name, statements in growing.items():
        print(name, *statements, sep="\n  ")
    assert {name: g for name, g in growing.items() if g} == {}
    # Every section still fits: none was cut to keep the App Home within 100 blocks.
    sections = ["*The group*", "*Stories*", "*Story library*", "*Rounds*", "*Meetings*",
                "*Your weekly check-in*", "*One-to-one pairing*"]  # fmt: skip
    for user, extra in ((MEMBER, []), (CONVENOR, ["*Applications*"])):
        view = kettle.fake.home(user)
        assert view is not None and len(view["blocks"]) <= 100
        assert [s for s in sections + extra if s not in json.dumps(view)] == []
    # Within Slack's limits: the fake refuses a view over 100 blocks or a message over 50.
    assert kettle.fake.calls_to("views.publish") and not kettle.executor.errors
