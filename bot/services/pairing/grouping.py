"""A fair, private, deterministic way to group people: pairs (one trio when the count is odd)
that repeat as little and as long ago as possible, and never put together two people one of whom
asked not to be."""

from __future__ import annotations

import random
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import PairingAvoid, PairingGroup, PairingGroupMember, PairingRound

REPEAT_COST = 10  # each earlier time two people were grouped
RECENT_COST = 5  # extra when that was the last round
LEAVE_OUT_COST = 10_000  # only when exclusions leave no other way
SEARCH_BUDGET = 20_000

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
