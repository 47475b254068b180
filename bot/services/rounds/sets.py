"""Standing action-learning sets: 4 to 8 members of the CoP, the adviser among them, who meet
again and again on a rhythm in a group DM of their own (Revans: a set stays together over
months, its members each working on a problem of their own). Creating a set, seeing it, its
rhythm kept on its own zone's wall clock, and members volunteering to present (only
volunteers present, and each confirms before the meeting starts)."""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.errors import InvalidInput, NotFound
from bot.models import (
    Community,
    LearningSet,
    Member,
    OfferStatus,
    Round,
    RoundStatus,
    SetOffer,
    SetRhythm,
)
from bot.services import clock, membership
from bot.services.rounds.method import TEXT_MAX, TOPIC_MAX, by_source_key, phase_at, prompts_

SMALLEST, LARGEST = 4, 8  # a group DM holds 8 people besides Kettle
MEETINGS_MAX = 52


def next_after(rhythm: SetRhythm, tz: str, at: datetime) -> datetime:
    """The meeting after `at`, at the same wall-clock time in the set's zone (a weekly set at
    20:00 in London stays at 20:00 when the clocks change)."""
    zone = clock.zone(tz)
    local = at.astimezone(zone).replace(tzinfo=None)
    if rhythm == SetRhythm.MONTHLY:
        year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
        day = min(local.day, calendar.monthrange(year, month)[1])
        following = local.replace(year=year, month=month, day=day)
    else:
        following = local + timedelta(days=7 if rhythm == SetRhythm.WEEKLY else 14)
    return following.replace(tzinfo=zone).astimezone(at.tzinfo)


def local_when(at: datetime, tz: str | None) -> str:
    """A meeting's time as someone reads it in their own zone: "Thursday 3 December, 09:00"."""
    local = at.astimezone(clock.zone(tz))
    return f"{local:%A} {local.day} {local:%B}, {local:%H:%M}"


def create_set(
    session: Session,
    *,
    community: Community,
    creator: Member,
    name: str | None,
    adviser_id: str | None,
    member_ids: list[str],
    rhythm: str | None,
    day: str | None,
    at: str | None,
    meetings: str | None,
    now: datetime,
    source_key: str | None = None,
) -> tuple[LearningSet, bool]:
    """A standing set from its form; field errors name what is wrong. The first meeting's day
    and time are read in the creator's own zone; the rhythm keeps that zone's wall clock."""
    existing = by_source_key(session, LearningSet, source_key)
    if existing is not None:
        return existing, False
    s = prompts_()["sets"]
    errors: dict[str, str] = {}
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = "Give the set a name."
    adviser = membership.get_member(session, community.id, adviser_id or "")
    if adviser is None or not adviser.is_active:
        errors["adviser"] = "Pick a member of the CoP as set adviser."
    people = list(dict.fromkeys([u for u in member_ids if u]))
    found = {u: membership.get_member(session, community.id, u) for u in people}
    if any(m is None or not m.is_active for m in found.values()):
        errors["members"] = "Pick members of the CoP."
    if adviser is not None and adviser.user_id not in people:
        people.append(adviser.user_id)
    if "members" not in errors and len(people) < SMALLEST:
        errors["members"] = str(s["too_few"])
    elif "members" not in errors and len(people) > LARGEST:
        errors["members"] = str(s["too_many"])
    try:
        chosen = SetRhythm(rhythm or "")
    except ValueError:
        chosen = SetRhythm.WEEKLY
        errors["rhythm"] = "Choose how often the set meets."
    count = int(meetings or "") if (meetings or "").strip().isdigit() else -1
    if not 1 <= count <= MEETINGS_MAX:
        errors["meetings"] = f"Between 1 and {MEETINGS_MAX} meetings."
    first = _first_meeting(day, at, creator.tz, now, errors)
    if errors or first is None:
        raise InvalidInput("Please check the form.", errors)
    assert adviser is not None
    set_ = LearningSet(
        community_id=community.id,
        name=name[:TOPIC_MAX],
        adviser_id=adviser.id,
        created_by_id=creator.id,
        members=people,
        rhythm=chosen,
        tz=str(clock.zone(creator.tz)),
        next_meeting_at=first,
        meetings_planned=count,
        meetings_held=0,
        source_key=source_key,
    )
    session.add(set_)
    session.flush()
    return set_, True


def _first_meeting(
    day: str | None, at: str | None, tz: str | None, now: datetime, errors: dict[str, str]
) -> datetime | None:
    try:
        chosen_day = date.fromisoformat(day or "")
    except ValueError:
        errors["day"] = "Choose the day of the first meeting."
        return None
    try:
        hours, minutes = (int(x) for x in (at or "").split(":"))
        local = datetime.combine(chosen_day, time(hours, minutes), tzinfo=clock.zone(tz))
    except ValueError:
        errors["time"] = "Choose the time it starts."
        return None
    first = local.astimezone(now.tzinfo)
    if first <= now:
        errors["day"] = "That time has already passed."
        return None
    return first


def get_set(session: Session, set_id: int, *, community_id: int | None) -> LearningSet:
    set_ = session.get(LearningSet, set_id)
    if set_ is None or (community_id is not None and set_.community_id != community_id):
        raise NotFound()
    return set_


def my_sets(session: Session, community_id: int, user_id: str) -> list[LearningSet]:
    """The sets the person is in: nobody else sees a set, not even that it exists."""
    rows = session.scalars(
        select(LearningSet).where(LearningSet.community_id == community_id).order_by(LearningSet.id)
    )
    return [s for s in rows if user_id in (s.members or [])]


def set_meetings(session: Session, set_: LearningSet) -> list[Round]:
    return list(session.scalars(select(Round).where(Round.set_id == set_.id).order_by(Round.id)))


def reviews(session: Session, set_: LearningSet) -> list[tuple[Round, str, Member | None]]:
    """What the set said in its learning reviews, meeting by meeting: kept with the set and
    shown to its members (the contributions were already said in the set's own thread)."""
    out = []
    for meeting in set_meetings(session, set_):
        for c in meeting.contributions:
            if (phase_at(meeting, c.phase_index) or {}).get("review"):
                out.append((meeting, c.text, c.member))
    return out


def note_space(session: Session, set_id: int, channel_id: str) -> None:
    set_ = session.get(LearningSet, set_id)
    if set_ is not None and not set_.channel_id:
        set_.channel_id = channel_id
        session.flush()


# -- volunteering to present ------------------------------------------------------------------


def offer(
    session: Session,
    set_: LearningSet,
    member: Member,
    *,
    meeting_at: datetime,
    problem: str | None,
    help_wanted: str | None,
    now: datetime,
) -> SetOffer:
    """A member volunteers their own problem for the coming meeting. The adviser holds the
    process and does not present; an offer for a meeting that has begun is refused."""
    s = prompts_()["sets"]
    if member.user_id not in (set_.members or []):
        raise NotFound(str(s["not_a_set_member"]))
    if member.id == set_.adviser_id:
        raise InvalidInput(str(s["adviser_presents"]), {"problem": str(s["adviser_presents"])})
    if set_.next_meeting_at is None or set_.next_meeting_at != meeting_at or meeting_at <= now:
        raise InvalidInput(str(s["offer_closed"]), {"problem": str(s["offer_closed"])})
    text = (problem or "").strip()
    if not text:
        raise InvalidInput("Say the problem.", {"problem": "A sentence or two, please."})
    found = session.scalar(
        select(SetOffer).where(
            SetOffer.set_id == set_.id,
            SetOffer.meeting_at == meeting_at,
            SetOffer.member_id == member.id,
        )
    )
    if found is None:
        found = SetOffer(set_id=set_.id, meeting_at=meeting_at, member_id=member.id)
        session.add(found)
    found.problem = text[:TEXT_MAX]
    found.help_wanted = (help_wanted or "").strip()[:TEXT_MAX]
    found.status = OfferStatus.OFFERED
    found.asked_at = None
    session.flush()
    return found


def confirm_offer(
    session: Session, offer_id: int, member: Member, *, yes: bool, now: datetime
) -> SetOffer | None:
    """The volunteer's own confirmation before the meeting: yes, they present; no, they
    don't, and nobody is told why. None when it is no longer waiting for an answer."""
    found = session.get(SetOffer, offer_id)
    if found is None or found.member_id != member.id:
        raise NotFound(str(prompts_()["sets"]["not_yours"]))
    if found.status != OfferStatus.OFFERED or found.meeting_at <= now:
        return None
    found.status = OfferStatus.CONFIRMED if yes else OfferStatus.WITHDRAWN
    if not yes:
        found.problem, found.help_wanted = "", ""
    session.flush()
    return found


def still_running(round_: Round) -> bool:
    return round_.status in (RoundStatus.RUNNING, RoundStatus.PAUSED)
