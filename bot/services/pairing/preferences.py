"""A member's pairing choices: taking part or not, pausing, sitting out the next round, and
privately avoiding someone. Other pairings (a round's interviews) honour the same choices."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.errors import InvalidInput
from bot.models import Member, PairingAvoid, PairingPreference
from bot.services import membership
from bot.services.pairing.periods import PairingConfig, next_round_number
from bot.text import escape


@dataclass(frozen=True)
class Choices:
    """A member's pairing choices as they read them back (their own, never anyone else's)."""

    opted_in: bool
    paused: bool
    skipping: bool
    avoided: list[str]


def choices(session: Session, member: Member, *, now: datetime, config: PairingConfig) -> Choices:
    """What the member has chosen; asking writes nothing (no row is no choice yet)."""
    pref = existing_preference(session, member)
    upcoming = next_round_number(session, member.community_id, now, config)
    return Choices(
        opted_in=bool(pref and pref.opted_in),
        paused=bool(pref and pref.paused),
        skipping=bool(pref and pref.skip_round == upcoming),
        avoided=[m.name for m in avoided_by(session, member)],
    )


def existing_preference(session: Session, member: Member) -> PairingPreference | None:
    return session.scalar(select(PairingPreference).where(PairingPreference.member_id == member.id))


def preference(session: Session, member: Member) -> PairingPreference:
    """The member's pairing choices, created on first use; safe when two requests race."""
    pref = existing_preference(session, member)
    if pref is not None:
        return pref
    try:
        with session.begin_nested():
            pref = PairingPreference(member_id=member.id, opted_in=False, paused=False)
            session.add(pref)
            session.flush()
        return pref
    except IntegrityError:
        return session.scalars(
            select(PairingPreference).where(PairingPreference.member_id == member.id)
        ).one()


def set_opted_in(session: Session, member: Member, on: bool) -> PairingPreference:
    pref = preference(session, member)
    pref.opted_in = on
    pref.paused = False
    if not on:
        pref.skip_round = None
    session.flush()
    return pref


def _taking_part(session: Session, member: Member) -> PairingPreference:
    """The choices of a member who takes part; pausing or skipping means nothing otherwise."""
    pref = preference(session, member)
    if not pref.opted_in:
        raise InvalidInput("You're not taking part in pairing yet: `/cop pairing on` to join.")
    return pref


def set_paused(session: Session, member: Member, paused: bool) -> PairingPreference:
    pref = _taking_part(session, member)
    pref.paused = paused
    session.flush()
    return pref


def skip_next(session: Session, member: Member, *, now: datetime, config: PairingConfig) -> int:
    pref = _taking_part(session, member)
    pref.skip_round = next_round_number(session, member.community_id, now, config)
    session.flush()
    return pref.skip_round


_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


def member_named(session: Session, community_id: int, text: str) -> Member:
    """The active member `/cop pairing avoid|unavoid` names: `<@U123>`, or exactly their name
    (slash command text is not escaped, so names arrive as typed). A name two members share
    names nobody, so that nobody avoids the wrong person."""
    text = text.strip()
    match = _MENTION.match(text)
    found: Member | None = None
    if match:
        found = membership.get_member(session, community_id, match.group(1))
        found = found if found is not None and found.is_active else None
    else:
        name = text.lstrip("@").strip().lower()
        candidates = [
            m for m in membership.active_members(session, community_id) if m.name.lower() == name
        ]
        found = candidates[0] if name and len(candidates) == 1 else None
    if found is None:
        raise InvalidInput(f"I couldn't find a member called {escape(text) or 'that'}.")
    return found


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
