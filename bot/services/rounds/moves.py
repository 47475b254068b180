"""A set member who leaves the CoP (removed, leaves by themselves, or asks to be forgotten)
leaves every set they are in. Slack cannot take anyone out of a group DM, so a set they were in
goes on in a new group DM of those who remain: the old one is noted, to be told once that the
set has moved, and nothing more is posted there."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import LearningSet, Member, OfferStatus, SetOffer
from bot.services import membership
from bot.services.rounds.sets import SMALLEST


def leave_sets(session: Session, member: Member) -> list[int]:
    """They are no longer in any set of their CoP, nor its adviser; an offer to present that no
    meeting has taken up lapses, its words with it (nobody is left to bring it). A set with
    meetings to come leaves its group DM. Returns the ids of the sets they left."""
    left = []
    for set_ in session.scalars(
        select(LearningSet)
        .where(LearningSet.community_id == member.community_id)
        .order_by(LearningSet.id)
    ):
        was_in = member.user_id in (set_.members or [])
        if set_.adviser_id == member.id:
            set_.adviser_id = None
        if not was_in:
            continue
        set_.members = [u for u in set_.members if u != member.user_id]
        if set_.channel_id and set_.next_meeting_at is not None:
            set_.moved_from = [*(set_.moved_from or []), set_.channel_id]
            set_.channel_id = None
        left.append(set_.id)
    for offer in session.scalars(
        select(SetOffer).where(
            SetOffer.member_id == member.id,
            SetOffer.round_id.is_(None),
            SetOffer.status != OfferStatus.WITHDRAWN,
        )
    ):
        offer.status, offer.problem, offer.help_wanted = OfferStatus.WITHDRAWN, "", ""
    session.flush()
    return left


def due_moves(session: Session, community_id: int | None = None) -> list[LearningSet]:
    """Sets that left a group DM and have not yet said so there (of one CoP, or of all)."""
    query = select(LearningSet).order_by(LearningSet.id)
    if community_id is not None:
        query = query.where(LearningSet.community_id == community_id)
    return [s for s in session.scalars(query) if s.moved_from]


def moved(session: Session, set_id: int, told: list[str]) -> None:
    """The group DMs in `told` have heard that the set moved."""
    set_ = session.get(LearningSet, set_id)
    if set_ is not None:
        set_.moved_from = [c for c in (set_.moved_from or []) if c not in told]
        session.flush()


def too_small(set_: LearningSet) -> bool:
    return len(set_.members or []) < SMALLEST


def can_go_on(set_: LearningSet) -> bool:
    """A group DM needs at least two people besides Kettle."""
    return len(set_.members or []) >= 2


def stop(session: Session, set_id: int) -> None:
    """Too few are left to meet: no more meetings are called."""
    set_ = session.get(LearningSet, set_id)
    if set_ is not None:
        set_.next_meeting_at = None
        session.flush()


def to_tell_of_size(session: Session, set_: LearningSet) -> list[str]:
    """Who hears that the set is now small: its adviser and the convenor who started it, while
    they are in the CoP (and every convenor when neither is)."""
    people = []
    adviser = session.get(Member, set_.adviser_id) if set_.adviser_id else None
    if adviser is not None and adviser.is_active:
        people.append(adviser.user_id)
    creator = session.get(Member, set_.created_by_id) if set_.created_by_id else None
    if creator is not None and creator.is_active and creator.is_convenor:
        people.append(creator.user_id)
    if not people:
        people = membership.convenor_ids(session, set_.community_id)
    return list(dict.fromkeys(people))
