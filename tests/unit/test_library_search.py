"""The library's full-text search on the real database (SQLite FTS5, or PostgreSQL's tsvector):
stemming, ranking, filters, highlights, pages, and an index that keeps in step with the stories."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, delete, text
from sqlalchemy.orm import Session

from bot import migrate
from bot.db import make_engine, make_session_factory, unit_of_work
from bot.models import Community, Consent, Member, Story, StoryKind
from bot.services import stories
from bot.services.stories import search as search_module
from bot.text import MARK_END, MARK_START, highlighted
from tests.unit.test_knowledge import make_cop, story


@pytest.fixture
def cop(db_session: Session) -> tuple[Community, Member, Member]:
    return make_cop(db_session)


def told(
    session: Session, community: Community, author: Member, title: str, body: str, **kw: object
) -> Story:
    row = story(session, community, author, title, Consent.COP_ONLY, **kw)  # type: ignore[arg-type]
    row.body = body
    session.flush()
    return row


def titles(session: Session, community: Community, words: str) -> list[str]:
    found = stories.search_stories(session, community.id, stories.parse_query(words))
    return [s.title for s in found]


def test_this_python_has_fts5() -> None:
    """The machine's SQLite has FTS5 (else the library falls back, see the test below)."""
    options = {row[0] for row in sqlite3.connect(":memory:").execute("PRAGMA compile_options")}
    assert "ENABLE_FTS5" in options


def test_stems_find_other_forms_of_a_word(db_session: Session, cop: tuple) -> None:
    community, amina, _ = cop
    told(db_session, community, amina, "Our rota", "Three volunteers kept the tea going.")
    told(db_session, community, amina, "Funding", "We wrote bids all winter.")
    assert titles(db_session, community, "volunteering") == ["Our rota"]
    assert titles(db_session, community, "volunteer") == ["Our rota"]
    assert titles(db_session, community, "bidding") == ["Funding"]
    assert titles(db_session, community, "volunteering bids") == []  # every word must match


def test_the_most_relevant_story_comes_first(db_session: Session, cop: tuple) -> None:
    community, amina, _ = cop
    told(
        db_session, community, amina, "Newest, in passing", "A word on mentoring, once.", days_ago=1
    )
    told(db_session, community, amina, "Mentoring that worked", "Mentoring, mentoring.", days_ago=9)
    told(db_session, community, amina, "Unrelated", "Nothing of the kind.", days_ago=2)
    assert titles(db_session, community, "mentoring") == [
        "Mentoring that worked",
        "Newest, in passing",
    ]
    # Without words, newest first.
    found = stories.search_stories(
        db_session, community.id, stories.LibraryQuery(kind=StoryKind.LEARNING)
    )
    assert [s.title for s in found] == ["Newest, in passing", "Unrelated", "Mentoring that worked"]


def test_theme_and_kind_filter_the_words(db_session: Session, cop: tuple) -> None:
    community, amina, _ = cop
    told(db_session, community, amina, "Tea A", "Tea helped.", themes=["peer support"])
    told(db_session, community, amina, "Tea B", "Tea helped.", themes=["funding"])
    told(db_session, community, amina, "Tea C", "Tea helped.", kind=StoryKind.MISTAKE)
    assert titles(db_session, community, "tea #peer-support") == ["Tea A"]
    assert titles(db_session, community, "tea #support") == ["Tea A"]  # part of a theme
    assert titles(db_session, community, "#funding") == ["Tea B"]
    query = stories.LibraryQuery(words=["tea"], kind=StoryKind.MISTAKE)
    assert [s.title for s in stories.search_stories(db_session, community.id, query)] == ["Tea C"]


def test_a_theme_with_like_wildcards_matches_only_itself(db_session: Session, cop: tuple) -> None:
    community, amina, _ = cop
    told(db_session, community, amina, "Full", "x", themes=["100% volunteer"])
    told(db_session, community, amina, "Other", "x", themes=["1000 volunteers"])
    assert titles(db_session, community, "#100%") == ["Full"]


def test_highlights_mark_the_matched_words_and_stay_safe(db_session: Session, cop: tuple) -> None:
    community, amina, _ = cop
    told(
        db_session,
        community,
        amina,
        "Rota",
        "Ask <!channel> and @here: the volunteers came *early* & stayed.",
    )
    page = stories.search_library(
        db_session, community.id, stories.parse_query("volunteering"), limit=5
    )
    (hit,) = page.hits
    assert f"{MARK_START}volunteers{MARK_END}" in hit.snippet
    shown = highlighted(hit.snippet)
    assert "*volunteers*" in shown
    assert "<" not in shown and ">" not in shown and "&gt;" in shown  # escaped, cut or whole
    assert "@here" not in shown and "&amp;" in shown
    assert "*early*" not in shown  # the member's own asterisks cannot make bold of our marks
    assert highlighted(f"@{MARK_START}channel{MARK_END}") == "@\u2060*channel*"


@pytest.mark.parametrize(
    "typed", ['"', "'", "AND", "NEAR(", "title:tea", "tea*", "-tea", "(", "^", "%", "\\", "a:*|b"]
)
def test_full_text_syntax_typed_by_a_member_is_only_text(
    db_session: Session, cop: tuple, typed: str
) -> None:
    community, amina, _ = cop
    told(db_session, community, amina, "Tea", "Tea and a near miss, all told.")
    found = titles(db_session, community, typed)
    assert found in ([], ["Tea"])


def test_pages_and_counts_stay_in_the_community(db_session: Session, cop: tuple) -> None:
    community, amina, _ = cop
    other = Community(slug="other", name="Other CoP", settings={})
    db_session.add(other)
    db_session.flush()
    olly = Member(community_id=other.id, user_id="UO", name="Olly")
    db_session.add(olly)
    db_session.flush()
    for i in range(7):
        told(db_session, community, amina, f"Harvest {i}", "The harvest fair.", days_ago=i + 1)
    told(db_session, other, olly, "Their harvest", "The harvest fair, elsewhere.")
    query = stories.parse_query("harvest")
    first = stories.search_library(db_session, community.id, query, limit=3)
    assert first.total == 7 and len(first.hits) == 3 and first.more
    last = stories.search_library(db_session, community.id, query, limit=3, offset=6)
    # Equally relevant, the story told last comes first.
    assert [h.story.title for h in last.hits] == ["Harvest 0"] and not last.more
    seen = {h.story.title for o in (0, 3, 6)
            for h in stories.search_library(db_session, community.id, query, limit=3,
                                            offset=o).hits}  # fmt: skip
    assert seen == {f"Harvest {i}" for i in range(7)}
    past = stories.search_library(db_session, community.id, query, limit=3, offset=30)
    assert past.hits == [] and not past.more
    theirs = stories.search_library(db_session, other.id, query, limit=3)
    assert [h.story.title for h in theirs.hits] == ["Their harvest"] and theirs.total == 1


def test_the_index_keeps_in_step_with_edits_and_deletes(db_session: Session, cop: tuple) -> None:
    community, amina, _ = cop
    row = told(db_session, community, amina, "Allotment", "We grew beans.")
    assert titles(db_session, community, "beans") == ["Allotment"]
    row.body = "We grew marrows."
    row.title = "Garden"
    db_session.flush()
    assert titles(db_session, community, "beans") == []
    assert titles(db_session, community, "allotment") == []
    assert titles(db_session, community, "marrow") == ["Garden"]
    row.themes = ["growing"]  # a change beside the words leaves them found
    db_session.flush()
    assert titles(db_session, community, "marrow #growing") == ["Garden"]
    db_session.delete(row)
    db_session.flush()
    assert titles(db_session, community, "marrow") == []


def test_the_index_follows_a_community_deleted_with_its_stories(db_session: Session) -> None:
    community, amina, _ = make_cop(db_session)
    told(db_session, community, amina, "Gone", "With the whole community.")
    community_id = community.id
    db_session.expunge_all()
    db_session.execute(delete(Community).where(Community.id == community_id))  # the cascade
    dialect = db_session.get_bind().dialect.name
    if dialect == "sqlite":
        left = db_session.execute(
            text("SELECT count(*) FROM story_search WHERE story_search MATCH 'community'")
        ).scalar()
        assert left == 0
    assert stories.search_stories(db_session, community_id, stories.parse_query("whole")) == []


def _sqlite_only(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("a property of SQLite builds")


def test_the_migration_indexes_stories_told_before_it(tmp_path: Path, engine: Engine) -> None:
    _sqlite_only(engine)
    url = f"sqlite:///{tmp_path / 'before.db'}"
    fresh = make_engine(url)
    config = migrate.alembic_config(url)
    with fresh.begin() as conn:
        config.attributes["connection"] = conn
        # The revision just before the index's: the schema the stories were told in.
        before = ScriptDirectory.from_config(config).get_revision("0011s").down_revision
        command.upgrade(config, str(before))
    with unit_of_work(make_session_factory(fresh)) as session:
        community, amina, _ = make_cop(session)
        told(session, community, amina, "Old story", "Told before the index, by volunteers.")
        community_id = community.id
    migrate.upgrade(fresh)
    with unit_of_work(make_session_factory(fresh)) as session:
        found = stories.search_stories(session, community_id, stories.parse_query("volunteering"))
        assert [s.title for s in found] == ["Old story"]
    fresh.dispose()


def test_without_fts5_the_library_still_searches(tmp_path: Path, engine: Engine) -> None:
    """A Python whose SQLite lacks FTS5 gets no index (the migration skips it): search falls
    back to plain matching, says so in the log, and still keeps to the community."""
    _sqlite_only(engine)
    url = f"sqlite:///{tmp_path / 'plain.db'}"
    fresh = make_engine(url)
    migrate.upgrade(fresh)
    with fresh.begin() as conn:  # as the migration leaves a build without FTS5
        for name in ("story_search_insert", "story_search_delete", "story_search_update"):
            conn.execute(text(f"DROP TRIGGER {name}"))
        conn.execute(text("DROP TABLE story_search"))
    with unit_of_work(make_session_factory(fresh)) as session:
        community, amina, _ = make_cop(session)
        told(session, community, amina, "Rota", "Our volunteers, 100% of them.")
        assert search_module.full_text_engine(session) == "plain"
        assert titles(session, community, "volunteers 100") == ["Rota"]
        assert titles(session, community, "nobody") == []
    fresh.dispose()


def test_themes_for_the_browse_menu_most_used_first(db_session: Session, cop: tuple) -> None:
    community, amina, _ = cop
    other = Community(slug="elsewhere", name="Elsewhere", settings={})
    db_session.add(other)
    db_session.flush()
    told(db_session, community, amina, "A", "x", themes=["tea", "funding"])
    told(db_session, community, amina, "B", "x", themes=["tea"])
    told(db_session, community, amina, "C", "x", themes=[])
    told(db_session, other, amina, "D", "x", themes=["secret", "secret2", "tea"])
    assert stories.all_themes(db_session, community.id) == ["tea", "funding"]
