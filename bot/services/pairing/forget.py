"""What a member can ask of pairing: forget-me and a copy of their data."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, selectinload

from bot.models import Member, PairingAvoid, PairingGroup, PairingGroupMember, PairingPreference
from bot.services.pairing.preferences import avoided_by, existing_preference


def forget_member(session: Session, member: Member) -> None:
    """Forget-me: their preference and private avoid choices go, and so do others' choices to
    avoid them (nobody is left to avoid). They leave every group; others keep their history,
    and a group not yet introduced that is left with one person is dropped for this round."""
    session.execute(delete(PairingPreference).where(PairingPreference.member_id == member.id))
    session.execute(
        delete(PairingAvoid).where(
            (PairingAvoid.member_id == member.id) | (PairingAvoid.avoided_id == member.id)
        )
    )
    session.execute(
        update(PairingGroup).where(PairingGroup.answered_by == member.id).values(answered_by=None)
    )
    group_ids = list(
        session.scalars(
            select(PairingGroupMember.group_id).where(PairingGroupMember.member_id == member.id)
        )
    )
    session.execute(delete(PairingGroupMember).where(PairingGroupMember.member_id == member.id))
    session.flush()
    for group in session.scalars(
        select(PairingGroup)
        .options(selectinload(PairingGroup.members))
        .where(PairingGroup.id.in_(group_ids), PairingGroup.introduced_at.is_(None))
        .execution_options(populate_existing=True)
    ):
        if len(group.members) < 2:
            for gm in group.members:
                session.delete(gm)
            session.delete(group)
    session.flush()


def member_data(session: Session, member: Member) -> dict[str, object]:
    pref = existing_preference(session, member)
    groups = list(
        session.scalars(
            select(PairingGroup)
            .join(PairingGroupMember, PairingGroupMember.group_id == PairingGroup.id)
            .options(
                selectinload(PairingGroup.round),
                selectinload(PairingGroup.members).selectinload(PairingGroupMember.member),
            )
            .where(PairingGroupMember.member_id == member.id)
            .order_by(PairingGroup.id)
        )
    )
    return {
        "preference": None
        if pref is None
        else {"opted_in": pref.opted_in, "paused": pref.paused, "skip_round": pref.skip_round},
        "avoiding": [m.name or m.user_id for m in avoided_by(session, member)],
        "groups": [
            {
                "round": g.round.number,
                "starts_at": g.round.starts_at.isoformat(),
                "with": [
                    gm.member.name or gm.member.user_id
                    for gm in g.members
                    if gm.member_id != member.id
                ],
                "met": g.met,
            }
            for g in groups
        ],
    }
