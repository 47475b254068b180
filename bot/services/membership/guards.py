"""Checks every change of membership or role makes first: the actor is a convenor under the
community's lock, and the rows are read as they stand now. Shared by the package's modules;
not part of the public face (bot.services.membership) except `LastConvenor`."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db import lock
from bot.errors import KettleError, NotAConvenor, NotFound
from bot.models import Community, Member


class LastConvenor(KettleError):
    user_message = "At least one convenor must remain; appoint another convenor first."


def require_convenor(actor: Member | None) -> Member:
    if actor is None or not actor.is_convenor:
        raise NotAConvenor()
    return actor


def as_now(session: Session, member: Member | None) -> Member | None:
    """The member's row as committed now (None if it is gone), not as first read."""
    if member is None:
        return None
    return session.scalar(
        select(Member).where(Member.id == member.id).execution_options(populate_existing=True)
    )


def convenor_under_lock(session: Session, community: Community, actor: Member | None) -> Member:
    """Take the community's lock, under which every change of membership or role is made, and
    check that the actor is still a convenor (someone may have stood them down a moment ago).
    Two people changing the same membership at once so go one after the other."""
    require_convenor(actor)
    lock(session, community)
    return require_convenor(as_now(session, actor))


def still_member(session: Session, member: Member) -> Member:
    current = as_now(session, member)
    if current is None or not current.is_active:
        raise NotFound("They aren't a member of the Community of Practice.")
    return current
