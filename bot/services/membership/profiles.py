"""Profiles and what they feed: the directory, the group's mix, a pairing's conversation
starter; only answers a member chose to show reach other people by name."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import prompts
from bot.models import Member, MemberStatus, Profile, Role
from bot.services.membership.questions import questions
from bot.services.membership.roster import active_members


def get_profile(session: Session, member: Member) -> Profile | None:
    return session.scalar(select(Profile).where(Profile.member_id == member.id))


def save_profile(
    session: Session, member: Member, answers: dict[str, Any], *, show: bool | None
) -> Profile:
    profile = get_profile(session, member)
    if profile is None:
        profile = Profile(member_id=member.id, answers={}, show_in_directory=False)
        session.add(profile)
    profile.answers = dict(answers)
    if show is not None:
        profile.show_in_directory = show
    session.flush()
    return profile


@dataclass(frozen=True)
class DirectoryEntry:
    user_id: str
    name: str
    role: Role
    shown: dict[str, str]  # question label → answer, only when the member chose to show them


def directory(session: Session, community_id: int) -> list[DirectoryEntry]:
    public = [q for q in questions() if q.public]
    entries = []
    for member in active_members(session, community_id):
        profile = get_profile(session, member)
        shown: dict[str, str] = {}
        if profile is not None and profile.show_in_directory:
            for q in public:
                if profile.answers.get(q.key):
                    shown[q.label] = q.show(profile.answers[q.key])
        entries.append(DirectoryEntry(member.user_id, member.name, member.role, shown))
    return sorted(entries, key=lambda e: (e.role != Role.CONVENOR, e.name.lower()))


STARTER_MAX = 300


def shown_answers(session: Session, member: Member) -> dict[str, str]:
    """The profile answers a member chose to show others (label → answer), nothing otherwise."""
    profile = get_profile(session, member)
    if profile is None or not profile.show_in_directory:
        return {}
    return {
        q.label: q.show(profile.answers[q.key])
        for q in questions()
        if q.public and str(profile.answers.get(q.key) or "").strip()
    }


def conversation_starter(session: Session, member: Member) -> str | None:
    """A line about a member for a pairing intro: only answers they chose to show others,
    their own words first (a written answer says more than a picked option)."""
    shown = shown_answers(session, member)
    if not shown:
        return None
    written = {q.label for q in questions() if q.type != "select"}
    ordered = sorted(shown.items(), key=lambda item: item[0] not in written)
    text = "; ".join(f"{label}: {answer}" for label, answer in ordered[:2])
    return text[:STARTER_MAX]


@dataclass(frozen=True)
class MixValue:
    value: str
    label: str
    before: int
    after: int
    thin: bool  # the group has thin_at or fewer members with this answer now


@dataclass(frozen=True)
class DimensionMix:
    key: str
    label: str
    values: list[MixValue]
    applicant_value: str | None

    @property
    def thin_labels(self) -> list[str]:
        return [v.label for v in self.values if v.thin]

    @property
    def fills_thin_spot(self) -> bool:
        return any(v.thin and v.value == self.applicant_value for v in self.values)


def _profiles_of_active(
    session: Session, community_id: int, *, shown_only: bool = False
) -> list[dict[str, Any]]:
    query = (
        select(Profile.answers)
        .join(Member, Member.id == Profile.member_id)
        .where(Member.community_id == community_id, Member.status == MemberStatus.ACTIVE)
    )
    if shown_only:
        query = query.where(Profile.show_in_directory.is_(True))
    return [dict(r[0] or {}) for r in session.execute(query).all()]


def group_mix(
    session: Session,
    community_id: int,
    applicant: dict[str, Any] | None = None,
    *,
    shown_only: bool = False,
) -> list[DimensionMix]:
    """Counts by each profile dimension, before and (when an applicant is given) after.

    Every profile counts in the convenors' review; `shown_only` counts only what members chose
    to show in the directory, so that no count tells anyone an answer its owner kept back."""
    return group_mixes(session, community_id, [applicant], shown_only=shown_only)[0]


def group_mixes(
    session: Session,
    community_id: int,
    applicants: list[dict[str, Any] | None],
    *,
    shown_only: bool = False,
) -> list[list[DimensionMix]]:
    """`group_mix` for each of several applicants, reading the profiles once."""
    thin_at = int(prompts.load("membership").get("thin_at", 1))
    profiles = _profiles_of_active(session, community_id, shown_only=shown_only)
    asked = [q for q in questions() if q.dimension and not (shown_only and not q.public)]
    counted = {q.key: Counter(str(p.get(q.key)) for p in profiles if p.get(q.key)) for q in asked}
    mixes = []
    for applicant in applicants:
        out = []
        for q in asked:
            counts = counted[q.key]
            mine = str(applicant.get(q.key)) if applicant and applicant.get(q.key) else None
            values = [
                MixValue(
                    value=value,
                    label=label,
                    before=counts.get(value, 0),
                    after=counts.get(value, 0) + (1 if mine == value else 0),
                    thin=counts.get(value, 0) <= thin_at,
                )
                for value, label in q.options.items()
            ]
            out.append(DimensionMix(q.key, q.label, values, mine))
        mixes.append(out)
    return mixes


def directory_mix(session: Session, community_id: int) -> list[DimensionMix]:
    """The group's mix as members see it: only the answers members chose to show."""
    return group_mix(session, community_id, shown_only=True)
