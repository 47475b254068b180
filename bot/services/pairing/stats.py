"""How pairing is going, for convenors: counts only, never who or what was said."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import privacy
from bot.models import Member, MemberStatus, PairingGroup, PairingPreference, PairingRound


@dataclass(frozen=True)
class PairingStats:
    rounds: int
    groups: int
    answered: int
    met: int
    taking_part: int

    @property
    def too_few(self) -> bool:
        """Fewer than `privacy.MIN_SHARED` groups answered: how many met would tell what one
        group said (a convenor knows who takes part), so neither it nor the rate is shown."""
        return not privacy.enough(self.answered)

    @property
    def rate(self) -> int | None:
        return None if self.too_few else round(100 * self.met / self.answered)


def stats(session: Session, community_id: int, *, last_rounds: int = 6) -> PairingStats:
    """The meeting rate across recent rounds: counts only, never who or what was said."""
    numbers = list(
        session.scalars(
            select(PairingRound.id)
            .where(PairingRound.community_id == community_id)
            .order_by(PairingRound.number.desc())
            .limit(last_rounds)
        )
    )
    groups = list(session.scalars(select(PairingGroup).where(PairingGroup.round_id.in_(numbers))))
    taking_part = session.scalars(
        select(PairingPreference.id)
        .join(Member, Member.id == PairingPreference.member_id)
        .where(
            Member.community_id == community_id,
            Member.status == MemberStatus.ACTIVE,
            PairingPreference.opted_in.is_(True),
        )
    ).all()
    answered = [g for g in groups if g.met is not None]
    return PairingStats(
        rounds=len(numbers),
        groups=len(groups),
        answered=len(answered),
        met=sum(1 for g in answered if g.met),
        taking_part=len(taking_part),
    )
