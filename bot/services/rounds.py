"""Facilitated rounds: the phases, who may steer them, contributions, commitments and what is due."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

import prompts
from bot.errors import InvalidInput, KettleError, NotFound
from bot.models import (
    Community,
    Member,
    Round,
    RoundCommitment,
    RoundContribution,
    RoundKind,
    RoundNote,
    RoundOptOut,
    RoundStatus,
)
from bot.services import clock, membership
from bot.services.knowledge import HealthFigures
from bot.services.membership import Viewer, active_members
from bot.text import escape

TEXT_MAX = 2000
TOPIC_MAX = 500
MAX_PHASE_MINUTES = 24 * 60


class NotFacilitator(KettleError):
    user_message = "Only a convenor or this round's facilitator can do that."


class RoundClosed(KettleError):
    user_message = "That round has closed."


def prompts_() -> dict[str, Any]:
    return prompts.load("rounds")


def phases(kind: RoundKind) -> list[dict[str, Any]]:
    return list(prompts_()[kind.value]["phases"])


def phase(round_: Round) -> dict[str, Any] | None:
    all_phases = phases(round_.kind)
    if 0 <= round_.phase_index < len(all_phases):
        return all_phases[round_.phase_index]
    return None


def is_question_phase(round_: Round) -> bool:
    current = phase(round_)
    return bool(current and current.get("question_phase")) and round_.status != RoundStatus.CLOSED


# -- starting ------------------------------------------------------------------------------


def _minutes(values: list[int], count: int) -> list[int]:
    out = [max(0, min(int(v), MAX_PHASE_MINUTES)) for v in values[:count]]
    return out + [0] * (count - len(out))


def _deadline(round_: Round, now: datetime) -> datetime | None:
    minutes = round_.phase_minutes[round_.phase_index] if round_.phase_minutes else 0
    return now + timedelta(minutes=minutes) if minutes else None


def _existing(session: Session, source_key: str | None) -> Round | None:
    if not source_key:
        return None
    return session.scalar(select(Round).where(Round.source_key == source_key))


def start_ai(
    session: Session,
    *,
    community: Community,
    facilitator: Member,
    topic: str,
    channel_id: str,
    minutes_per_phase: int,
    allow_anonymous: bool,
    now: datetime,
    source_key: str | None = None,
) -> tuple[Round, bool]:
    """Open an appreciative-inquiry round in its first phase; the same submission opens one."""
    topic = (topic or "").strip()
    if not topic:
        raise InvalidInput("Name the topic.", {"topic": "Name what you want more of."})
    existing = _existing(session, source_key)
    if existing is not None:
        return existing, False
    count = len(phases(RoundKind.AI))
    round_ = Round(
        community_id=community.id,
        kind=RoundKind.AI,
        topic=topic[:TOPIC_MAX],
        facilitator_id=facilitator.id,
        channel_id=channel_id,
        phase_minutes=_minutes([minutes_per_phase] * count, count),
        phase_index=0,
        phase_started_at=now,
        allow_anonymous=allow_anonymous,
        started_at=now,
        source_key=source_key,
        set_members=[],
        settings={},
    )
    round_.phase_deadline = _deadline(round_, now)
    session.add(round_)
    session.flush()
    return round_, True


def start_als(
    session: Session,
    *,
    community: Community,
    facilitator: Member,
    presenter: Member,
    challenge: str,
    set_member_ids: list[str],
    minutes: list[int],
    channel_id: str,
    now: datetime,
    source_key: str | None = None,
) -> tuple[Round, bool]:
    """Open an action-learning set; it opens with the presenter's report-back from last time."""
    challenge = (challenge or "").strip()
    if not challenge:
        raise InvalidInput("Describe the challenge.", {"challenge": "A sentence or two, please."})
    existing = _existing(session, source_key)
    if existing is not None:
        return existing, False
    count = len(phases(RoundKind.ALS))
    members = [u for u in dict.fromkeys(set_member_ids) if u and u != presenter.user_id]
    round_ = Round(
        community_id=community.id,
        kind=RoundKind.ALS,
        topic=challenge[:TOPIC_MAX],
        facilitator_id=facilitator.id,
        presenter_id=presenter.id,
        set_members=members,
        channel_id=channel_id,
        phase_minutes=_minutes(minutes, count),
        phase_index=0,
        phase_started_at=now,
        started_at=now,
        source_key=source_key,
        settings={},
    )
    round_.phase_deadline = _deadline(round_, now)
    round_.opening_note = report_back(session, presenter)
    session.add(round_)
    session.flush()
    return round_, True


def previous_actions(session: Session, presenter: Member) -> list[RoundCommitment]:
    """The presenter's actions from their most recent earlier set."""
    last = session.scalar(
        select(Round)
        .where(
            Round.kind == RoundKind.ALS,
            Round.presenter_id == presenter.id,
            Round.status == RoundStatus.CLOSED,
        )
        .order_by(Round.closed_at.desc(), Round.id.desc())
    )
    if last is None:
        return []
    return [c for c in last.commitments if c.member_id == presenter.id]


def report_back(session: Session, presenter: Member) -> str:
    actions = previous_actions(session, presenter)
    if not actions:
        return ""
    p = prompts_()["als"]
    lines = []
    for c in actions:
        report = escape(c.report) if c.report else p["no_report"]
        lines.append(f"• {escape(c.what)} (by {local_due(c):%d %b}): {report}")
    return str(p["report_back"]).format(
        presenter=escape(presenter.name or "the presenter"), actions="\n".join(lines)
    )


# -- who may steer -------------------------------------------------------------------------


def get_round(session: Session, round_id: int, *, community_id: int | None) -> Round:
    round_ = session.get(Round, round_id)
    if round_ is None or (community_id is not None and round_.community_id != community_id):
        raise NotFound()
    return round_


def may_control(round_: Round, viewer: Viewer) -> bool:
    if viewer.community_id != round_.community_id or not viewer.is_member:
        return False
    return viewer.is_convenor or (
        round_.facilitator_id is not None and round_.facilitator_id == viewer.member_id
    )


def require_control(round_: Round, viewer: Viewer) -> None:
    if not may_control(round_, viewer):
        raise NotFacilitator(prompts_()["messages"]["not_facilitator"])
    if round_.status == RoundStatus.CLOSED:
        raise RoundClosed(prompts_()["messages"]["closed"])


# -- moving through the phases -------------------------------------------------------------


def advance(session: Session, round_: Round, *, now: datetime, expected_phase: int | None) -> bool:
    """Move to the next phase (or close after the last). A stale button changes nothing."""
    if round_.status == RoundStatus.CLOSED:
        return False
    if expected_phase is not None and expected_phase != round_.phase_index:
        return False
    if round_.phase_index + 1 >= len(phases(round_.kind)):
        close(session, round_, now=now)
        return True
    round_.phase_index += 1
    round_.phase_started_at = now
    round_.status = RoundStatus.RUNNING
    round_.paused_seconds_left = None
    round_.phase_deadline = _deadline(round_, now)
    session.flush()
    return True


def close(session: Session, round_: Round, *, now: datetime) -> None:
    if round_.status == RoundStatus.CLOSED:
        return
    round_.status = RoundStatus.CLOSED
    round_.closed_at = now
    round_.phase_deadline = None
    session.flush()
    session.refresh(round_)
    round_.synthesis = synthesis(round_)
    session.flush()


def pause(session: Session, round_: Round, *, now: datetime) -> bool:
    if round_.status != RoundStatus.RUNNING:
        return False
    if round_.phase_deadline is not None:
        left = int((round_.phase_deadline - now).total_seconds())
        round_.paused_seconds_left = max(left, 60)
    round_.phase_deadline = None
    round_.status = RoundStatus.PAUSED
    session.flush()
    return True


def resume(session: Session, round_: Round, *, now: datetime) -> bool:
    if round_.status != RoundStatus.PAUSED:
        return False
    round_.status = RoundStatus.RUNNING
    if round_.paused_seconds_left is not None:
        round_.phase_deadline = now + timedelta(seconds=round_.paused_seconds_left)
    round_.paused_seconds_left = None
    session.flush()
    return True


def extend(session: Session, round_: Round, *, minutes: int, now: datetime) -> None:
    """Give the current phase more time (a phase run by hand gets a deadline from now)."""
    if round_.status == RoundStatus.PAUSED:
        round_.paused_seconds_left = (round_.paused_seconds_left or 0) + minutes * 60
    else:
        base = (
            round_.phase_deadline if round_.phase_deadline and round_.phase_deadline > now else now
        )
        round_.phase_deadline = base + timedelta(minutes=minutes)
    session.flush()


def minutes_left(round_: Round, now: datetime) -> int:
    if round_.status == RoundStatus.PAUSED:
        return max(1, (round_.paused_seconds_left or 0) // 60)
    if round_.phase_deadline is None:
        return 0
    return max(0, int((round_.phase_deadline - now).total_seconds() + 59) // 60)


def due_to_advance(session: Session, now: datetime) -> list[Round]:
    return list(
        session.scalars(
            select(Round)
            .where(
                Round.status == RoundStatus.RUNNING,
                Round.phase_deadline.is_not(None),
                Round.phase_deadline <= now,
            )
            .order_by(Round.id)
        )
    )


def unannounced(session: Session) -> list[Round]:
    """Rounds whose opening, current phase or synthesis has not been posted yet."""
    candidates = session.scalars(
        select(Round).where(
            (Round.status != RoundStatus.CLOSED) | (Round.synthesis_posted.is_(False))
        )
    )
    return [
        r
        for r in candidates
        if r.thread_ts is None
        or (r.status != RoundStatus.CLOSED and r.announced_phase < r.phase_index)
        or (r.status == RoundStatus.CLOSED and not r.synthesis_posted)
    ]


# -- contributions and commitments ---------------------------------------------------------


def may_contribute(round_: Round, viewer: Viewer) -> bool:
    current = phase(round_)
    if current is None or round_.status == RoundStatus.CLOSED or not viewer.is_member:
        return False
    if viewer.community_id != round_.community_id:
        return False
    if round_.kind == RoundKind.ALS:
        return bool(current.get("reflection") or current.get("commitments")) and (
            viewer.member_id == round_.presenter_id
        )
    return bool(current.get("contributes"))


def add_contribution(
    session: Session,
    round_: Round,
    member: Member,
    *,
    text: str,
    anonymous: bool,
    source_key: str | None,
    phase_index: int | None = None,
) -> tuple[RoundContribution, bool]:
    text = (text or "").strip()
    if not text:
        raise InvalidInput("Say something first.", {"text": "Write a few words."})
    if source_key:
        found = session.scalar(
            select(RoundContribution).where(RoundContribution.source_key == source_key)
        )
        if found is not None:
            return found, False
    contribution = RoundContribution(
        round_id=round_.id,
        phase_index=round_.phase_index if phase_index is None else phase_index,
        member_id=member.id,
        text=text[:TEXT_MAX],
        anonymous=anonymous and round_.allow_anonymous,
        source_key=source_key,
    )
    session.add(contribution)
    session.flush()
    return contribution, True


def parse_due(value: str | None, tz: str | None, *, today: date) -> datetime:
    """A date picked in a form, as the end of that working day in the member's own time zone."""
    if not value:
        raise InvalidInput("Pick a date.", {"when": "By when?"})
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput("Pick a date.", {"when": "That isn't a date."}) from exc
    if day < today:
        raise InvalidInput("Pick a date to come.", {"when": "Pick today or a later date."})
    return datetime.combine(day, time(17, 0), tzinfo=clock.zone(tz))


def local_today(tz: str | None, now: datetime) -> date:
    """Today's date where the member is: an evening in California is tomorrow in UTC."""
    return clock.local_date(now, tz)


def local_due(commitment: RoundCommitment) -> datetime:
    """The commitment's date as its owner picked it: in their own zone, not in UTC (17:00 in
    California is already the next day in UTC)."""
    tz = commitment.member.tz if commitment.member is not None else None
    return commitment.due_at.astimezone(clock.zone(tz))


def add_commitment(
    session: Session,
    round_: Round,
    member: Member,
    *,
    what: str,
    due_at: datetime,
    source_key: str | None,
) -> tuple[RoundCommitment, bool]:
    what = (what or "").strip()
    if not what:
        raise InvalidInput("Say what you'll do.", {"text": "What will you do?"})
    if source_key:
        found = session.scalar(
            select(RoundCommitment).where(RoundCommitment.source_key == source_key)
        )
        if found is not None:
            return found, False
    commitment = RoundCommitment(
        round_id=round_.id,
        member_id=member.id,
        what=what[:TEXT_MAX],
        due_at=due_at,
        source_key=source_key,
    )
    session.add(commitment)
    session.flush()
    return commitment, True


def record_report(
    session: Session, commitment_id: int, member_id: int, *, text: str, now: datetime
) -> RoundCommitment:
    commitment = session.get(RoundCommitment, commitment_id)
    if commitment is None or commitment.member_id != member_id:
        raise NotFound()
    text = (text or "").strip()
    if not text:
        raise InvalidInput("Tell us a little.", {"text": "A few words are plenty."})
    commitment.report = text[:TEXT_MAX]
    commitment.reported_at = now
    session.flush()
    return commitment


# -- what is due ---------------------------------------------------------------------------


def due_invitations(session: Session, now: datetime) -> list[tuple[Round, list[Member]]]:
    """AI rounds some minutes into a phase: members who have not contributed and not opted out."""
    after = timedelta(minutes=int(prompts_().get("invite_after_minutes", 5)))
    rounds = session.scalars(
        select(Round).where(Round.status == RoundStatus.RUNNING, Round.kind == RoundKind.AI)
    )
    out = []
    for r in rounds:
        if r.invited_phase >= r.phase_index or r.announced_phase < r.phase_index:
            continue
        if r.phase_started_at + after > now:
            continue
        spoke = {c.member_id for c in r.contributions if c.phase_index == r.phase_index}
        spoke |= {c.member_id for c in r.commitments}
        noted = set(
            session.scalars(
                select(RoundNote.member_id).where(
                    RoundNote.round_id == r.id,
                    RoundNote.phase_index == r.phase_index,
                    RoundNote.kind == "invite",
                )
            )
        )
        opted = set(session.scalars(select(RoundOptOut.member_id)))
        people = [
            m for m in active_members(session, r.community_id) if m.id not in spoke | noted | opted
        ]
        out.append((r, people))
    return out


def mark_invited(session: Session, round_id: int, phase_index: int) -> None:
    round_ = session.get(Round, round_id)
    if round_ is not None and round_.invited_phase < phase_index:
        round_.invited_phase = phase_index
        session.flush()


def note_once(session: Session, round_: Round, member_id: int, kind: str) -> bool:
    """Record that Kettle did `kind` for this member in this phase; False if it already had."""
    exists = session.scalar(
        select(RoundNote.id).where(
            RoundNote.round_id == round_.id,
            RoundNote.phase_index == round_.phase_index,
            RoundNote.member_id == member_id,
            RoundNote.kind == kind,
        )
    )
    if exists is not None:
        return False
    with session.begin_nested():
        session.add(
            RoundNote(
                round_id=round_.id, phase_index=round_.phase_index, member_id=member_id, kind=kind
            )
        )
    return True


def set_invitations(session: Session, member: Member, *, wanted: bool) -> None:
    row = session.get(RoundOptOut, member.id)
    if wanted and row is not None:
        session.delete(row)
    elif not wanted and row is None:
        session.add(RoundOptOut(member_id=member.id))
    session.flush()


def due_tea_breaks(session: Session, now: datetime) -> list[Round]:
    after = timedelta(minutes=int(prompts_().get("tea_break_after_minutes", 60)))
    rounds = session.scalars(
        select(Round).where(Round.status != RoundStatus.CLOSED, Round.tea_break_sent.is_(False))
    )
    return [r for r in rounds if r.thread_ts and r.started_at + after <= now]


def mark_tea_break(session: Session, round_id: int) -> None:
    round_ = session.get(Round, round_id)
    if round_ is not None:
        round_.tea_break_sent = True
        session.flush()


def due_reminders(session: Session, now: datetime) -> list[RoundCommitment]:
    before = timedelta(days=int(prompts_().get("reminder_days_before", 2)))
    rows = session.scalars(
        select(RoundCommitment).where(
            RoundCommitment.reminded_at.is_(None),
            RoundCommitment.reported_at.is_(None),
            RoundCommitment.due_at > now,
        )
    )
    return [
        c
        for c in rows
        if c.due_at - before <= now < c.due_at and c.created_at + timedelta(hours=1) <= now
    ]


def due_asks(session: Session, now: datetime) -> list[RoundCommitment]:
    """Commitments whose date has come, and ALS actions whose presenter has a new set running."""
    rows = list(
        session.scalars(
            select(RoundCommitment).where(
                RoundCommitment.asked_at.is_(None), RoundCommitment.reported_at.is_(None)
            )
        )
    )
    presenting = set(
        session.scalars(
            select(Round.presenter_id).where(
                Round.kind == RoundKind.ALS, Round.status != RoundStatus.CLOSED
            )
        )
    )
    out = []
    for c in rows:
        if c.due_at <= now or (
            c.round.kind == RoundKind.ALS
            and c.round.status == RoundStatus.CLOSED
            and c.member_id in presenting
        ):
            out.append(c)
    return out


def mark_commitment(session: Session, commitment_id: int, field: str, now: datetime) -> None:
    commitment = session.get(RoundCommitment, commitment_id)
    if commitment is not None and getattr(commitment, field) is None:
        setattr(commitment, field, now)
        session.flush()


# -- advice, pairing, synthesis ------------------------------------------------------------


def looks_like_advice(text: str) -> bool:
    """Advice rather than a question: matches a pattern from prompts and asks nothing."""
    if not text or "?" in text:
        return False
    patterns = prompts_()["advice"]["patterns"]
    return any(re.search(p, text, re.IGNORECASE) for p in patterns)


def coaching_tip(round_id: int, member_id: int) -> str:
    tips = list(prompts_()["advice"]["tips"])
    return str(tips[(round_id + member_id) % len(tips)])


def round_for_thread(session: Session, channel_id: str, thread_ts: str) -> Round | None:
    return session.scalar(
        select(Round).where(
            Round.channel_id == channel_id,
            Round.thread_ts == thread_ts,
            Round.status != RoundStatus.CLOSED,
        )
    )


def pairs(user_ids: list[str], *, seed: int) -> list[tuple[str, ...]]:
    """Pairs for appreciative interviews (a trio when the count is odd), stable for a round."""
    people = sorted(set(user_ids))
    random.Random(seed).shuffle(people)
    groups = [tuple(people[i : i + 2]) for i in range(0, len(people) - 1, 2)]
    if len(people) % 2 == 1 and groups:
        groups[-1] = (*groups[-1], people[-1])
    return groups


@dataclass(frozen=True)
class RoundLine:
    id: int
    kind: RoundKind
    topic: str
    status: RoundStatus
    phase_name: str
    started_at: datetime


def list_rounds(session: Session, community_id: int, *, limit: int = 10) -> list[RoundLine]:
    rows = session.scalars(
        select(Round)
        .where(Round.community_id == community_id)
        .order_by(Round.started_at.desc(), Round.id.desc())
        .limit(limit)
    )
    out = []
    for r in rows:
        current = phase(r)
        name = "closed" if r.status == RoundStatus.CLOSED else (current or {}).get("name", "")
        out.append(RoundLine(r.id, r.kind, r.topic, r.status, name, r.started_at))
    return out


def who(member: Member | None, anonymous: bool = False) -> str:
    if anonymous or member is None:
        return str(prompts_()["messages"]["anonymous"])
    return escape(member.name or "a member")


def synthesis(round_: Round) -> str:
    """Contributions grouped by phase, and the commitments; member text escaped."""
    lines: list[str] = []
    for index, ph in enumerate(phases(round_.kind)):
        said = [c for c in round_.contributions if c.phase_index == index]
        if not said:
            continue
        lines.append(f"*{ph['name']}*")
        lines += [f"• {escape(c.text)} ({who(c.member, c.anonymous)})" for c in said]
    if round_.commitments:
        lines.append("*Commitments*")
        lines += [
            f"• {who(c.member)}: {escape(c.what)} (by {local_due(c):%d %b %Y})"
            for c in round_.commitments
        ]
    if not lines:
        lines.append("_Nothing was written down this time._")
    return "\n".join(lines)


# -- hooks for forget-me, my data and the health report ------------------------------------------


def forget_member(session: Session, member: Member) -> None:
    """Forget-me: what they said in rounds and their commitments go, or stay without their
    name, as they chose for their stories; their opt-out and notes go; they leave each set."""
    keep = membership.forget_scope(session).keep_stories
    touched: set[int] = set()
    for row in session.scalars(
        select(RoundContribution).where(RoundContribution.member_id == member.id)
    ):
        touched.add(row.round_id)
        if keep:
            row.member_id = None
            row.anonymous = True
        else:
            session.delete(row)
    for commitment in session.scalars(
        select(RoundCommitment).where(RoundCommitment.member_id == member.id)
    ):
        touched.add(commitment.round_id)
        if keep:
            commitment.member_id = None
        else:
            session.delete(commitment)
    session.execute(delete(RoundNote).where(RoundNote.member_id == member.id))
    session.execute(delete(RoundOptOut).where(RoundOptOut.member_id == member.id))
    for round_ in session.scalars(select(Round).where(Round.community_id == member.community_id)):
        if member.user_id in (round_.set_members or []):
            round_.set_members = [u for u in round_.set_members if u != member.user_id]
        if round_.facilitator_id == member.id:
            round_.facilitator_id = None
        if round_.presenter_id == member.id:
            round_.presenter_id = None
    session.flush()
    for round_ in session.scalars(select(Round).where(Round.id.in_(touched))):
        if round_.synthesis is not None:
            session.expire(round_, ["contributions", "commitments"])
            round_.synthesis = synthesis(round_)
    session.flush()


def member_data(session: Session, member: Member) -> dict[str, object]:
    said = session.execute(
        select(Round.kind, Round.topic, RoundContribution)
        .join(Round, Round.id == RoundContribution.round_id)
        .where(RoundContribution.member_id == member.id)
        .order_by(RoundContribution.id)
    )
    committed = session.execute(
        select(Round.topic, RoundCommitment)
        .join(Round, Round.id == RoundCommitment.round_id)
        .where(RoundCommitment.member_id == member.id)
        .order_by(RoundCommitment.id)
    )
    return {
        "contributions": [
            {
                "round": f"{kind.value}: {topic}",
                "phase": c.phase_index,
                "text": c.text,
                "anonymous": c.anonymous,
                "created_at": c.created_at.isoformat(),
            }
            for kind, topic, c in said
        ],
        "commitments": [
            {
                "round": topic,
                "what": c.what,
                "due_at": c.due_at.isoformat(),
                "report": c.report,
            }
            for topic, c in committed
        ],
        "private_invitations": session.get(RoundOptOut, member.id) is None,
        "rounds_facilitated": list(
            session.scalars(select(Round.topic).where(Round.facilitator_id == member.id))
        ),
        "rounds_presented": list(
            session.scalars(select(Round.topic).where(Round.presenter_id == member.id))
        ),
    }


def health_figures(
    session: Session, community_id: int, since: datetime, now: datetime
) -> HealthFigures:
    """Round participation: across the rounds started in the window, the share of those who
    could contribute (the set's members, or every active member) who did under their name.
    Named contributions are activity too. An anonymous one counts nowhere: even in the rate it
    would tell, beside the named ones, whether its author was someone who had not spoken."""
    figures = HealthFigures()
    active = {m.id: m.user_id for m in active_members(session, community_id)}
    by_user = {user_id: member_id for member_id, user_id in active.items()}
    rounds = list(
        session.scalars(
            select(Round).where(
                Round.community_id == community_id,
                Round.started_at >= since,
                Round.started_at < now,
            )
        )
    )
    took_part = possible = 0
    named: set[int] = set()
    for round_ in rounds:
        if round_.kind == RoundKind.ALS and round_.set_members:
            eligible = {by_user[u] for u in round_.set_members if u in by_user}
        else:
            eligible = set(active)
        contributors: set[int] = set()
        for c in round_.contributions:
            if c.member_id is None or c.member_id not in active or c.anonymous:
                continue
            contributors.add(c.member_id)
            user_id = active[c.member_id]
            figures.activity[user_id] = figures.activity.get(user_id, 0) + 1
            if user_id not in figures.last_active or c.created_at > figures.last_active[user_id]:
                figures.last_active[user_id] = c.created_at
        took_part += len(contributors & eligible)
        possible += len(eligible)
        named |= contributors & eligible
    if possible:
        figures.rates["Round participation"] = took_part / possible
        figures.counted["Round participation"] = len(named)
    return figures
