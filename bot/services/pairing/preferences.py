"""A member's pairing choices: taking part or not, pausing, sitting out the next round, and
privately avoiding someone. Other pairings (a round's interviews) honour the same choices."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.errors import InvalidInput
from bot.models import Member, PairingAvoid, PairingPreference
from bot.services.pairing.periods import PairingConfig, next_round_number


def existing_preference(session: Session, member: Member) -> PairingPreference | None:
    return session.scalar(select(PairingPreference).where(PairingPreference.member_id == member.id))


def preference(session: Session, member: Member) -> PairingPreference:
    """The member's pairing choices, created on first use; safe when two requests race."""
    query = select(PairingPreference).where(PairingPreference.member_id == member.id)
    pref = session.scalar(query)
    if pref is not None:
        return pref
    try:
        with session.begin_nested():
            pref = PairingPreference(member_id=member.id, opted_in=False, paused=False)
            session.add(pref)
            session.flush()
        return pref
    except IntegrityError:
        return session.scalars(query).one()


def set_opted_in(session: Session, member: Member, on: bool) -> PairingPreference:
    pref = preference(session, member)
    pref.opted_in = on
    pref.paused = False
    if not on:
        pref.skip_round = None
    session.flush()
    return pref


def set_paused(session: Session, member: Member, paused: bool) -> PairingPreference:
    pref = preference(session, member)
    if not pref.opted_in:
        raise InvalidInput("You're not taking part in pairing yet: `/cop pairing on` to join.")
    pref.paused = paused
    session.flush()
    return pref


def skip_next(session: Session, member: Member, *, now: datetime, config: PairingConfig) -> int:
    pref = preference(session, member)
    if not pref.opted_in:
        raise InvalidInput("You're not taking part in pairing yet: `/cop pairing on` to join.")
    pref.skip_round = next_round_number(session, member.community_id, now, config)
    session.flush()
    return pref.skip_round


def avoid(session: Session, member: Member, other: Member) -> None:
    if other.id == member.id:
        raise InvalidInput("You can't be paired with yourself anyway.")
    exists = session.scalar(
        select(PairingAvoid.id).where(
            PairingAvoid.member_id == member.id, PairingAvoid.avoided_id == other.id
        )
    )
    if exists is None:
        session.add(PairingAvoid(member_id=member.id, avoided_id=other.id))
        session.flush()


def unavoid(session: Session, member: Member, other: Member) -> None:
    session.execute(
        delete(PairingAvoid).where(
            PairingAvoid.member_id == member.id, PairingAvoid.avoided_id == other.id
        )
    )
    session.flush()


def avoided_by(session: Session, member: Member) -> list[Member]:
    return list(
        session.scalars(
            select(Member)
            .join(PairingAvoid, PairingAvoid.avoided_id == Member.id)
            .where(PairingAvoid.member_id == member.id)
            .order_by(Member.name)
        )
    )


def declines_pairing(session: Session, member_ids: list[int]) -> set[int]:
    """Those among `member_ids` who said no to being paired: turned pairing off, or paused it.
    Other pairings (a round's appreciative interviews) honour the same choice."""
    if not member_ids:
        return set()
    return set(
        session.scalars(
            select(PairingPreference.member_id).where(
                PairingPreference.member_id.in_(member_ids),
                PairingPreference.opted_in.is_(False) | PairingPreference.paused.is_(True),
            )
        )
    )
