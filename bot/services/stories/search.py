"""Searching the library by full text: SQLite's FTS5 (porter stemming, bm25) or PostgreSQL's
tsvector ('english' stemming, ts_rank), built and kept in step by migration 0011s.

Two statements answer a page: how many match in all, then the page's stories with their tellers
and a snippet of each body around the words it matched. Words are matched by their stems and as prefixes, so
"volunteering" finds "volunteers" and "fund" finds "funding"; every word must match. Nothing
the member types reaches the full-text syntax: only its letters and digits are searched for.
"""

from __future__ import annotations

import logging
import re
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    Select,
    column,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session, joinedload

from bot.models import Story
from bot.models.stories import SEARCH_INDEX, SEARCH_VECTOR
from bot.text import MARK_END, MARK_START, truncate

if TYPE_CHECKING:
    from bot.services.stories.library import LibraryQuery

log = logging.getLogger(__name__)

SNIPPET_WORDS = 16  # words of the body around the best match
SNIPPET_CHARS = 300  # a snippet without a match: the body's opening
TITLE_WEIGHT = 4.0  # a word in the title counts four times one in the body (bm25)

_TOKEN = re.compile(r"[^\W_]+")
_fts_by_engine: weakref.WeakKeyDictionary[Engine, bool] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class Hit:
    """One story found, and a snippet of its body as stored with each matched word
    between MARK_START and MARK_END (builders escape the text, then make the marks bold)."""

    story: Story
    snippet: str


@dataclass(frozen=True)
class LibraryPage:
    hits: list[Hit]
    total: int  # how many stories match in all (of this community's library alone)
    offset: int
    limit: int

    @property
    def more(self) -> bool:
        return self.offset + len(self.hits) < self.total


def search_terms(words: list[str]) -> list[str]:
    """The letters-and-digits runs of what was typed, lowercased: all the index is asked for."""
    return [t.lower() for word in words for t in _TOKEN.findall(word)]


def full_text_engine(session: Session) -> str:
    """`fts5`, `postgresql`, or `plain` when this SQLite has no full-text index (no FTS5)."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        return "postgresql"
    if bind.dialect.name != "sqlite":
        return "plain"
    engine = bind if isinstance(bind, Engine) else bind.engine
    known = _fts_by_engine.get(engine)
    if known is None:
        found = session.execute(
            text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"),
            {"name": SEARCH_INDEX},
        ).first()
        known = found is not None
        if not known:
            log.warning(
                "The library has no full-text index (this SQLite lacks FTS5, see migration "
                "0011s): searching by plain matching, without stemming or ranking."
            )
        _fts_by_engine[engine] = known
    return "fts5" if known else "plain"


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _has_theme(session: Session, wanted: str) -> ColumnElement[bool]:
    """The story carries a theme containing `wanted` (themes are stored lowercased)."""
    if session.get_bind().dialect.name == "postgresql":
        values = func.json_array_elements_text(Story.themes).table_valued("value")
    else:
        values = func.json_each(Story.themes).table_valued("value")
    return (
        select(literal(1))
        .select_from(values)
        .where(func.lower(values.c.value).like(_like(wanted.lower()), escape="\\"))
        .exists()
    )


def _filters(session: Session, community_id: int, query: LibraryQuery) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [Story.community_id == community_id]
    where += [_has_theme(session, theme) for theme in query.themes]
    if query.kind is not None:
        where.append(Story.kind == query.kind)
    if query.author_id is not None:
        where.append(Story.author_id == query.author_id)
    if query.since is not None:
        where.append(Story.created_at >= query.since)
    if query.until is not None:
        where.append(Story.created_at < query.until)
    return where


Page = tuple[Select[Story, Any], Select[int]]  # one page of results, and the count of all


def _ranked(
    mode: str, terms: list[str], where: list[ColumnElement[bool]], limit: int, offset: int
) -> Page:
    """One page of the stories matching every term, best first (of equals, the last told
    first), each with its marked snippet; and how many match in all."""
    if mode == "fts5":
        return _fts5(terms, where, limit, offset)
    if mode == "postgresql":
        vector: ColumnElement[Any] = literal_column(f"stories.{SEARCH_VECTOR}")
        query = func.to_tsquery("english", " & ".join(f"{term}:*" for term in terms))
        options = (
            f'StartSel="{MARK_START}", StopSel="{MARK_END}", MaxWords={SNIPPET_WORDS}, '
            f'MinWords={SNIPPET_WORDS // 2}, MaxFragments=1, FragmentDelimiter="…"'
        )
        where = [vector.op("@@")(query), *where]
        page = (
            select(
                Story,
                func.ts_headline("english", Story.body, query, options),
            )
            .where(*where)
            .order_by(func.ts_rank(vector, query).desc(), Story.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return page, select(func.count()).select_from(Story).where(*where)
    # No full-text index: every term somewhere in the title or the body, newest first.
    return _newest(
        [
            *where,
            *(
                or_(
                    Story.title.ilike(_like(t), escape="\\"),
                    Story.body.ilike(_like(t), escape="\\"),
                )
                for t in terms
            ),
        ],
        limit,
        offset,
    )


def _fts5(terms: list[str], where: list[ColumnElement[bool]], limit: int, offset: int) -> Page:
    """The FTS5 index drives: its matches are kept to this community's stories (and the
    filters) by id, and the page is chosen by rank alone; only the page's stories then get a
    snippet (SQLite would otherwise make one for every match)."""
    index = table(SEARCH_INDEX, column("rowid"))
    fts: ColumnElement[Any] = literal_column(SEARCH_INDEX)
    match = fts.op("MATCH")(" AND ".join(f'"{term}"*' for term in terms))
    # `+rowid`: tested against the set, not handed to FTS5 (which would look up each id).
    unindexed: ColumnElement[int] = literal_column(f"+{SEARCH_INDEX}.rowid")
    allowed = unindexed.in_(select(Story.id).where(*where))
    order = (func.bm25(fts, TITLE_WEIGHT, 1.0), index.c.rowid.desc())
    chosen = (
        select(index.c.rowid)
        .select_from(index)
        .where(match, allowed)
        .order_by(*order)
        .limit(limit)
        .offset(offset)
    )
    page = (
        select(
            Story,
            func.snippet(fts, 1, MARK_START, MARK_END, "…", SNIPPET_WORDS),
        )
        .select_from(index)
        .join(Story, index.c.rowid == Story.id)
        .where(match, unindexed.in_(chosen.scalar_subquery()))
        .order_by(*order)
    )
    return page, select(func.count()).select_from(index).where(match, allowed)


def _newest(where: list[ColumnElement[bool]], limit: int, offset: int) -> Page:
    page = (
        select(Story, Story.body)
        .where(*where)
        .order_by(Story.created_at.desc(), Story.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return page, select(func.count()).select_from(Story).where(*where)


def search_library(
    session: Session, community_id: int, query: LibraryQuery, *, limit: int, offset: int = 0
) -> LibraryPage:
    """One page of this community's library matching every part of the query: by relevance
    when words were given, newest first otherwise. Only this community's stories are searched,
    and only members of the CoP reach this (the library is theirs, as docs/privacy.md says).
    Two statements, whatever the library's size: how many match in all, and the page."""
    terms = search_terms(query.words)
    offset = max(0, offset)
    if query.words and not terms:  # only punctuation: nothing that could be searched for
        return LibraryPage(hits=[], total=0, offset=offset, limit=limit)
    where = _filters(session, community_id, query)
    if terms:
        page, counted = _ranked(full_text_engine(session), terms, where, limit, offset)
    else:
        page, counted = _newest(where, limit, offset)
    total = int(session.scalar(counted) or 0)
    hits: list[Hit] = []
    if total > offset:
        for story, snippet in session.execute(page.options(joinedload(Story.author))):
            hits.append(Hit(story=story, snippet=_snippet(str(snippet))))
    return LibraryPage(hits=hits, total=total, offset=offset, limit=limit)


def _snippet(raw: str) -> str:
    """One line, of a length a result can show."""
    line = " ".join(raw.split())
    return truncate(line, SNIPPET_CHARS)
