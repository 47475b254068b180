"""What the convenors hear: the week's summary, from shared answers only, and the care nudge a
member asked for."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot import privacy
from bot.models import Checkin, CheckinStatus, Community, Member, MemberStatus
from bot.services.checkins.answers import SHARED
from bot.services.checkins.due import sent_to


@dataclass
class Summary:
    """What the convenors may know of a week: only what members shared with them. Nothing of a
    "just me" answer, not even that it was given, so no count can be worked back to anyone."""

    week: str
    sent: int  # members asked this week: sent the DM, or who shared anyway
    moods: Counter[int] | None  # the spread of shared moods; None when too few shared
    support: list[Checkin] = field(default_factory=list)  # shared and asked for support, first
    shared: list[Checkin] = field(default_factory=list)  # the rest of what was shared

    @property
    def shared_count(self) -> int:
        return len(self.support) + len(self.shared)


def asked_for_support(checkin: Checkin) -> bool:
    """Ticking "Tell the convenors I could use a hand" (or an earlier form's call box), or saying
    what support would help, put a shared answer first in the summary."""
    return checkin.status == CheckinStatus.ANSWERED and (
        checkin.tell_convenors or checkin.wants_call or bool((checkin.support or "").strip())
    )


def summarise(session: Session, *, community: Community, week: str) -> Summary:
    """Counts, the mood spread, words and names: all from shared answers only; the spread only
    when at least `privacy.MIN_SHARED` shared."""
    shared = list(
        session.scalars(
            select(Checkin)
            .options(selectinload(Checkin.member))
            .where(
                Checkin.community_id == community.id,
                Checkin.week == week,
                Checkin.status == CheckinStatus.ANSWERED,
                Checkin.visibility.in_(SHARED),
            )
            .order_by(Checkin.id)
        )
    )
    asked = sent_to(session, community.id, week) | {c.member_id for c in shared}
    moods = Counter(c.mood for c in shared if c.mood)
    summary = Summary(
        week=week,
        sent=len(asked),
        moods=moods if privacy.enough(sum(moods.values())) else None,
    )
    for checkin in shared:
        (summary.support if asked_for_support(checkin) else summary.shared).append(checkin)
    return summary


@dataclass(frozen=True)
class CareSignal:
    member_id: int
    name: str
    week: str


def care_signal(session: Session, checkin: Checkin) -> CareSignal | None:
    """A kind nudge goes to the convenors only when the member asked for one: they ticked "Tell
    the convenors I could use a hand — they'll get a DM with my name". Nothing else sends one,
    not a low mood, not words about support; the box is honoured whoever may read the answers,
    and the nudge carries the name alone."""
    if checkin.status != CheckinStatus.ANSWERED or not checkin.tell_convenors:
        return None
    member = session.get(Member, checkin.member_id)
    if member is None or member.status != MemberStatus.ACTIVE:
        return None
    return CareSignal(member.id, member.name, checkin.week)


def care_signals(session: Session, *, community: Community, weeks: list[str]) -> list[CareSignal]:
    checkins = session.scalars(
        select(Checkin).where(
            Checkin.community_id == community.id,
            Checkin.week.in_(weeks),
            Checkin.tell_convenors.is_(True),
        )
    )
    return [s for c in checkins if (s := care_signal(session, c)) is not None]
