"""The pairing algorithm and rounds on the real database: fair, private and deterministic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import combinations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.builders.pairing import stats_text
from bot.errors import InvalidInput
from bot.models import Community, Member, MemberStatus, PairingGroup, PairingRound
from bot.services import pairing
from bot.services.pairing import PairingConfig

CONFIG = PairingConfig(period_days=14, followup_days=7)
START = datetime(2031, 3, 3, 9, 30, tzinfo=UTC)


def community_with(session: Session, count: int) -> tuple[Community, list[Member]]:
    community = Community(slug="pairing-test", name="Test CoP", settings={})
    session.add(community)
    session.flush()
    members = []
    for i in range(count):
        member = Member(community_id=community.id, user_id=f"U{i:04d}", name=f"Person {i}")
        session.add(member)
        members.append(member)
    session.flush()
    for member in members:
        pairing.set_opted_in(session, member, True)
    return community, members


def groups_of(session: Session, round_: PairingRound) -> list[set[int]]:
    session.refresh(round_)
    return [{m.member_id for m in g.members} for g in round_.groups]


def pairs_in(groups: list[set[int]]) -> set[frozenset[int]]:
    return {frozenset(p) for g in groups for p in combinations(sorted(g), 2)}


def run_rounds(session: Session, community: Community, n: int) -> list[list[set[int]]]:
    out = []
    for k in range(n):
        round_, created = pairing.run_round(
            session, community, now=START + k * CONFIG.period, config=CONFIG
        )
        assert created and round_ is not None
        out.append(groups_of(session, round_))
    return out


@pytest.mark.parametrize("size", [4, 6, 8])
def test_no_repeats_while_the_group_allows(db_session: Session, size: int) -> None:
    community, _ = community_with(db_session, size)
    rounds = run_rounds(db_session, community, size - 1)
    seen: set[frozenset[int]] = set()
    for groups in rounds:
        assert all(len(g) == 2 for g in groups)
        assert sorted(x for g in groups for x in g) == sorted({x for g in groups for x in g})
        new = pairs_in(groups)
        assert not (new & seen), "a pair repeated although fresh pairs were possible"
        seen |= new
    # Everyone has met everyone once: a full round robin.
    assert len(seen) == size * (size - 1) // 2


def test_odd_numbers_make_one_trio_and_leave_nobody_out(db_session: Session) -> None:
    community, members = community_with(db_session, 7)
    for groups in run_rounds(db_session, community, 3):
        sizes = sorted(len(g) for g in groups)
        assert sizes == [2, 2, 3]
        assert set().union(*groups) == {m.id for m in members}


def test_dont_pair_me_with_is_honoured(db_session: Session) -> None:
    community, members = community_with(db_session, 6)
    a, b, c = members[0], members[1], members[2]
    pairing.avoid(db_session, a, b)
    pairing.avoid(db_session, c, a)
    for groups in run_rounds(db_session, community, 8):
        for g in groups:
            assert not {a.id, b.id} <= g
            assert not {a.id, c.id} <= g
        assert set().union(*groups) == {m.id for m in members}


def test_exclusions_that_leave_no_choice_leave_that_person_out_only() -> None:
    forbidden = {frozenset((1, 2)), frozenset((1, 3))}
    groups = pairing.make_groups([1, 2, 3], costs={}, forbidden=forbidden, seed="x")
    assert groups == [[2, 3]]


def test_same_seed_same_groups_and_different_seeds_vary() -> None:
    people = list(range(1, 13))
    first = pairing.make_groups(people, costs={}, forbidden=set(), seed="1:10")
    again = pairing.make_groups(people, costs={}, forbidden=set(), seed="1:10")
    assert first == again
    others = {
        str(pairing.make_groups(people, costs={}, forbidden=set(), seed=f"1:{n}")) for n in range(5)
    }
    assert len(others) > 1


def test_one_round_per_period_and_skip_pause(db_session: Session) -> None:
    community, members = community_with(db_session, 5)
    skipper, pauser, leaver = members[0], members[1], members[2]
    number = pairing.skip_next(db_session, skipper, now=START, config=CONFIG)
    assert number == pairing.round_number(START, CONFIG)
    pairing.set_paused(db_session, pauser, True)
    pairing.set_opted_in(db_session, leaver, False)

    round_, created = pairing.run_round(db_session, community, now=START, config=CONFIG)
    assert created and round_ is not None
    assert groups_of(db_session, round_) == [{members[3].id, members[4].id}]
    same, created_again = pairing.run_round(
        db_session, community, now=START + timedelta(days=3), config=CONFIG
    )
    assert not created_again and same is not None and same.id == round_.id

    # The skip was for one round only; the pause lasts until resumed.
    later, _ = pairing.run_round(db_session, community, now=START + CONFIG.period, config=CONFIG)
    assert later is not None
    assert set().union(*groups_of(db_session, later)) == {
        skipper.id,
        members[3].id,
        members[4].id,
    }


def test_fewer_than_two_makes_no_round(db_session: Session) -> None:
    community, _ = community_with(db_session, 1)
    round_, created = pairing.run_round(db_session, community, now=START, config=CONFIG)
    assert round_ is None and not created
    assert db_session.scalars(select(PairingRound)).all() == []


def test_met_answers_and_rate_count_only_the_group(db_session: Session) -> None:
    community, _members = community_with(db_session, 4)
    round_, _ = pairing.run_round(db_session, community, now=START, config=CONFIG)
    assert round_ is not None
    first, second = db_session.scalars(select(PairingGroup).order_by(PairingGroup.id)).all()
    insider = first.members[0].member
    outsider = second.members[0].member
    pairing.record_met(db_session, first.id, insider, True)
    with pytest.raises(Exception, match="isn't one of yours"):
        pairing.record_met(db_session, first.id, outsider, False)
    stats = pairing.stats(db_session, community.id)
    assert (stats.groups, stats.answered, stats.met) == (2, 1, 1)
    assert stats.taking_part == 4
    assert stats.too_few and stats.rate is None  # one group's answer would be plain to see


def test_how_many_met_waits_for_three_answers(db_session: Session) -> None:
    community, _members = community_with(db_session, 6)
    round_, _ = pairing.run_round(db_session, community, now=START, config=CONFIG)
    assert round_ is not None
    groups = db_session.scalars(select(PairingGroup).order_by(PairingGroup.id)).all()
    assert len(groups) == 3
    for group, met in zip(groups[:2], (True, False), strict=True):
        pairing.record_met(db_session, group.id, group.members[0].member, met)
    two = pairing.stats(db_session, community.id)
    assert two.too_few and "too few" in stats_text(two) and "1 met" not in stats_text(two)
    pairing.record_met(db_session, groups[2].id, groups[2].members[0].member, True)
    three = pairing.stats(db_session, community.id)
    assert (three.answered, three.met, three.rate) == (3, 2, 67)
    assert "2 met (67%)" in stats_text(three)


def test_config_from_environment() -> None:
    assert pairing.config_from({}) == PairingConfig(14, 7)
    assert pairing.config_from({"KETTLE_PAIRING_PERIOD_DAYS": "7"}) == PairingConfig(7, 3)
    assert pairing.config_from({"KETTLE_PAIRING_PERIOD_DAYS": "x"}).period_days == 14


@pytest.mark.parametrize("offset", [1, 486, 9973])
@pytest.mark.parametrize("size", [4, 6, 10, 12])
def test_round_robin_whatever_the_ids(size: int, offset: int) -> None:
    """Everyone meets everyone once in size-1 rounds, for any ids and seeds."""
    people = [offset + 7 * i for i in range(size)]
    costs: dict[frozenset[int], int] = {}
    for number in range(size - 1):
        groups = pairing.make_groups(people, costs=costs, forbidden=set(), seed=f"c:{number}")
        for a, b in groups:
            assert frozenset((a, b)) not in costs
            costs[frozenset((a, b))] = 1
    assert len(costs) == size * (size - 1) // 2


def test_the_member_avoid_names_is_one_current_member_by_mention_or_exact_name(
    db_session: Session,
) -> None:
    community, (amina, rohan, other_rohan, gone) = community_with(db_session, 4)
    amina.name, rohan.name, other_rohan.name, gone.name = "Amina", "Rohan", "Rohan", "Gwen"
    gone.status = MemberStatus.LEFT
    db_session.flush()
    find = pairing.member_named
    assert find(db_session, community.id, f"<@{amina.user_id}|amina>") == amina
    assert find(db_session, community.id, " @amina ") == amina
    assert find(db_session, community.id, f"<@{rohan.user_id}>") == rohan
    for text in ("@Rohan", "@Amina Khan", "@Ami", "@Gwen", f"<@{gone.user_id}>", "", "@"):
        with pytest.raises(InvalidInput, match="couldn't find"):
            find(db_session, community.id, text)  # two Rohans, no such name, or not current
