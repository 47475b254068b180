"""The one gate to the movement, and who told a story.

Every path that could carry a story or a tip beyond the CoP (publishing, movement digests, blog
drafts, exports for sharing) asks `may_go_to_movement`, and names the author only where
`author_name(story, Place.MOVEMENT)` gives a name.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from bot.models import CalloutAnswer, Publication, PublicationStatus, Story, Tip
from bot.services import stories
from bot.services.stories import Place


@dataclass(frozen=True)
class LibraryFacts:
    """What the gate and the names read of each story (its call-out answer, its latest
    publication), read for a whole library in two statements rather than two per story."""

    answers: dict[int, CalloutAnswer]
    latest: dict[int, Publication]


def library_facts(session: Session, community_id: int | None = None) -> LibraryFacts:
    answers = select(CalloutAnswer).options(joinedload(CalloutAnswer.callout))
    answers = answers.join(Story, Story.id == CalloutAnswer.story_id)
    publications = select(Publication).join(Story, Story.id == Publication.story_id)
    if community_id is not None:
        answers = answers.where(Story.community_id == community_id)
        publications = publications.where(Story.community_id == community_id)
    latest: dict[int, Publication] = {}
    for publication in session.scalars(publications.order_by(Publication.id)):
        latest[publication.story_id] = publication  # the last one proposed wins
    return LibraryFacts(
        answers={a.story_id: a for a in session.scalars(answers)},
        latest=latest,
    )


def answer_for(
    session: Session, story_id: int, facts: LibraryFacts | None = None
) -> CalloutAnswer | None:
    if facts is not None:
        return facts.answers.get(story_id)
    return session.scalar(select(CalloutAnswer).where(CalloutAnswer.story_id == story_id))


def author_user_id(session: Session, story: Story, facts: LibraryFacts | None = None) -> str | None:
    """The Slack user who told the story: its member author, or whoever answered a call-out."""
    if story.author is not None:
        return story.author.user_id
    answer = answer_for(session, story.id, facts)
    return (answer.responder_user_id or None) if answer else None


def current_publication(
    session: Session, story_id: int, facts: LibraryFacts | None = None
) -> Publication | None:
    if facts is not None:
        return facts.latest.get(story_id)
    return session.scalars(
        select(Publication)
        .where(Publication.story_id == story_id)
        .order_by(Publication.id.desc())
        .limit(1)
    ).first()


def text_fingerprint(story: Story) -> str:
    """The story as its author is shown it before it goes out (words, kind, themes, link, and
    whether it names them), as one SHA-256: any later change needs a fresh approval."""
    shown = [
        story.title,
        story.body,
        story.kind.value,
        list(story.themes or []),
        story.media_url or None,
        stories.author_name_allowed(story, Place.MOVEMENT),
    ]
    data = json.dumps(shown, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def may_go_to_movement(
    session: Session, item: Story | Tip, facts: LibraryFacts | None = None
) -> bool:
    """The one gate to the movement: publishing, movement digests, blog drafts and exports for
    sharing all ask it, for stories (call-out answers included) and tips alike.

    A story goes only with its author's standing approval of its exact text: the latest
    proposal must be approved and the story must still match what they were shown (so a later
    proposal, a "not this time" or a withdrawal is a no until they approve again). A tip goes
    only where the consent it inherited from its story allows; it keeps that consent, narrowed
    but never widened, once the story is gone, and a tip of unknown origin stays in the CoP.
    """
    if isinstance(item, Tip):
        if item.consent is None or not item.consent.may_leave_cop:
            return False
        return item.story is None or stories.may_appear(item.story, Place.MOVEMENT)
    if not stories.may_appear(item, Place.MOVEMENT):
        return False
    latest = current_publication(session, item.id, facts)
    return (
        latest is not None
        and latest.status == PublicationStatus.PUBLISHED
        and latest.text_sha256 == text_fingerprint(item)
    )


def author_name(
    session: Session, story: Story, place: str, facts: LibraryFacts | None = None
) -> str | None:
    """The author's name as it may appear in `place`, or None when it must stay anonymous."""
    if not stories.author_name_allowed(story, place):
        return None
    if story.author is not None:
        return story.author.name
    answer = answer_for(session, story.id, facts)
    return (answer.responder_name or None) if answer else None
