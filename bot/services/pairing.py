"""One-to-one pairing: who takes part, and a fair, private, deterministic way to group them.

Rounds are numbered by period from a fixed anchor, so each period has one round whatever the
number of replicas or restarts (a unique constraint settles any race).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from bot import privacy
from bot.errors import InvalidInput, NotFound
from bot.models import (
    Community,
    Member,
    MemberStatus,
    PairingAvoid,
    PairingGroup,
    PairingGroupMember,
    PairingPreference,
    PairingRound,
)
from bot.services.extra import extra_number

log = logging.getLogger(__name__)

ANCHOR = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)  # a Monday morning
REPEAT_COST = 10  # each earlier time two people were grouped
RECENT_COST = 5  # extra when that was the last round
LEAVE_OUT_COST = 10_000  # only when exclusions leave no other way
SEARCH_BUDGET = 20_000


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


# -- preferences -----------------------------------------------------------------------------


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


# -- grouping --------------------------------------------------------------------------------

Pair = frozenset[int]


def make_groups(
    people: list[int],
    *,
    costs: Mapping[Pair, int],
    forbidden: set[Pair],
    seed: str,
    budget: int = SEARCH_BUDGET,
) -> list[list[int]]:
    """Pairs (and one trio when the number is odd) of least total cost, never a forbidden pair.

    A branch-and-bound search in a seeded order: it finds a grouping without repeats whenever
    one exists within the budget, and otherwise the one with the fewest (and oldest) repeats.
    Someone is left out only if every grouping would put them with a person they avoid.
    """
    rng = random.Random(seed)
    order = sorted(set(people))
    rng.shuffle(order)
    tiebreak = {person: index for index, person in enumerate(order)}
    if len(order) < 2:
        return []

    def cost(a: int, b: int) -> int:
        return costs.get(frozenset((a, b)), 0)

    def allowed(a: int, b: int) -> bool:
        return frozenset((a, b)) not in forbidden

    # A round robin (the circle method) meets everyone once in n-1 rounds; while one of its rounds
    # is still entirely fresh, use it, so that greedy choices never strand a later round.
    if len(order) % 2 == 0:
        for candidate in _round_robin(sorted(order), rng):
            if all(allowed(a, b) and cost(a, b) == 0 for a, b in candidate):
                return [sorted(g) for g in candidate]

    best: list[list[int]] | None = None
    best_cost = float("inf")
    nodes = 0

    def search(remaining: list[int], groups: list[list[int]], total: int) -> None:
        nonlocal best, best_cost, nodes
        nodes += 1
        if total >= best_cost or nodes > budget:
            return
        if not remaining:
            best, best_cost = [list(g) for g in groups], total
            return
        first, rest = remaining[0], remaining[1:]
        if not rest:
            # The odd one out joins a pair as a trio, where it costs least.
            options = sorted(
                (cost(first, g[0]) + cost(first, g[1]), i)
                for i, g in enumerate(groups)
                if len(g) == 2 and allowed(first, g[0]) and allowed(first, g[1])
            )
            for extra, i in options:
                groups[i].append(first)
                search([], groups, total + extra)
                groups[i].pop()
                if best_cost == 0:
                    return
            search([], groups, total + LEAVE_OUT_COST)
            return
        partners = sorted(
            (p for p in rest if allowed(first, p)), key=lambda p: (cost(first, p), tiebreak[p])
        )
        for partner in partners:
            groups.append([first, partner])
            search([p for p in rest if p != partner], groups, total + cost(first, partner))
            groups.pop()
            if best_cost == 0:
                return
        search(rest, groups, total + LEAVE_OUT_COST)

    search(order, [], 0)
    return [sorted(g) for g in best or []]


def _round_robin(people: list[int], rng: random.Random) -> list[list[list[int]]]:
    """The n-1 rounds of the circle method for an even number of people, in a seeded order."""
    fixed, rotating = people[0], people[1:]
    size = len(people)
    rounds = []
    for shift in range(size - 1):
        line = [fixed, *rotating[shift:], *rotating[:shift]]
        rounds.append([[line[i], line[size - 1 - i]] for i in range(size // 2)])
    rng.shuffle(rounds)
    return rounds


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


def history_costs(session: Session, community_id: int) -> dict[Pair, int]:
    """How much each pair has met already: repeats cost, recent repeats cost more."""
    rows = session.execute(
        select(PairingRound.number, PairingGroup.id, PairingGroupMember.member_id)
        .join(PairingGroup, PairingGroup.round_id == PairingRound.id)
        .join(PairingGroupMember, PairingGroupMember.group_id == PairingGroup.id)
        .where(PairingRound.community_id == community_id)
    ).all()
    groups: dict[int, tuple[int, list[int]]] = {}
    for number, group_id, member_id in rows:
        groups.setdefault(group_id, (number, []))[1].append(member_id)
    latest = max((number for number, _ in groups.values()), default=None)
    costs: dict[Pair, int] = {}
    for number, members in groups.values():
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                pair = frozenset((a, b))
                costs[pair] = (
                    costs.get(pair, 0) + REPEAT_COST + (RECENT_COST if number == latest else 0)
                )
    return costs


def forbidden_pairs(session: Session, member_ids: list[int]) -> set[Pair]:
    rows = session.execute(
        select(PairingAvoid.member_id, PairingAvoid.avoided_id).where(
            PairingAvoid.member_id.in_(member_ids)
        )
    )
    return {frozenset((a, b)) for a, b in rows}


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


def groups_to_introduce(
    session: Session, *, now: datetime, config: PairingConfig
) -> list[PairingGroup]:
    return list(
        session.scalars(
            select(PairingGroup)
            .join(PairingRound, PairingRound.id == PairingGroup.round_id)
            .options(selectinload(PairingGroup.members).selectinload(PairingGroupMember.member))
            .where(
                PairingGroup.introduced_at.is_(None),
                PairingRound.starts_at > now - config.period,
            )
            .order_by(PairingGroup.id)
        )
    )


def groups_to_follow_up(
    session: Session, *, now: datetime, config: PairingConfig
) -> list[PairingGroup]:
    return list(
        session.scalars(
            select(PairingGroup)
            .join(PairingRound, PairingRound.id == PairingGroup.round_id)
            .where(
                PairingGroup.introduced_at.is_not(None),
                PairingGroup.followed_up_at.is_(None),
                PairingGroup.channel_id.is_not(None),
                PairingRound.starts_at <= now - config.followup,
                PairingRound.starts_at > now - config.period - config.followup,
            )
            .order_by(PairingGroup.id)
        )
    )


def record_met(session: Session, group_id: int, member: Member, met: bool) -> PairingGroup:
    """Someone in the group says whether they met; nobody else can answer for them."""
    group = session.get(PairingGroup, group_id)
    if group is None or member.id not in {m.member_id for m in group.members}:
        raise NotFound("That pairing isn't one of yours.")
    group.met = met
    group.answered_by = member.id
    session.flush()
    return group


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


# -- hooks for forget-me and my data ------------------------------------------------------------


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
    pref = session.scalar(select(PairingPreference).where(PairingPreference.member_id == member.id))
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
