"""The library: a community's stories, searched by words, themes, kind, teller and date (the
full-text search itself is in `search`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session, selectinload

from bot.errors import NotFound
from bot.models import Story, StoryKind
from bot.services.stories.search import search_library


def get_story(session: Session, story_id: int, *, community_id: int) -> Story:
    story = session.get(Story, story_id, options=[selectinload(Story.author)])
    if story is None or story.community_id != community_id:
        raise NotFound("That story isn't in this community's library.")
    return story


def stories_by(session: Session, member_id: int, *, limit: int = 5) -> list[Story]:
    return list(
        session.scalars(
            select(Story)
            .where(Story.author_id == member_id)
            .order_by(Story.created_at.desc(), Story.id.desc())
            .limit(limit)
        )
    )


def recent_stories(session: Session, community_id: int, *, limit: int = 5) -> list[Story]:
    return list(
        session.scalars(
            select(Story)
            .options(selectinload(Story.author))
            .where(Story.community_id == community_id)
            .order_by(Story.created_at.desc(), Story.id.desc())
            .limit(limit)
        )
    )


SEARCH_LIMIT = 20


@dataclass(frozen=True)
class LibraryQuery:
    """What a member is looking for: words in the title or body, themes, kind, author, dates."""

    words: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    kind: StoryKind | None = None
    author_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.words or self.themes or self.kind or self.author_id or self.since)


def parse_query(text: str | None) -> LibraryQuery:
    """`volunteers #funding` → words ["volunteers"], themes ["funding"].

    A theme is one word after `#`; write `#peer-support` for the theme "peer support".
    """
    words: list[str] = []
    themes: list[str] = []
    for part in (text or "").split():
        if part.startswith("#"):
            theme = " ".join(part[1:].replace("-", " ").replace("_", " ").split()).lower()
            if theme:
                themes.append(theme)
        else:
            words.append(part.lower())
    return LibraryQuery(words=words, themes=themes)


def search_stories(
    session: Session, community_id: int, query: LibraryQuery, *, limit: int = SEARCH_LIMIT
) -> list[Story]:
    """Stories in this community's library matching every part of the query, the most
    relevant first (newest first when no words were given); `search_library` gives highlights
    and pages. Members may read the whole library of their own CoP; nothing here leaves it."""
    return [hit.story for hit in search_library(session, community_id, query, limit=limit).hits]


def all_themes(session: Session, community_id: int) -> list[str]:
    """Every theme used in the library, most used first, for the browse menu (counted by the
    database: one row per theme, however many stories)."""
    if session.get_bind().dialect.name == "postgresql":
        themes = func.json_array_elements_text(Story.themes).table_valued("value")
    else:
        themes = func.json_each(Story.themes).table_valued("value")
    used = func.count().label("used")
    rows = session.execute(
        select(themes.c.value, used)
        .select_from(Story)
        .join(themes, true())
        .where(Story.community_id == community_id)
        .group_by(themes.c.value)
        .order_by(used.desc(), themes.c.value)
    )
    return [str(theme) for theme, _used in rows if theme]
