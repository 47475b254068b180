"""Curation: the stories convenors pick, frozen into digests for the CoP or the movement."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from bot.models import Digest, Pick, Story
from bot.services.knowledge.gate import may_go_to_movement

COP = "cop"
MOVEMENT = "movement"


def pick(session: Session, story: Story, *, user_id: str, now: datetime) -> tuple[Pick, bool]:
    existing = session.scalar(select(Pick).where(Pick.story_id == story.id))
    if existing is not None:
        return existing, False
    row = Pick(community_id=story.community_id, story_id=story.id, picked_by=user_id, picked_at=now)
    session.add(row)
    session.flush()
    return row, True


def is_picked(session: Session, story_id: int) -> bool:
    return session.scalar(select(Pick.id).where(Pick.story_id == story_id)) is not None


def unpick(session: Session, story_id: int) -> None:
    row = session.scalar(select(Pick).where(Pick.story_id == story_id))
    if row is not None:
        session.delete(row)
        session.flush()


def basket(session: Session, community_id: int, audience: str) -> list[Story]:
    """Picked stories not yet in a digest for `audience`; the movement's only where allowed."""
    column = Pick.cop_digest_id if audience == COP else Pick.movement_digest_id
    rows = session.scalars(
        select(Pick)
        .options(selectinload(Pick.story).selectinload(Story.author))
        .where(Pick.community_id == community_id, column.is_(None))
        .order_by(Pick.picked_at, Pick.id)
    )
    if audience == COP:
        return [row.story for row in rows]
    return [row.story for row in rows if may_go_to_movement(session, row.story)]


def picked_count(session: Session, community_id: int) -> int:
    """How many stories wait, picked, for the CoP's next digest (the CoP's basket's size)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(Pick)
            .where(Pick.community_id == community_id, Pick.cop_digest_id.is_(None))
        )
        or 0
    )


def create_digest(
    session: Session,
    *,
    community_id: int,
    audience: str,
    key: str,
    created_by: str | None,
    now: datetime,
) -> Digest | None:
    """Freeze the basket into a digest (once per key); None when there is nothing to send."""
    existing = session.scalar(select(Digest).where(Digest.key == key))
    if existing is not None:
        return existing
    chosen = basket(session, community_id, audience)
    if not chosen:
        return None
    digest = Digest(
        community_id=community_id,
        key=key,
        audience=audience,
        story_ids=[s.id for s in chosen],
        created_by=created_by,
        created_at=now,
    )
    session.add(digest)
    session.flush()
    ids = [s.id for s in chosen]
    for row in session.scalars(select(Pick).where(Pick.story_id.in_(ids))):
        if audience == COP:
            row.cop_digest_id = digest.id
        else:
            row.movement_digest_id = digest.id
    session.flush()
    return digest


def digest_stories(session: Session, digest: Digest) -> list[Story]:
    """The digest's stories, consent checked again at the moment of sending."""
    found = session.scalars(
        select(Story)
        .options(selectinload(Story.author))
        .where(Story.id.in_(digest.story_ids or []))
        .order_by(Story.created_at, Story.id)
    )
    if digest.audience == COP:
        return list(found)
    return [s for s in found if may_go_to_movement(session, s)]


def record_digest_post(session: Session, digest: Digest, *, channel: str, ts: str) -> None:
    digest.channel_id = channel
    digest.message_ts = ts
    session.flush()


def unsent_digests(session: Session) -> list[Digest]:
    """Digests still to post; one whose every story was taken out is not tried again."""
    return [
        d for d in session.scalars(select(Digest).where(Digest.message_ts.is_(None))) if d.story_ids
    ]


def digest_taken_down(session: Session, digest: Digest) -> None:
    """Its last story was taken out, so its post was deleted."""
    digest.message_ts = None
    session.flush()


def get_digest(session: Session, digest_id: int) -> Digest | None:
    return session.get(Digest, digest_id)


def digests_with(
    session: Session, community_id: int, story_ids: set[int], audience: str
) -> list[Digest]:
    """The digests for `audience` that carry any of these stories, posted or still to post."""
    if not story_ids:
        return []
    found = session.scalars(
        select(Digest)
        .where(Digest.community_id == community_id, Digest.audience == audience)
        .order_by(Digest.id)
    )
    return [d for d in found if set(d.story_ids or []) & story_ids]


def drop_from(digests: list[Digest], story_ids: set[int]) -> list[int]:
    """Take these stories out of the digests; returns the posted ones that changed, to post
    again without them."""
    changed: list[int] = []
    for digest in digests:
        remaining = [i for i in digest.story_ids or [] if i not in story_ids]
        if len(remaining) != len(digest.story_ids or []):
            digest.story_ids = remaining
            if digest.message_ts:
                changed.append(digest.id)
    return changed
