"""Commitments and what follows them: the date as its owner picked it, a reminder before it,
"how did it go?" after it, the owner's report with the visibility they chose, and a presenter's
report-back at the start of their next set."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.errors import InvalidInput, NotFound
from bot.models import (
    Member,
    Round,
    RoundChoice,
    RoundCommitment,
    RoundJoiner,
    RoundKind,
    RoundShare,
    RoundStatus,
)
from bot.services import clock
from bot.services.rounds.method import LIVE, TEXT_MAX, add_once, prompts_, written
from bot.text import escape


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
    choice_id: int | None = None,
) -> tuple[RoundCommitment, bool]:
    """A commitment; in AI's Destiny it is tied to one of the round's provocative propositions
    (`choice_id`), which the form requires once there are any."""
    what = written(what, field="text", refusal="Say what you'll do.", hint="What will you do?")
    if choice_id is not None:
        choice = session.get(RoundChoice, choice_id)
        if choice is None or choice.round_id != round_.id:
            raise InvalidInput("Proposition", {"proposition": "Pick one of this round's."})
    commitment = RoundCommitment(
        round_id=round_.id,
        member_id=member.id,
        choice_id=choice_id,
        what=what[:TEXT_MAX],
        due_at=due_at,
        source_key=source_key,
    )
    return add_once(session, commitment)


def join_commitment(session: Session, commitment_id: int, member: Member) -> bool | None:
    """The member says they are joining someone's commitment (pressed again, they step back).
    True when they now join, False when they stepped back, None for their own or a closed
    round's."""
    commitment = session.get(RoundCommitment, commitment_id)
    if commitment is None or commitment.round.community_id != member.community_id:
        raise NotFound()
    if commitment.member_id == member.id:
        return None
    mine = session.get(RoundJoiner, (commitment.id, member.id))
    if mine is not None:
        session.delete(mine)
        session.flush()
        session.expire(commitment, ["joiners"])
        return False
    with session.begin_nested():
        session.add(RoundJoiner(commitment_id=commitment.id, member_id=member.id))
    session.expire(commitment, ["joiners"])
    return True


def own_commitment(session: Session, commitment_id: int, member_id: int | None) -> RoundCommitment:
    """One of the member's own commitments; anyone else's (or none) is not found."""
    commitment = session.get(RoundCommitment, commitment_id)
    if commitment is None or member_id is None or commitment.member_id != member_id:
        raise NotFound()
    return commitment


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
    commitment = own_commitment(session, commitment_id, member_id)
    text = written(text, field="text", refusal="Tell us a little.", hint="A few words are plenty.")
    commitment.report = text[:TEXT_MAX]
    commitment.report_visibility = RoundShare.COP if shared else RoundShare.PRIVATE
    commitment.reported_at = now
    session.flush()
    return commitment


# -- a presenter's report-back -----------------------------------------------------------------


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
    return str(p["report_back"]).format(
        presenter=escape(presenter.name or "the presenter"),
        actions="\n".join(action_line(c) for c in actions),
    )


def action_line(c: RoundCommitment) -> str:
    """One action as the report-back shows it: what, by when, and how it went only where its
    owner chose to share that (a private answer's words never appear)."""
    p = prompts_()["als"]
    if not c.report:
        report = p["no_report"]
    elif c.report_visibility != RoundShare.COP:
        report = p["report_private"]
    else:
        report = escape(c.report)
    return f"• {escape(c.what)} (by {local_due(c):%d %b}): {report}"


# -- what is due -------------------------------------------------------------------------------


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
        set_ = c.round.learning_set
        if (
            set_ is not None
            and set_.called_for is not None
            and set_.called_for > c.round.started_at
        ):
            out.append(c)  # the set's next meeting is called: it opens with the report-back
        elif c.due_at <= now or (
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
