"""A member's check-in: the form's answer checked and recorded (one a week), a skip, and their
recent weeks."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.errors import InvalidInput
from bot.models import Checkin, CheckinStatus, Member, Visibility
from bot.services.fields import copy_fields

# The choices that let the convenors read a check-in; "just me" is the member's alone.
SHARED = tuple(v for v in Visibility if v.convenors_may_see)
TEXT_MAX = 1000


@dataclass(frozen=True)
class Answer:
    mood: int
    on_mind: str = ""
    win: str = ""
    challenge: str = ""
    support: str = ""
    tell_convenors: bool = False
    visibility: Visibility = Visibility.PRIVATE


def validate_answer(
    *,
    mood: str | None,
    on_mind: str | None,
    win: str | None,
    challenge: str | None,
    support: str | None,
    tell_convenors: bool,
    visibility: str | None,
    field_ids: dict[str, str],
) -> Answer:
    errors: dict[str, str] = {}
    level = int(mood) if mood is not None and mood.isdigit() else None
    level = level if level is not None and 1 <= level <= 5 else None
    if level is None:
        errors[field_ids["mood"]] = "Choose how you are, from 1 to 5."
    texts = {"on_mind": on_mind, "win": win, "challenge": challenge, "support": support}
    for name, value in texts.items():
        if len((value or "").strip()) > TEXT_MAX:
            errors[field_ids[name]] = f"Up to {TEXT_MAX} characters, please."
    try:
        seen_by = Visibility(visibility or "")
    except ValueError:
        errors[field_ids["visibility"]] = "Choose who may see this."
        seen_by = Visibility.PRIVATE
    if errors:
        raise InvalidInput("Please check the form.", errors)
    return Answer(
        mood=level or 3,
        on_mind=(on_mind or "").strip(),
        win=(win or "").strip(),
        challenge=(challenge or "").strip(),
        support=(support or "").strip(),
        tell_convenors=tell_convenors,
        visibility=seen_by,
    )


def get_checkin(session: Session, member_id: int, week: str) -> Checkin | None:
    return session.scalar(
        select(Checkin).where(Checkin.member_id == member_id, Checkin.week == week)
    )


def record_answer(session: Session, *, member: Member, week: str, answer: Answer) -> Checkin:
    """One check-in per member per week: a second answer updates the first."""
    checkin = get_checkin(session, member.id, week)
    if checkin is None:
        checkin = Checkin(community_id=member.community_id, member_id=member.id, week=week)
        session.add(checkin)
    checkin.status = CheckinStatus.ANSWERED
    copy_fields(answer, checkin)
    session.flush()
    return checkin


def record_skip(session: Session, *, member: Member, week: str) -> tuple[Checkin, bool]:
    """Skipping never overwrites an answer already given. Returns the week's check-in and
    whether this press skipped it (False when it was already answered or skipped)."""
    checkin = get_checkin(session, member.id, week)
    if checkin is not None:
        return checkin, False
    checkin = Checkin(
        community_id=member.community_id,
        member_id=member.id,
        week=week,
        status=CheckinStatus.SKIPPED,
    )
    session.add(checkin)
    session.flush()
    return checkin, True


def recent_checkins(session: Session, member_id: int, *, limit: int = 6) -> list[Checkin]:
    return list(
        session.scalars(
            select(Checkin)
            .where(Checkin.member_id == member_id)
            .order_by(Checkin.week.desc())
            .limit(limit)
        )
    )
