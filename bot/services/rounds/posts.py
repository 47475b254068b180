"""Round posts: what of a round is not in Slack yet, and where each post that carries someone's
words or name went, so that forget-me can edit it (or take it down) where it stands."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.models import (
    Member,
    Round,
    RoundCommitment,
    RoundContribution,
    RoundPost,
    RoundPostKind,
    RoundStatus,
)
from bot.services.rounds.method import LIVE, STARTED
from bot.services.rounds.setup import awaiting_ask


def unannounced(session: Session) -> list[Round]:
    """Rounds whose opening, current phase or synthesis has not been posted yet, and proposed
    sets whose presenter has not been asked yet."""
    candidates = session.scalars(
        select(Round).where(
            Round.status.in_(LIVE)
            | (Round.status == RoundStatus.PROPOSED)
            | ((Round.status == RoundStatus.CLOSED) & Round.synthesis_posted.is_(False))
        )
    )
    return [
        r
        for r in candidates
        if awaiting_ask(r)
        or (r.status in STARTED and r.thread_ts is None)
        or (r.status in LIVE and r.announced_phase < r.phase_index)
        or (r.status == RoundStatus.CLOSED and not r.synthesis_posted)
    ]


def record_post(
    session: Session,
    round_id: int,
    kind: RoundPostKind,
    channel_id: str,
    ts: str,
    *,
    ref_id: int | None = None,
    member_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Remember where a post that carries someone's words or name is (once per message)."""
    found = session.scalar(
        select(RoundPost.id).where(RoundPost.channel_id == channel_id, RoundPost.ts == ts)
    )
    if found is not None:
        return
    session.add(
        RoundPost(
            round_id=round_id,
            kind=kind,
            ref_id=ref_id,
            member_id=member_id,
            detail=detail,
            channel_id=channel_id,
            ts=ts,
        )
    )
    session.flush()


def mark_posts(
    session: Session, member: Member, *, rounds: set[int], said: list[int], committed: list[int]
) -> None:
    """Mark every recorded post that carries the member's words or name as stale."""
    whole = (RoundPost.round_id.in_(rounds)) & RoundPost.kind.in_(
        (RoundPostKind.OPENING, RoundPostKind.SYNTHESIS, RoundPostKind.ASK)
    )
    theirs = (
        ((RoundPost.kind == RoundPostKind.CONTRIBUTION) & RoundPost.ref_id.in_(said))
        | ((RoundPost.kind == RoundPostKind.COMMITMENT) & RoundPost.ref_id.in_(committed))
        | (RoundPost.member_id == member.id)
    )
    session.execute(update(RoundPost).where(whole | theirs).values(stale=True))
    session.execute(
        update(RoundPost).where(RoundPost.member_id == member.id).values(member_id=None)
    )


def stale_posts(session: Session) -> list[RoundPost]:
    return list(session.scalars(select(RoundPost).where(RoundPost.stale.is_(True))))


def post_content(session: Session, post: RoundPost) -> RoundContribution | RoundCommitment | None:
    """What a contribution or commitment post shows; None once it has been deleted."""
    if post.kind == RoundPostKind.CONTRIBUTION:
        return session.get(RoundContribution, post.ref_id or 0)
    if post.kind == RoundPostKind.COMMITMENT:
        return session.get(RoundCommitment, post.ref_id or 0)
    return None


def settle_post(session: Session, post_id: int, *, taken_down: bool) -> None:
    """The post now says what it should (or is gone)."""
    post = session.get(RoundPost, post_id)
    if post is None:
        return
    if taken_down:
        session.delete(post)
    else:
        post.stale = False
    session.flush()


def restale(session: Session, kind: RoundPostKind, ref_id: int) -> None:
    """The post showing this contribution or commitment is to be edited (e.g. who joins it)."""
    session.execute(
        update(RoundPost)
        .where(RoundPost.kind == kind, RoundPost.ref_id == ref_id)
        .values(stale=True)
    )


def post_content_of(session: Session, contribution_id: int) -> RoundContribution | None:
    return session.get(RoundContribution, contribution_id)
