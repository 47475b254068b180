"""Pairing rounds: one a period, numbered from a fixed anchor, so each period has one round
whatever the number of replicas or restarts (a unique constraint settles any race); who takes
part in a round, and making it with its groups."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.models import (
    Community,
    Member,
    MemberStatus,
    PairingGroup,
    PairingGroupMember,
    PairingPreference,
    PairingRound,
)
from bot.services.extra import extra_number
from bot.services.pairing.grouping import forbidden_pairs, history_costs, make_groups

log = logging.getLogger(__name__)

ANCHOR = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)  # a Monday morning


@dataclass(frozen=True)
class PairingConfig:
    period_days: int = 14
    followup_days: int = 7

    @property
    def period(self) -> timedelta:
        return timedelta(days=self.period_days)

    @property
    def followup(self) -> timedelta:
        return timedelta(days=min(self.followup_days, max(1, self.period_days - 1)))


def config_from(extra: Mapping[str, str]) -> PairingConfig:
    """KETTLE_PAIRING_PERIOD_DAYS (default 14) and KETTLE_PAIRING_FOLLOWUP_DAYS (default 7)."""

    def number(name: str, default: int) -> int:
        return extra_number(extra, name) or default

    period = number("KETTLE_PAIRING_PERIOD_DAYS", 14)
    return PairingConfig(period, number("KETTLE_PAIRING_FOLLOWUP_DAYS", max(1, period // 2)))


def round_number(now: datetime, config: PairingConfig) -> int:
    return int((now - ANCHOR) // config.period)


def next_round_number(
    session: Session, community_id: int, now: datetime, config: PairingConfig
) -> int:
    """The round that will pair people next: this period's unless it has already run."""
    number = round_number(now, config)
    ran = session.scalar(
        select(PairingRound.id).where(
            PairingRound.community_id == community_id, PairingRound.number == number
        )
    )
    return number + 1 if ran is not None else number


def eligible(session: Session, community_id: int, number: int) -> list[Member]:
    return list(
        session.scalars(
            select(Member)
            .join(PairingPreference, PairingPreference.member_id == Member.id)
            .where(
                Member.community_id == community_id,
                Member.status == MemberStatus.ACTIVE,
                PairingPreference.opted_in.is_(True),
                PairingPreference.paused.is_(False),
                (PairingPreference.skip_round.is_(None)) | (PairingPreference.skip_round != number),
            )
            .order_by(Member.id)
        )
    )


def run_round(
    session: Session, community: Community, *, now: datetime, config: PairingConfig
) -> tuple[PairingRound | None, bool]:
    """This period's round: made once (with its groups), or the one already made."""
    number = round_number(now, config)
    existing = session.scalar(
        select(PairingRound).where(
            PairingRound.community_id == community.id, PairingRound.number == number
        )
    )
    if existing is not None:
        return existing, False
    people = eligible(session, community.id, number)
    if len(people) < 2:
        return None, False
    ids = [m.id for m in people]
    groups = make_groups(
        ids,
        costs=history_costs(session, community.id),
        forbidden=forbidden_pairs(session, ids),
        seed=f"{community.id}:{number}",
    )
    try:
        with session.begin_nested():
            round_ = PairingRound(community_id=community.id, number=number, starts_at=now)
            session.add(round_)
            session.flush()
            for members in groups:
                group = PairingGroup(round_id=round_.id)
                session.add(group)
                session.flush()
                for member_id in members:
                    session.add(PairingGroupMember(group_id=group.id, member_id=member_id))
            session.flush()
    except IntegrityError:
        log.info("round %s of community %s was made by another worker", number, community.id)
        again = session.scalar(
            select(PairingRound).where(
                PairingRound.community_id == community.id, PairingRound.number == number
            )
        )
        return again, False
    return round_, True
