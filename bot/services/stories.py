"""Members' stories: validated once, stored once, and only ever shown where consent allows."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from bot.errors import InvalidInput, NotFound
from bot.models import Community, Consent, Member, Story, StoryKind

TITLE_MAX = 150
BODY_MAX = 2900  # leaves room for the heading inside one 3,000-character section
THEME_MAX = 40
THEMES_MAX = 10
MEDIA_URL_MAX = 2000

_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


@dataclass(frozen=True)
class StoryDraft:
    title: str
    body: str
    kind: StoryKind
    consent: Consent
    themes: list[str] = field(default_factory=list)
    media_url: str | None = None
    post_to_cop: bool = False


class Place:
    """Where a story could appear; consent decides which of these are allowed."""

    COP = "cop"
    MOVEMENT = "movement"


def parse_themes(text: str | None) -> list[str]:
    seen: dict[str, None] = {}
    for part in re.split(r"[,\n#]", text or ""):
        theme = " ".join(part.split()).lower()
        if theme:
            seen.setdefault(theme, None)
    return list(seen)


def validate_draft(
    *,
    title: str | None,
    body: str | None,
    kind: str | None,
    consent: str | None,
    themes: str | None,
    media_url: str | None,
    post_to_cop: bool,
    field_ids: dict[str, str],
) -> StoryDraft:
    """Check the form; InvalidInput carries one message per field, keyed by the form's block ids."""
    errors: dict[str, str] = {}
    title = (title or "").strip()
    body = (body or "").strip()
    if not title:
        errors[field_ids["title"]] = "Give your story a title."
    elif len(title) > TITLE_MAX:
        errors[field_ids["title"]] = f"Keep the title to {TITLE_MAX} characters ({len(title)} now)."
    if not body:
        errors[field_ids["body"]] = "Tell us what happened."
    elif len(body) > BODY_MAX:
        errors[field_ids["body"]] = (
            f"That's {len(body)} characters; Slack shows up to {BODY_MAX}. "
            "Trim it, or share a link to the longer version."
        )
    try:
        story_kind = StoryKind(kind or "")
    except ValueError:
        errors[field_ids["kind"]] = "Choose what kind of story it is."
        story_kind = StoryKind.LEARNING
    try:
        story_consent = Consent(consent or "")
    except ValueError:
        errors[field_ids["consent"]] = "Choose who may see it."
        story_consent = Consent.COP_ONLY
    theme_list = parse_themes(themes)
    if len(theme_list) > THEMES_MAX:
        errors[field_ids["themes"]] = f"Up to {THEMES_MAX} themes, please."
    elif any(len(t) > THEME_MAX for t in theme_list):
        errors[field_ids["themes"]] = f"Keep each theme under {THEME_MAX} characters."
    url = (media_url or "").strip() or None
    if url is not None:
        if len(url) > MEDIA_URL_MAX:
            errors[field_ids["media_url"]] = "That link is too long."
        elif not _URL.match(url):
            errors[field_ids["media_url"]] = "Use a web link that starts with http:// or https://."
    if errors:
        raise InvalidInput("Please check the form.", errors)
    return StoryDraft(
        title=title,
        body=body,
        kind=story_kind,
        consent=story_consent,
        themes=theme_list,
        media_url=url,
        post_to_cop=post_to_cop,
    )


def create_story(
    session: Session,
    *,
    community: Community,
    author: Member,
    draft: StoryDraft,
    source_key: str,
) -> tuple[Story, bool]:
    """Store a story once per source (a modal submission); a repeat returns the first."""
    existing = session.scalar(select(Story).where(Story.source_key == source_key))
    if existing is not None:
        return existing, False
    story = Story(
        community_id=community.id,
        author_id=author.id,
        title=draft.title,
        body=draft.body,
        kind=draft.kind,
        consent=draft.consent,
        themes=draft.themes,
        media_url=draft.media_url,
        source_key=source_key,
    )
    session.add(story)
    session.flush()
    return story, True


def get_story(session: Session, story_id: int, *, community_id: int) -> Story:
    story = session.get(Story, story_id, options=[selectinload(Story.author)])
    if story is None or story.community_id != community_id:
        raise NotFound("That story isn't in this community's library.")
    return story


def may_appear(story: Story, place: str) -> bool:
    """What the author's consent allows: only the CoP, unless they allowed more.

    Consent is necessary, not enough: a path to the movement asks
    `knowledge.may_go_to_movement`, which also wants the author's approval of the exact text.
    """
    if place == Place.COP:
        return True
    if place == Place.MOVEMENT:
        return story.consent.may_leave_cop
    return False


def author_name_allowed(story: Story, place: str) -> bool:
    return place == Place.COP or story.consent.may_name_author


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


COP_POST = "story-cop"  # ledger key `story-cop:<story id>`: the story's post in the CoP channel
THANKS = "story-thanks"  # ledger key `story-thanks:<story id>`: the thank-you to its author


def cop_post_key(story_id: int) -> str:
    return f"{COP_POST}:{story_id}"


def thanks_key(story_id: int) -> str:
    return f"{THANKS}:{story_id}"


def record_cop_post(session: Session, story: Story, *, channel_id: str, ts: str) -> None:
    story.cop_channel_id = channel_id
    story.cop_message_ts = ts
    session.flush()


def note_cop_post(session: Session, key: str, channel: str, ts: str) -> None:
    """The ledger's note that a story's CoP post went out, whichever path sent it (the request
    that told the story, or the outbox sweeper after a crash or an outage)."""
    _prefix, _, story_id = key.partition(":")
    story = session.get(Story, int(story_id)) if story_id.isdigit() else None
    if story is not None:
        record_cop_post(session, story, channel_id=channel, ts=ts)


# -- the library -------------------------------------------------------------------------------

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


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_stories(
    session: Session, community_id: int, query: LibraryQuery, *, limit: int = SEARCH_LIMIT
) -> list[Story]:
    """Stories in this community's library matching every part of the query, newest first.

    Members may read the whole library of their own CoP; nothing here leaves it.
    """
    stmt = (
        select(Story)
        .options(selectinload(Story.author))
        .where(Story.community_id == community_id)
        .order_by(Story.created_at.desc(), Story.id.desc())
    )
    for word in query.words:
        pattern = _like(word)
        stmt = stmt.where(
            or_(
                Story.title.ilike(pattern, escape="\\"),
                Story.body.ilike(pattern, escape="\\"),
            )
        )
    if query.kind is not None:
        stmt = stmt.where(Story.kind == query.kind)
    if query.author_id is not None:
        stmt = stmt.where(Story.author_id == query.author_id)
    if query.since is not None:
        stmt = stmt.where(Story.created_at >= query.since)
    if query.until is not None:
        stmt = stmt.where(Story.created_at < query.until)
    found: list[Story] = []
    for story in session.scalars(stmt):
        themes = [t.lower() for t in story.themes or []]
        if all(any(wanted in t for t in themes) for wanted in query.themes):
            found.append(story)
            if len(found) >= limit:
                break
    return found


def all_themes(session: Session, community_id: int) -> list[str]:
    """Every theme used in the library, most used first, for the browse menu."""
    counts: dict[str, int] = {}
    for themes in session.scalars(select(Story.themes).where(Story.community_id == community_id)):
        for theme in themes or []:
            counts[theme] = counts.get(theme, 0) + 1
    return sorted(counts, key=lambda t: (-counts[t], t))
