"""The pulse after a meeting: a score and a note from those who came, and what the convenor
hears of it (no names, and nothing from too few)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import privacy
from bot.errors import InvalidInput
from bot.models import Meeting, MeetingPulse, Member
from bot.services.meetings.plans import AGENDA_MAX


def record_pulse(
    session: Session,
    meeting: Meeting,
    member: Member,
    day: date,
    *,
    score: int | None = None,
    note: str | None = None,
) -> MeetingPulse:
    if score is not None and not 1 <= score <= 5:
        raise InvalidInput("Choose a number from 1 to 5.")
    row = session.scalar(
        select(MeetingPulse).where(
            MeetingPulse.meeting_id == meeting.id,
            MeetingPulse.occurrence == day,
            MeetingPulse.member_id == member.id,
        )
    )
    if row is None:
        row = MeetingPulse(meeting_id=meeting.id, occurrence=day, member_id=member.id, note="")
        session.add(row)
    if score is not None:
        row.score = score
    if note is not None:
        row.note = note.strip()[:AGENDA_MAX]
    session.flush()
    return row


@dataclass(frozen=True)
class PulseSummary:
    answers: int
    average: float | None
    spread: dict[int, int]
    notes: list[str]

    @property
    def too_few(self) -> bool:
        return not privacy.enough(self.answers)


def pulse_summary(session: Session, meeting_id: int, day: date) -> PulseSummary:
    """Scores and notes without names: the convenor learns how it went, not who said what; and
    nothing at all from fewer than `privacy.MIN_SHARED` answers, which could be told apart."""
    rows = list(
        session.scalars(
            select(MeetingPulse).where(
                MeetingPulse.meeting_id == meeting_id, MeetingPulse.occurrence == day
            )
        )
    )
    if not privacy.enough(len(rows)):
        return PulseSummary(len(rows), None, {}, [])
    scores = [r.score for r in rows if r.score is not None]
    spread = {n: scores.count(n) for n in range(1, 6)}
    notes = sorted(r.note for r in rows if r.note)
    average = round(sum(scores) / len(scores), 1) if scores else None
    return PulseSummary(len(rows), average, spread, notes)
