"""After a round is made: introducing each group (with a line from a profile a member chose to
show), and asking later whether they met; only someone in the group can answer."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, selectinload

from bot.errors import NotFound
from bot.models import Member, PairingGroup, PairingGroupMember, PairingRound
from bot.services.pairing.periods import PairingConfig

log = logging.getLogger(__name__)


def _groups(session: Session, *where: ColumnElement[bool]) -> list[PairingGroup]:
    """The groups, oldest first, whose round and own steps match `where`."""
    return list(
        session.scalars(
            select(PairingGroup)
            .join(PairingRound, PairingRound.id == PairingGroup.round_id)
            .options(selectinload(PairingGroup.members).selectinload(PairingGroupMember.member))
            .where(*where)
            .order_by(PairingGroup.id)
        )
    )


def groups_to_introduce(
    session: Session, *, now: datetime, config: PairingConfig
) -> list[PairingGroup]:
    """Groups of a round still running that have not been introduced yet."""
    return _groups(
        session,
        PairingGroup.introduced_at.is_(None),
        PairingRound.starts_at > now - config.period,
    )


def groups_to_follow_up(
    session: Session, *, now: datetime, config: PairingConfig
) -> list[PairingGroup]:
    """Introduced groups whose follow-up is due (and not yet too late to ask)."""
    return _groups(
        session,
        PairingGroup.introduced_at.is_not(None),
        PairingGroup.followed_up_at.is_(None),
        PairingGroup.channel_id.is_not(None),
        PairingRound.starts_at <= now - config.followup,
        PairingRound.starts_at > now - config.period - config.followup,
    )


def mark_group(session: Session, group_id: int, field: str, value: object) -> None:
    """Remember a step of the group's way: the DM it was given, its introduction, its
    follow-up."""
    group = session.get(PairingGroup, group_id)
    if group is not None:
        setattr(group, field, value)
        session.flush()


def record_met(session: Session, group_id: int, member: Member, met: bool) -> PairingGroup:
    """Someone in the group says whether they met; nobody else can answer for them."""
    group = session.get(PairingGroup, group_id)
    if group is None or member.id not in {m.member_id for m in group.members}:
        raise NotFound("That pairing isn't one of yours.")
    group.met = met
    group.answered_by = member.id
    session.flush()
    return group


# -- profiles: a hook for the membership capability ------------------------------------------

ProfileSource = Callable[[Session, Member], str | None]
_profile_sources: list[ProfileSource] = []


def add_profile_source(source: ProfileSource) -> None:
    """Let another capability offer a line about a member (e.g. from their CoP profile)."""
    if source not in _profile_sources:
        _profile_sources.append(source)


def profile_text(session: Session, member: Member) -> str | None:
    for source in _profile_sources:
        try:
            text = source(session, member)
        except Exception:
            log.exception("profile source failed for member %s", member.id)
            continue
        if text and text.strip():
            return text.strip()
    return None
