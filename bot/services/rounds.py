"""Facilitated rounds: the phases, who may steer them, contributions, commitments and what is due."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, select, update
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
    RoundPost,
    RoundPostKind,
    RoundShare,
    RoundStatus,
    utcnow,
)
from bot.services import clock, membership, pairing
from bot.services.duties import HealthFigures
from bot.services.membership import Viewer, active_members
from bot.text import escape

TEXT_MAX = 2000
TOPIC_MAX = 500
MAX_PHASE_MINUTES = 24 * 60


class NotFacilitator(KettleError):
    user_message = "Only a convenor or this round's facilitator can do that."


class RoundClosed(KettleError):
    user_message = "That round has closed."


class NotStarted(KettleError):
    user_message = "That set hasn't started: it waits for its presenter's yes."


# A round is live while it runs or is paused; it has started once it is live or closed. A set
# proposed for someone else waits for their yes, and a declined one never starts.
LIVE = (RoundStatus.RUNNING, RoundStatus.PAUSED)
STARTED = (*LIVE, RoundStatus.CLOSED)


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
    return bool(current and current.get("question_phase")) and round_.status in LIVE


# -- starting ------------------------------------------------------------------------------


def _minutes(values: list[int], count: int) -> list[int]:
    out = [max(0, min(int(v), MAX_PHASE_MINUTES)) for v in values[:count]]
    return out + [0] * (count - len(out))


def _deadline(round_: Round, now: datetime) -> datetime | None:
    minutes = round_.phase_minutes[round_.phase_index] if round_.phase_minutes else 0
    return now + timedelta(minutes=minutes) if minutes else None


def round_channel(community: Community, requested: str | None, *, field: str) -> str:
    """Rounds run only in the CoP's private channel, so what is said in them stays among
    members; a form (or a forged payload) asking for any other channel is refused."""
    channel = community.channel_id
    if not channel:
        raise InvalidInput(
            "No CoP channel", {field: "This CoP has no private channel yet, so rounds can't run."}
        )
    if requested and requested != channel:
        raise InvalidInput(
            "Not the CoP channel",
            {"channel": "Rounds run only in the CoP's private channel, among members."},
        )
    return channel


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
    minutes_per_phase: int,
    allow_anonymous: bool,
    now: datetime,
    channel_id: str | None = None,
    source_key: str | None = None,
) -> tuple[Round, bool]:
    """Open an appreciative-inquiry round in its first phase, in the CoP's private channel
    (`channel_id` is the one a form asked for); the same submission opens one."""
    topic = (topic or "").strip()
    if not topic:
        raise InvalidInput("Name the topic.", {"topic": "Name what you want more of."})
    channel = round_channel(community, channel_id, field="topic")
    existing = _existing(session, source_key)
    if existing is not None:
        return existing, False
    count = len(phases(RoundKind.AI))
    round_ = Round(
        community_id=community.id,
        kind=RoundKind.AI,
        topic=topic[:TOPIC_MAX],
        facilitator_id=facilitator.id,
        channel_id=channel,
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
    now: datetime,
    channel_id: str | None = None,
    source_key: str | None = None,
) -> tuple[Round, bool]:
    """An action-learning set in the CoP's private channel. A member presenting their own
    challenge opens it at once; anyone else named as presenter is asked first, and the set
    waits (proposed) for their yes."""
    challenge = (challenge or "").strip()
    if not challenge:
        raise InvalidInput("Describe the challenge.", {"challenge": "A sentence or two, please."})
    channel = round_channel(community, channel_id, field="challenge")
    existing = _existing(session, source_key)
    if existing is not None:
        return existing, False
    count = len(phases(RoundKind.ALS))
    members = [u for u in dict.fromkeys(set_member_ids) if u and u != presenter.user_id]
    own = presenter.id == facilitator.id
    round_ = Round(
        community_id=community.id,
        kind=RoundKind.ALS,
        topic=challenge[:TOPIC_MAX],
        facilitator_id=facilitator.id,
        presenter_id=presenter.id,
        set_members=members,
        channel_id=channel,
        phase_minutes=_minutes(minutes, count),
        phase_index=0,
        phase_started_at=now,
        started_at=now,
        source_key=source_key,
        status=RoundStatus.RUNNING if own else RoundStatus.PROPOSED,
        settings={},
    )
    if own:
        _begin(session, round_, presenter, now)
    session.add(round_)
    session.flush()
    return round_, True


def _begin(session: Session, round_: Round, presenter: Member, now: datetime) -> None:
    """The set starts now, opening with the presenter's report-back from last time."""
    round_.status = RoundStatus.RUNNING
    round_.phase_index = 0
    round_.phase_started_at = now
    round_.started_at = now
    round_.phase_deadline = _deadline(round_, now)
    round_.opening_note = report_back(session, presenter)


def answer_presenter(
    session: Session, round_: Round, member: Member, *, yes: bool, now: datetime
) -> bool:
    """The named presenter's own answer: yes starts the set, no means it never runs (and what
    was written about them goes). False when the set is no longer waiting for an answer."""
    if round_.kind != RoundKind.ALS or round_.presenter_id != member.id:
        raise NotFound("That request isn't yours to answer.")
    if round_.status != RoundStatus.PROPOSED:
        return False
    if yes:
        _begin(session, round_, member, now)
    else:
        _decline(round_, now)
    session.flush()
    return True


def _decline(round_: Round, now: datetime, *, withdrawn: bool = False) -> None:
    if withdrawn:
        round_.settings = {**(round_.settings or {}), "withdrawn": True}
    round_.status = RoundStatus.DECLINED
    round_.closed_at = now
    round_.topic = ""
    round_.set_members = []
    round_.opening_note = ""


def mark_presenter_asked(session: Session, round_id: int) -> None:
    round_ = session.get(Round, round_id)
    if round_ is not None:
        round_.settings = {**(round_.settings or {}), "presenter_asked": True}
        session.flush()


def awaiting_ask(round_: Round) -> bool:
    """A proposed set whose presenter has not been asked yet."""
    return round_.status == RoundStatus.PROPOSED and not (round_.settings or {}).get(
        "presenter_asked"
    )


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
    """The presenter's actions from last time (already said in that set's thread), and how each
    went only where they chose to share it."""
    actions = previous_actions(session, presenter)
    if not actions:
        return ""
    p = prompts_()["als"]
    lines = []
    for c in actions:
        if not c.report:
            report = p["no_report"]
        elif c.report_visibility != RoundShare.COP:
            report = p["report_private"]
        else:
            report = escape(c.report)
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
    if round_.status not in LIVE:
        raise NotStarted(prompts_()["messages"]["not_started"])


# -- moving through the phases -------------------------------------------------------------


def advance(session: Session, round_: Round, *, now: datetime, expected_phase: int | None) -> bool:
    """Move to the next phase (or close after the last). A stale button changes nothing, and
    neither does any button of a set that has not started."""
    if round_.status not in LIVE:
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
    if round_.status not in LIVE:
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
    if round_.status not in LIVE:
        return
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
    """Rounds whose opening, current phase or synthesis has not been posted yet, and proposed
    sets whose presenter has not been asked yet."""
    candidates = session.scalars(
        select(Round).where(
            Round.status.in_(LIVE)
            | (Round.status == RoundStatus.PROPOSED)
            | ((Round.status == RoundStatus.CLOSED) & Round.synthesis_posted.is_(False))
        )
    )
    return [
        r
        for r in candidates
        if awaiting_ask(r)
        or (r.status in STARTED and r.thread_ts is None)
        or (r.status in LIVE and r.announced_phase < r.phase_index)
        or (r.status == RoundStatus.CLOSED and not r.synthesis_posted)
    ]


# -- contributions and commitments ---------------------------------------------------------


def may_contribute(round_: Round, viewer: Viewer) -> bool:
    current = phase(round_)
    if current is None or round_.status not in LIVE or not viewer.is_member:
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
    session: Session,
    commitment_id: int,
    member_id: int,
    *,
    text: str,
    shared: bool,
    now: datetime,
) -> RoundCommitment:
    """How it went, as its owner tells it, with their choice: private unless they share it."""
    commitment = session.get(RoundCommitment, commitment_id)
    if commitment is None or commitment.member_id != member_id:
        raise NotFound()
    text = (text or "").strip()
    if not text:
        raise InvalidInput("Tell us a little.", {"text": "A few words are plenty."})
    commitment.report = text[:TEXT_MAX]
    commitment.report_visibility = RoundShare.COP if shared else RoundShare.PRIVATE
    commitment.reported_at = now
    session.flush()
    return commitment


# -- what is due ---------------------------------------------------------------------------


def due_invitations(session: Session, now: datetime) -> list[tuple[Round, list[Member]]]:
    """AI rounds some minutes into a phase that have not invited anyone yet: members quiet in
    that phase, not yet invited to this round, who have not said no. A round invites once,
    never again in a later phase."""
    after = timedelta(minutes=int(prompts_().get("invite_after_minutes", 5)))
    rounds = session.scalars(
        select(Round).where(
            Round.status == RoundStatus.RUNNING,
            Round.kind == RoundKind.AI,
            Round.invited_phase < 0,
        )
    )
    out = []
    for r in rounds:
        if r.announced_phase < r.phase_index or r.phase_started_at + after > now:
            continue
        spoke = {c.member_id for c in r.contributions if c.phase_index == r.phase_index}
        spoke |= {c.member_id for c in r.commitments}
        noted = set(
            session.scalars(
                select(RoundNote.member_id).where(
                    RoundNote.round_id == r.id, RoundNote.kind == "invite"
                )
            )
        )
        people = [
            m
            for m in active_members(session, r.community_id)
            if m.id not in spoke | noted and wants_invitations(session, m.id)
        ]
        out.append((r, people))
    return out


def wants_invitations(session: Session, member_id: int) -> bool:
    """False once the member said "no more invitations"; it holds for every round after."""
    return session.get(RoundOptOut, member_id) is None


def mark_invited(session: Session, round_id: int, phase_index: int) -> None:
    """The round has sent its invitations (in this phase); it sends no more."""
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
        select(Round).where(Round.status.in_(LIVE), Round.tea_break_sent.is_(False))
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
            select(Round.presenter_id).where(Round.kind == RoundKind.ALS, Round.status.in_(LIVE))
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
            Round.status.in_(LIVE),
        )
    )


def interview_groups(session: Session, round_: Round) -> list[list[Member]]:
    """Pairs (a trio when the count is odd) for appreciative interviews, stable for a round.
    They honour pairing's choices: nobody who turned pairing off or paused it, and never two
    people one of whom asked not to be paired with the other (someone is left out only when
    every grouping would do that). Nobody is told why."""
    people = {m.id: m for m in active_members(session, round_.community_id)}
    ids = [i for i in people if i not in pairing.declines_pairing(session, list(people))]
    groups = pairing.make_groups(
        ids,
        costs={},
        forbidden=pairing.forbidden_pairs(session, ids),
        seed=f"interview:{round_.id}",
    )
    return [[people[i] for i in group] for group in groups]


@dataclass(frozen=True)
class RoundLine:
    id: int
    kind: RoundKind
    topic: str
    status: RoundStatus
    phase_name: str
    started_at: datetime


def list_rounds(session: Session, community_id: int, *, limit: int = 10) -> list[RoundLine]:
    """Rounds that have started: a set still waiting for its presenter's yes names them, so
    it shows nowhere until they say it."""
    rows = session.scalars(
        select(Round)
        .where(Round.community_id == community_id, Round.status.in_(STARTED))
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
    name, as they chose for their stories (a report of how one went stays only if they had
    shared it: nobody else may ever read a private one); their opt-out and notes go; they leave each set; a
    set they presented loses their report-back (and, unless they keep their words, its
    challenge); a proposal waiting on them, or made by them, is withdrawn. Every post that
    carries their words or name is marked to be edited (or taken down) in Slack."""
    keep = membership.forget_scope(session).keep_stories
    removed = str(prompts_()["messages"]["removed"])
    touched: set[int] = set()
    said: list[int] = []
    committed: list[int] = []
    for row in session.scalars(
        select(RoundContribution).where(RoundContribution.member_id == member.id)
    ):
        touched.add(row.round_id)
        said.append(row.id)
        if keep:
            row.member_id = None
            row.anonymous = True
        else:
            session.delete(row)
    for commitment in session.scalars(
        select(RoundCommitment).where(RoundCommitment.member_id == member.id)
    ):
        touched.add(commitment.round_id)
        committed.append(commitment.id)
        if keep:
            commitment.member_id = None
            if commitment.report_visibility != RoundShare.COP:
                commitment.report = None  # only its owner could read it, and they are gone
        else:
            session.delete(commitment)
    session.execute(delete(RoundNote).where(RoundNote.member_id == member.id))
    session.execute(delete(RoundOptOut).where(RoundOptOut.member_id == member.id))
    named: set[int] = set()
    for round_ in session.scalars(select(Round).where(Round.community_id == member.community_id)):
        if member.user_id in (round_.set_members or []):
            round_.set_members = [u for u in round_.set_members if u != member.user_id]
            named.add(round_.id)
        if round_.facilitator_id == member.id:
            if round_.status == RoundStatus.PROPOSED:
                _decline(round_, utcnow(), withdrawn=True)  # who asked is gone
            round_.facilitator_id = None
            named.add(round_.id)
        if round_.presenter_id == member.id:
            if round_.status == RoundStatus.PROPOSED:
                _decline(round_, utcnow(), withdrawn=True)  # nobody is left to say yes
            round_.presenter_id = None
            round_.opening_note = ""
            if not keep and round_.topic:
                round_.topic = removed
            named.add(round_.id)
    session.flush()
    for round_ in session.scalars(select(Round).where(Round.id.in_(touched))):
        if round_.synthesis is not None:
            session.expire(round_, ["contributions", "commitments"])
            round_.synthesis = synthesis(round_)
    _mark_posts(session, member, rounds=touched | named, said=said, committed=committed)
    session.flush()


def _mark_posts(
    session: Session, member: Member, *, rounds: set[int], said: list[int], committed: list[int]
) -> None:
    """Mark every recorded post that carries the member's words or name as stale."""
    whole = (RoundPost.round_id.in_(rounds)) & RoundPost.kind.in_(
        (RoundPostKind.OPENING, RoundPostKind.SYNTHESIS, RoundPostKind.ASK)
    )
    theirs = (
        ((RoundPost.kind == RoundPostKind.CONTRIBUTION) & RoundPost.ref_id.in_(said))
        | ((RoundPost.kind == RoundPostKind.COMMITMENT) & RoundPost.ref_id.in_(committed))
        | (RoundPost.member_id == member.id)
    )
    session.execute(update(RoundPost).where(whole | theirs).values(stale=True))
    session.execute(
        update(RoundPost).where(RoundPost.member_id == member.id).values(member_id=None)
    )


# -- where round posts are, so that forget-me can reach them ---------------------------------------


def record_post(
    session: Session,
    round_id: int,
    kind: RoundPostKind,
    channel_id: str,
    ts: str,
    *,
    ref_id: int | None = None,
    member_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Remember where a post that carries someone's words or name is (once per message)."""
    found = session.scalar(
        select(RoundPost.id).where(RoundPost.channel_id == channel_id, RoundPost.ts == ts)
    )
    if found is not None:
        return
    session.add(
        RoundPost(
            round_id=round_id,
            kind=kind,
            ref_id=ref_id,
            member_id=member_id,
            detail=detail,
            channel_id=channel_id,
            ts=ts,
        )
    )
    session.flush()


def stale_posts(session: Session) -> list[RoundPost]:
    return list(session.scalars(select(RoundPost).where(RoundPost.stale.is_(True))))


def post_content(session: Session, post: RoundPost) -> RoundContribution | RoundCommitment | None:
    """What a contribution or commitment post shows; None once it has been deleted."""
    if post.kind == RoundPostKind.CONTRIBUTION:
        return session.get(RoundContribution, post.ref_id or 0)
    if post.kind == RoundPostKind.COMMITMENT:
        return session.get(RoundCommitment, post.ref_id or 0)
    return None


def settle_post(session: Session, post_id: int, *, taken_down: bool) -> None:
    """The post now says what it should (or is gone)."""
    post = session.get(RoundPost, post_id)
    if post is None:
        return
    if taken_down:
        session.delete(post)
    else:
        post.stale = False
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
                "report_visibility": c.report_visibility.value,
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
                Round.status.in_(STARTED),
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
