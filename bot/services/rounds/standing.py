"""A standing set on its rhythm: what is due at `now` (its group DM, the call for presenters,
each volunteer's confirmation, the meeting itself) and opening each meeting as a round in the
set's own group DM. A meeting after the first opens with the report-back of the last meeting's
presenters (Revans: the set follows up the action) and every meeting ends with a learning review
of the set's process (Pedler; McGill & Brockbank)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db import lock
from bot.models import (
    LearningSet,
    OfferStatus,
    Round,
    RoundKind,
    RoundNote,
    RoundStatus,
    SetOffer,
)
from bot.services.rounds.commitments import action_line
from bot.services.rounds.method import (
    MAX_PHASE_MINUTES,
    phase_at,
    phases,
    prompts_,
    turn_of,
    who,
)
from bot.services.rounds.phases import deadline_from
from bot.services.rounds.sets import next_after, reviews
from bot.text import escape


def _active(session: Session) -> list[LearningSet]:
    return list(
        session.scalars(
            select(LearningSet)
            .where(LearningSet.next_meeting_at.is_not(None))
            .order_by(LearningSet.id)
        )
    )


def due_spaces(session: Session) -> list[LearningSet]:
    """Sets whose group DM is not open yet (a set moving out of one opens its next as it
    moves)."""
    return [s for s in _active(session) if not s.channel_id and not s.moved_from]


def due_calls(session: Session, now: datetime) -> list[LearningSet]:
    """Sets whose next meeting is near enough to ask who would like to present."""
    before = timedelta(days=int(prompts_()["sets"].get("call_days_before", 2)))
    return [
        s
        for s in _active(session)
        if s.channel_id
        and s.next_meeting_at is not None
        and s.called_for != s.next_meeting_at
        and s.next_meeting_at - before <= now
    ]


def mark_called(session: Session, set_id: int, meeting_at: datetime) -> None:
    set_ = session.get(LearningSet, set_id)
    if set_ is not None:
        set_.called_for = meeting_at
        session.flush()


def due_reminders(session: Session, now: datetime) -> list[LearningSet]:
    """Sets whose next meeting is an hour or so away: each member is reminded in their zone."""
    before = timedelta(hours=int(prompts_()["sets"].get("remind_hours_before", 1)))
    return [
        s
        for s in _active(session)
        if s.channel_id
        and s.next_meeting_at is not None
        and s.reminded_for != s.next_meeting_at
        and s.next_meeting_at - before <= now < s.next_meeting_at
    ]


def mark_reminded(session: Session, set_id: int, meeting_at: datetime) -> None:
    set_ = session.get(LearningSet, set_id)
    if set_ is not None:
        set_.reminded_for = meeting_at
        session.flush()


def due_confirmations(session: Session, now: datetime) -> list[SetOffer]:
    """Volunteers to ask for their confirmation: a few hours before the meeting (or at once,
    for an offer made later than that)."""
    before = timedelta(hours=int(prompts_()["sets"].get("confirm_hours_before", 2)))
    rows = session.scalars(
        select(SetOffer)
        .where(SetOffer.status == OfferStatus.OFFERED, SetOffer.asked_at.is_(None))
        .order_by(SetOffer.id)
    )
    return [o for o in rows if o.meeting_at - before <= now < o.meeting_at]


def mark_asked(session: Session, offer_id: int, now: datetime) -> None:
    found = session.get(SetOffer, offer_id)
    if found is not None and found.asked_at is None:
        found.asked_at = now
        session.flush()


def due_openings(session: Session, now: datetime) -> list[LearningSet]:
    return [
        s
        for s in _active(session)
        if s.channel_id and s.next_meeting_at is not None and s.next_meeting_at <= now
    ]


def _minutes(index: int) -> int:
    return max(0, min(int(phases(RoundKind.ALS)[index].get("minutes", 10)), MAX_PHASE_MINUTES))


def open_meeting(session: Session, set_: LearningSet, now: datetime) -> Round | None:
    """The set's next meeting, opened once (its key names the set and the meeting's time):
    the confirmed presenters, each with their phases, after the report-back, before the
    learning review. Offers never confirmed lapse; the set moves on to its next meeting.
    The set's row is held meanwhile, so a second worker waits and then finds nothing due."""
    lock(session, set_)
    meeting_at = set_.next_meeting_at
    if meeting_at is None or meeting_at > now:
        return None  # not due (any more: another worker has just opened it)
    key = f"set:{set_.id}:{meeting_at.isoformat()}"
    existing = session.scalar(select(Round).where(Round.source_key == key))
    if existing is not None:
        return existing
    previous = session.scalars(
        select(Round).where(Round.set_id == set_.id).order_by(Round.id.desc())
    ).first()
    offers = list(
        session.scalars(
            select(SetOffer)
            .where(SetOffer.set_id == set_.id, SetOffer.meeting_at == meeting_at)
            .order_by(SetOffer.id)
        )
    )
    presenters = [o for o in offers if o.status == OfferStatus.CONFIRMED]
    for o in offers:
        if o.status == OfferStatus.OFFERED:
            o.status, o.problem, o.help_wanted = OfferStatus.WITHDRAWN, "", ""
    all_phases = phases(RoundKind.ALS)
    reporting = _reporting(previous, set_)
    steps: list[list[int | None]] = []
    for i, ph in enumerate(all_phases):
        if ph.get("report_back") and reporting:
            steps.append([i, None])
    for o in presenters:
        steps += [[i, o.member_id] for i, ph in enumerate(all_phases) if ph.get("per_presenter")]
    steps += [[i, None] for i, ph in enumerate(all_phases) if ph.get("review")]
    round_ = Round(
        community_id=set_.community_id,
        kind=RoundKind.ALS,
        topic=set_.name,
        facilitator_id=set_.adviser_id,
        presenter_id=presenters[0].member_id if presenters else None,
        set_members=list(set_.members or []),
        channel_id=set_.channel_id or "",
        phase_minutes=[_minutes(int(p or 0)) for p, _ in steps],
        phase_index=0,
        phase_started_at=now,
        started_at=now,
        source_key=key,
        status=RoundStatus.RUNNING,
        set_id=set_.id,
        settings={"plan": steps, "reporting": reporting, "number": set_.meetings_held + 1},
    )
    round_.opening_note = report_back_note(session, previous, set_)
    round_.phase_deadline = deadline_from(round_, now)
    session.add(round_)
    session.flush()
    for o in presenters:
        o.round_id = round_.id
    set_.meetings_held += 1
    more = not set_.meetings_planned or set_.meetings_held < set_.meetings_planned
    set_.next_meeting_at = next_after(set_.rhythm, set_.tz, meeting_at) if more else None
    session.flush()
    return round_


def _reporting(previous: Round | None, set_: LearningSet) -> list[int]:
    """The last meeting's presenters who are still in the set: they report back."""
    if previous is None:
        return []
    ids = [m for _, m in (previous.settings or {}).get("plan", []) if m is not None]
    still = {o.member_id for o in previous.offers if o.member.user_id in (set_.members or [])}
    return [m for m in dict.fromkeys(ids) if m in still]


def report_back_note(session: Session, previous: Round | None, set_: LearningSet) -> str:
    """Each last presenter's actions, and how each went only where its owner said yes to
    sharing it; then what the set said about its own process last time."""
    if previous is None:
        return ""
    p = prompts_()["als"]
    parts = []
    for member_id in _reporting(previous, set_):
        actions = [c for c in previous.commitments if c.member_id == member_id]
        if not actions:
            continue
        parts.append(
            str(p["set_report_back"]).format(
                presenter=who(actions[0].member),
                actions="\n".join(action_line(c) for c in actions),
            )
        )
    said = [
        (text, member) for meeting, text, member in reviews(session, set_) if meeting is previous
    ]
    if said:
        lines = "\n".join(f"• {escape(text)} ({who(member)})" for text, member in said)
        parts.append(str(p["set_last_review"]).format(lines=lines))
    return "\n\n".join(parts)


def due_adviser_prompts(session: Session) -> list[tuple[Round, str]]:
    """Running set meetings whose current phase has been posted and has a process prompt the
    adviser has not had yet: (meeting, prompt)."""
    rounds = session.scalars(
        select(Round).where(
            Round.kind == RoundKind.ALS,
            Round.status == RoundStatus.RUNNING,
            Round.facilitator_id.is_not(None),
            Round.set_id.is_not(None),
        )
    )
    out = []
    for r in rounds:
        ph = phase_at(r, r.phase_index) or {}
        if r.announced_phase < r.phase_index or not ph.get("adviser_prompt"):
            continue
        sent = session.scalar(
            select(RoundNote.id).where(
                RoundNote.round_id == r.id,
                RoundNote.phase_index == r.phase_index,
                RoundNote.member_id == r.facilitator_id,
                RoundNote.kind == "process",
            )
        )
        if sent is None:
            presenter = next((o.member for o in r.offers if o.member_id == turn_of(r)), r.presenter)
            out.append((r, str(ph["adviser_prompt"]).format(presenter=who(presenter))))
    return out
