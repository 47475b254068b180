"""Capturing a story: the form's fields checked once, the story stored once, and where its
author's consent lets it appear."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from bot import delivery, ledger
from bot.db import insert_once
from bot.errors import InvalidInput
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
    unseen: bool = False,
) -> tuple[Story, bool]:
    """Store a story once per source (a round's harvest, say); a repeat returns the first.
    `unseen`: the caller has just found no story from `source_key`."""
    existing = (
        None if unseen else session.scalar(select(Story).where(Story.source_key == source_key))
    )
    if existing is not None:
        return existing, False
    story = Story(**_story_row(community.id, author.id, draft, source_key))
    session.add(story)
    session.flush()
    return story, True


def _story_row(
    community_id: int, author_id: int, draft: StoryDraft, source_key: str
) -> dict[str, object]:
    return {
        "community_id": community_id,
        "author_id": author_id,
        "title": draft.title,
        "body": draft.body,
        "kind": draft.kind,
        "consent": draft.consent,
        "themes": draft.themes,
        "media_url": draft.media_url,
        "source_key": source_key,
    }


_STORIES = cast(Table, Story.__table__)
_STORED = (_STORIES.c.id, _STORIES.c.created_at, _STORIES.c.updated_at)
# One INSERT that stores a form's story unless one from the same form is stored already.
_STORE_ONCE = insert_once(_STORIES, "source_key", returning=_STORED)


def store_submitted(
    session: Session, *, community_id: int, author_id: int, draft: StoryDraft, source_key: str
) -> Story | None:
    """Store a story submitted in the form, once per form (`source_key`): None when a story
    from it is stored already (Slack's retry of the submission, a double click, two at once).

    The author is the viewer the request was checked against: an active member of
    `community_id`. One INSERT, no read before it and no unit-of-work flush: the form is
    acknowledged only once its story is stored, and every statement before that ack is a wait
    for each request queued behind it. The story comes back as an object outside the session,
    for building its post and thank-you."""
    values = _story_row(community_id, author_id, draft, source_key)
    connection = session.connection()  # the caller's transaction, without the ORM's execution
    row = connection.execute(_STORE_ONCE[connection.dialect.name], values).first()
    if row is None:
        return None
    story_id, created_at, updated_at = row
    return Story(id=story_id, created_at=created_at, updated_at=updated_at, **values)


def store_with_thanks(
    session: Session,
    *,
    community_id: int,
    author_id: int,
    draft: StoryDraft,
    source_key: str,
    thanks_to: str,
    thanks: str,
) -> int | None:
    """Store a story submitted in the form, once per form, as `store_submitted` does, with the
    thank-you to its author (`thanks`, to `thanks_to`) queued with it under `thanks_key`, as
    `delivery.queue` queues it: both or neither. The new story's id; None when the form's
    story is stored already (nothing is queued again).

    On PostgreSQL that is one statement (bot/ledger.queued_with), its own transaction in an
    autocommitted session: one round trip before the ack where there were four (BEGIN, the two
    INSERTs, COMMIT), each a wait for the interpreter on the way back under load. Elsewhere
    the two INSERTs run in the caller's transaction. No object is built for the story: on
    SQLite the file's write turn lasts from the first INSERT to the commit, and every other
    writer waits for it."""
    values = _story_row(community_id, author_id, draft, source_key)
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        stored = connection.execute(_STORE_ONCE[connection.dialect.name], values).first()
        if stored is None:
            return None
        delivery.queue(session, thanks_key(stored[0]), thanks_to, text=thanks)
        return int(stored[0])
    message = delivery.queued_with_params(session, thanks_to, text=thanks)
    now = message["q_created"]
    params = {**values, "created_at": now, "updated_at": now, **message}
    row = connection.execute(_STORE_AND_THANK, params).first()
    return int(row[0]) if row is not None else None


def cop_channel(session: Session, community_id: int) -> str | None:
    """The CoP's own channel, where a story its author allows is posted."""
    return session.scalar(select(Community.channel_id).where(Community.id == community_id))


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


# PostgreSQL: a form's story (once per form, as _STORE_ONCE) and its thank-you, one statement.
_STORY_COLUMNS = tuple(
    _story_row(0, 0, StoryDraft("", "", StoryKind.SUCCESS, Consent.COP_ONLY), "")
)
_STORE_AND_THANK = ledger.queued_with(
    postgresql.insert(_STORIES)
    .values({name: bindparam(name) for name in (*_STORY_COLUMNS, "created_at", "updated_at")})
    .on_conflict_do_nothing(index_elements=["source_key"])
    .returning(*_STORED)
    .cte("stored"),
    f"{THANKS}:",
)
