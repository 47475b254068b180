"""Call-outs: the CoP asks the wider movement, and answers come back as stories, with consent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.db import lock
from bot.errors import KettleError, NotAConvenor, NotFound
from bot.models import Callout, CalloutAnswer, CalloutStatus, Member, Story
from bot.services.knowledge.keys import key_id
from bot.services.stories import StoryDraft

QUESTION_MAX = 2000


class CalloutClosed(KettleError):
    user_message = "This call-out has closed; thank you for wanting to answer."


def create_callout(
    session: Session, *, community_id: int, question: str, user_id: str, now: datetime
) -> Callout:
    question = question.strip()
    if not question:
        raise KettleError("Ask a question after the word: `/cop callout What helped you …?`")
    if len(question) > QUESTION_MAX:
        raise KettleError(f"Keep the question under {QUESTION_MAX} characters.")
    callout = Callout(
        community_id=community_id, question=question, created_by=user_id, created_at=now
    )
    session.add(callout)
    session.flush()
    return callout


def get_callout(session: Session, callout_id: int) -> Callout:
    callout = session.get(Callout, callout_id)
    if callout is None:
        raise NotFound("That call-out no longer exists.")
    return callout


def record_callout_post(session: Session, callout: Callout, *, channel: str, ts: str) -> None:
    callout.channel_id = channel
    callout.message_ts = ts
    session.flush()


def note_callout_post(session: Session, key: str, channel: str, ts: str) -> None:
    """The ledger's note that a call-out's post went out (so closing it can update the post)."""
    callout = session.get(Callout, key_id(key))
    if callout is not None:
        record_callout_post(session, callout, channel=channel, ts=ts)


def answer_callout(
    session: Session,
    callout: Callout,
    *,
    responder_user_id: str,
    responder_name: str,
    draft: StoryDraft,
    source_key: str,
    now: datetime,
) -> tuple[Story, bool]:
    """Store an answer as a story of the movement's, once per form submission."""
    if callout.status != CalloutStatus.OPEN:
        raise CalloutClosed()
    existing = session.scalar(select(Story).where(Story.source_key == source_key))
    if existing is not None:
        return existing, False
    member = session.scalar(
        select(Member).where(
            Member.community_id == callout.community_id,
            Member.user_id == responder_user_id,
        )
    )
    themes = list(dict.fromkeys([*draft.themes, "call-out"]))
    story = Story(
        community_id=callout.community_id,
        author_id=member.id if member is not None and member.is_active else None,
        title=draft.title,
        body=draft.body,
        kind=draft.kind,
        consent=draft.consent,
        themes=themes,
        media_url=draft.media_url,
        source_key=source_key,
        created_at=now,
    )
    session.add(story)
    session.flush()
    session.add(
        CalloutAnswer(
            callout_id=callout.id,
            story_id=story.id,
            responder_user_id=responder_user_id,
            responder_name=responder_name[:200],
            created_at=now,
        )
    )
    session.flush()
    return story, True


def answer_count(session: Session, callout_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(CalloutAnswer)
            .where(CalloutAnswer.callout_id == callout_id)
        )
        or 0
    )


def close_callout(
    session: Session,
    callout_id: int,
    *,
    user_id: str,
    is_convenor: bool,
    community_id: int | None = None,
    now: datetime,
) -> Callout:
    """Only a convenor of the call-out's own CoP (`community_id`, where `is_convenor` holds)
    closes it."""
    if not is_convenor:
        raise NotAConvenor()
    callout = get_callout(session, callout_id)
    if community_id is None or callout.community_id != community_id:
        raise NotAConvenor()
    callout = lock(session, callout)
    if callout.status == CalloutStatus.OPEN:
        callout.status = CalloutStatus.CLOSED
        callout.closed_at = now
        session.flush()
    return callout


def open_callouts(session: Session, community_id: int) -> list[Callout]:
    return list(
        session.scalars(
            select(Callout)
            .where(Callout.community_id == community_id, Callout.status == CalloutStatus.OPEN)
            .order_by(Callout.id)
        )
    )
