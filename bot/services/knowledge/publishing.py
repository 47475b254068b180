"""Publishing to the movement: a convenor proposes, the author approves or declines the exact
text, and the post is noted where it went."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, selectinload

from bot.db import lock
from bot.errors import KettleError, NotFound
from bot.models import Publication, PublicationStatus, Story
from bot.services import stories
from bot.services.knowledge.gate import (
    author_user_id,
    current_publication,
    may_go_to_movement,
    text_fingerprint,
)
from bot.services.knowledge.keys import key_id
from bot.services.stories import Place


class NotPublishable(KettleError):
    user_message = "Its author chose to keep this story in the CoP, so it can't go to the movement."


class NotTheAuthor(KettleError):
    user_message = "Only the story's author can decide that."


class StoryChanged(KettleError):
    user_message = (
        "This story has changed since you were shown it, so it can't go out from this preview. "
        "A convenor can propose it again with its new text."
    )


def get_publication(session: Session, publication_id: int) -> Publication:
    publication = session.get(
        Publication, publication_id, options=[selectinload(Publication.story)]
    )
    if publication is None:
        raise NotFound("That proposal no longer exists.")
    return publication


def propose(session: Session, story: Story, *, proposer_user_id: str, now: datetime) -> Publication:
    """A convenor proposes a story for the movement: refused outright if it is CoP-only.

    A proposal or publication of the story as it stands is returned as it is; otherwise (a no,
    a withdrawal, or a story changed since) a new proposal asks the author about this text.
    """
    if not stories.may_appear(story, Place.MOVEMENT):
        raise NotPublishable()
    author = author_user_id(session, story)
    if author is None:
        raise NotPublishable("This story has no author to ask, so it can't be published.")
    fingerprint = text_fingerprint(story)
    current = current_publication(session, story.id)
    if (
        current is not None
        and current.status in (PublicationStatus.PROPOSED, PublicationStatus.PUBLISHED)
        and current.text_sha256 == fingerprint
    ):
        return current
    publication = Publication(
        story_id=story.id,
        proposed_by=proposer_user_id,
        author_user_id=author,
        named=stories.author_name_allowed(story, Place.MOVEMENT),
        text_sha256=fingerprint,
        proposed_at=now,
    )
    session.add(publication)
    session.flush()
    return publication


def approve(session: Session, publication_id: int, *, user_id: str, now: datetime) -> Publication:
    """The author says yes to the text they were shown; the gate is asked again, since this is
    the last step before posting. Answers and withdrawals of one proposal go one at a time (a
    row lock), each seeing the last."""
    publication = lock(session, get_publication(session, publication_id))
    if publication.author_user_id != user_id:
        raise NotTheAuthor()
    story = publication.story
    if not stories.may_appear(story, Place.MOVEMENT):
        raise NotPublishable()
    if publication.status == PublicationStatus.PROPOSED:
        latest = current_publication(session, story.id)
        if (
            latest is None
            or latest.id != publication.id
            or publication.text_sha256 != text_fingerprint(story)
        ):
            raise StoryChanged()
        publication.status = PublicationStatus.PUBLISHED
        publication.decided_at = now
    elif publication.status != PublicationStatus.PUBLISHED:
        raise KettleError("That proposal was already answered.")
    session.flush()
    if not may_go_to_movement(session, story):
        raise StoryChanged()
    return publication


def decline(session: Session, publication_id: int, *, user_id: str, now: datetime) -> Publication:
    publication = lock(session, get_publication(session, publication_id))
    if publication.author_user_id != user_id:
        raise NotTheAuthor()
    if publication.status == PublicationStatus.PROPOSED:
        publication.status = PublicationStatus.DECLINED
        publication.decided_at = now
        session.flush()
    return publication


def record_published(session: Session, publication: Publication, *, channel: str, ts: str) -> bool:
    """Keep where the post is; False if the story was withdrawn while it was being posted, so
    the caller takes the post down again."""
    lock(session, publication)
    if publication.status != PublicationStatus.PUBLISHED:
        return False
    publication.channel_id = channel
    publication.message_ts = ts
    session.flush()
    return True


def note_publication_post(session: Session, key: str, channel: str, ts: str) -> None:
    """The ledger's note that a publication's post went out (in the send's own transaction)."""
    publication = session.get(Publication, key_id(key))
    if publication is not None:
        record_published(session, publication, channel=channel, ts=ts)
