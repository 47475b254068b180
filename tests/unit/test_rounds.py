"""Rounds' rules on the real database: phases, steering, timers, advice, pairing, follow-ups."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from bot.models import Community, Member, Role, Round, RoundStatus
from bot.services import pairing
from bot.services import rounds as svc
from bot.services.membership import Viewer

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def setup_community(session: Session) -> tuple[Community, Member, Member]:
    community = Community(slug="t", name="T", channel_id="C1", settings={})
    session.add(community)
    session.flush()
    convenor = Member(community_id=community.id, user_id="UC", name="Esther", role=Role.CONVENOR)
    member = Member(community_id=community.id, user_id="UM", name="Amina", tz="America/New_York")
    session.add_all([convenor, member])
    session.flush()
    return community, convenor, member


def viewer(m: Member) -> Viewer:
    return Viewer(m.user_id, m.community_id, m.id, m.role, m.name)


def test_phases_advance_by_timer_pause_extend_and_close(db_session: Session) -> None:
    community, convenor, member = setup_community(db_session)
    r, created = svc.start_ai(
        db_session,
        community=community,
        facilitator=convenor,
        topic="Joyful meetings",
        channel_id="C1",
        minutes_per_phase=10,
        allow_anonymous=False,
        now=NOW,
        source_key="k",
    )
    assert created and r.phase_deadline == NOW + timedelta(minutes=10)
    assert svc.start_ai(
        db_session,
        community=community,
        facilitator=convenor,
        topic="again",
        channel_id="C1",
        minutes_per_phase=10,
        allow_anonymous=False,
        now=NOW,
        source_key="k",
    ) == (r, False)
    assert svc.due_to_advance(db_session, NOW + timedelta(minutes=9)) == []
    assert svc.due_to_advance(db_session, NOW + timedelta(minutes=10)) == [r]
    assert not svc.advance(db_session, r, now=NOW, expected_phase=3)  # a stale button
    assert svc.advance(db_session, r, now=NOW, expected_phase=0) and r.phase_index == 1

    assert svc.pause(db_session, r, now=NOW + timedelta(minutes=4))
    assert r.phase_deadline is None and r.paused_seconds_left == 360
    svc.extend(db_session, r, minutes=5, now=NOW)
    assert svc.resume(db_session, r, now=NOW + timedelta(hours=1))
    assert r.phase_deadline == NOW + timedelta(hours=1, minutes=11)

    assert svc.may_control(r, viewer(convenor)) and not svc.may_control(r, viewer(member))
    svc.add_contribution(
        db_session, r, member, text="<b>we sang</b>", anonymous=True, source_key=None
    )
    svc.close(db_session, r, now=NOW)
    assert r.status == RoundStatus.CLOSED
    assert "&lt;b&gt;we sang&lt;/b&gt; (Amina)" in (r.synthesis or "")  # anonymity not allowed


def test_advice_patterns() -> None:
    assert svc.looks_like_advice("Have you tried asking them")
    assert svc.looks_like_advice("I would just pay them")
    assert svc.looks_like_advice("Have you tried asking them?")  # advice dressed as a question
    assert not svc.looks_like_advice("Tell me more about the board")


def _ai(session: Session, community: Community, convenor: Member, topic: str = "t") -> Round:
    r, _ = svc.start_ai(
        session,
        community=community,
        facilitator=convenor,
        topic=topic,
        minutes_per_phase=0,
        allow_anonymous=False,
        now=NOW,
    )
    return r


def test_interview_groups_pair_only_who_opted_in_and_honour_pairing_choices(
    db_session: Session,
) -> None:
    community, convenor, member = setup_community(db_session)
    others = [Member(community_id=community.id, user_id=f"U{i}", name=f"M{i}") for i in range(5)]
    db_session.add_all(others)
    db_session.flush()
    r = _ai(db_session, community, convenor)
    asked = [convenor, member, *others[:3]]  # five asked; others[3] and others[4] did not
    for m in asked:
        assert svc.opt_in(db_session, r, m)
    assert not svc.opt_in(db_session, r, member)  # once
    groups, alone = svc.interview_groups(db_session, r)
    assert sorted(m.id for g in groups for m in g) == sorted(m.id for m in asked)
    assert sorted(len(g) for g in groups) == [2, 3] and alone == []  # odd: one trio
    assert svc.interview_groups(db_session, r) == (groups, alone)  # kept for the round
    assert not svc.opt_in(db_session, r, others[3])  # the pairs are made
    assert svc.partners(r, member.id) and others[3].id not in {m.id for g in groups for m in g}

    off, paused, avoider, avoided = others[0], others[1], member, convenor
    pairing.set_opted_in(db_session, off, False)
    pairing.set_opted_in(db_session, paused, True)
    pairing.set_paused(db_session, paused, True)
    pairing.avoid(db_session, avoider, avoided)
    r2 = _ai(db_session, community, convenor, "again")
    for m in [convenor, member, *others]:
        svc.opt_in(db_session, r2, m)
    groups, alone = svc.interview_groups(db_session, r2)
    paired = {m.id for g in groups for m in g}
    assert off.id not in paired and paused.id not in paired
    assert {avoider.id, avoided.id, others[2].id, others[3].id, others[4].id} == paired
    assert all({avoider.id, avoided.id} - {m.id for m in g} for g in groups)

    r3 = _ai(db_session, community, convenor, "alone")
    svc.opt_in(db_session, r3, member)
    assert svc.interview_groups(db_session, r3) == ([], [member])  # told kindly, not paired


def test_commitment_dates_reminders_and_asks(db_session: Session) -> None:
    community, convenor, member = setup_community(db_session)
    due = svc.parse_due("2026-03-10", member.tz, today=date(2026, 3, 2))
    assert due.utcoffset() == timedelta(hours=-4) and due.hour == 17
    r, _ = svc.start_ai(
        db_session,
        community=community,
        facilitator=convenor,
        topic="t",
        channel_id="C1",
        minutes_per_phase=0,
        allow_anonymous=False,
        now=NOW,
    )
    c, _ = svc.add_commitment(db_session, r, member, what="call", due_at=due, source_key=None)
    c.created_at = NOW
    assert svc.due_reminders(db_session, NOW + timedelta(days=1)) == []
    assert svc.due_reminders(db_session, due - timedelta(days=1)) == [c]
    assert svc.due_asks(db_session, due - timedelta(minutes=1)) == []
    assert svc.due_asks(db_session, due) == [c]
    svc.mark_commitment(db_session, c.id, "asked_at", due)
    assert svc.due_asks(db_session, due) == []
