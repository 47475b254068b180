"""What knowledge holds of one person: forget-me and my data both find it here."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.models import Callout, CalloutAnswer, Member, Pick, Publication, Story, StoryFile, Tip


@dataclass
class Holdings:
    """All that knowledge holds of one person in one community. Forget-me and my data both
    find it here, so what one can reach the other shows."""

    told: list[Story]  # as a member, or as a call-out answer (member or not)
    publications: list[Publication]  # of those stories
    answers: list[CalloutAnswer]
    files: list[StoryFile]  # the files they sent Kettle


def holdings(session: Session, community_id: int, user_id: str, member_id: int | None) -> Holdings:
    """Found by Slack id (and, for a member, their member id too); someone who never joined
    has only a Slack id."""
    answers = list(
        session.scalars(
            select(CalloutAnswer)
            .join(Callout, Callout.id == CalloutAnswer.callout_id)
            .options(selectinload(CalloutAnswer.callout))
            .where(Callout.community_id == community_id, CalloutAnswer.responder_user_id == user_id)
            .order_by(CalloutAnswer.id)
        )
    )
    told_ids = {a.story_id for a in answers}
    if member_id is not None:
        told_ids.update(session.scalars(select(Story.id).where(Story.author_id == member_id)))
    told = list(session.scalars(select(Story).where(Story.id.in_(told_ids)).order_by(Story.id)))
    publications = list(
        session.scalars(
            select(Publication)
            .join(Story, Story.id == Publication.story_id)
            .where(
                Story.community_id == community_id,
                (Publication.author_user_id == user_id) | Publication.story_id.in_(told_ids),
            )
            .order_by(Publication.id)
        )
    )
    files = list(
        session.scalars(
            select(StoryFile)
            .where(StoryFile.community_id == community_id, StoryFile.uploader_user_id == user_id)
            .order_by(StoryFile.id)
        )
    )
    return Holdings(told=told, publications=publications, answers=answers, files=files)


def holds_of_non_member(session: Session, community_id: int, user_id: str) -> bool:
    held = holdings(session, community_id, user_id, None)
    return bool(held.told or held.publications or held.answers or held.files)


def member_data(session: Session, member: Member) -> dict[str, object]:
    return _data(session, member.community_id, member.user_id, member.id)


def non_member_data(session: Session, community_id: int, user_id: str) -> dict[str, object]:
    """My data for someone who never joined: exactly what `forget_non_member` would reach."""
    return _data(session, community_id, user_id, None)


def _data(session: Session, cid: int, user_id: str, member_id: int | None) -> dict[str, object]:
    held = holdings(session, cid, user_id, member_id)
    told = {s.id: s for s in held.told}
    titles = {s.id: s.title for s in held.told}
    return {
        "files_sent": [
            {
                "name": f.name,
                "mimetype": f.mimetype,
                "size": f.size,
                "status": f.status.value,
                "message": f.message_text,
                "story": titles.get(f.story_id) if f.story_id else None,
                "created_at": f.created_at.isoformat(),
            }
            for f in held.files
        ],
        "publications_of_your_stories": [
            {
                "story": titles.get(p.story_id, p.story.title),
                "status": p.status.value,
                "named": p.named,
                "proposed_at": p.proposed_at.isoformat(),
            }
            for p in held.publications
        ],
        "callout_answers": [
            {
                "question": a.callout.question,
                "story": titles.get(a.story_id),
                "body": told[a.story_id].body if a.story_id in told else None,
                "consent": told[a.story_id].consent.value if a.story_id in told else None,
                "name_given": a.responder_name,
                "answered_at": a.created_at.isoformat(),
            }
            for a in held.answers
        ],
        "tips_added": list(
            session.scalars(
                select(Tip.text).where(Tip.community_id == cid, Tip.created_by == user_id)
            )
        ),
        "callouts_asked": list(
            session.scalars(
                select(Callout.question).where(
                    Callout.community_id == cid, Callout.created_by == user_id
                )
            )
        ),
        "stories_picked": len(
            session.scalars(
                select(Pick.id).where(Pick.community_id == cid, Pick.picked_by == user_id)
            ).all()
        ),
    }
