"""Who is in the Community of Practice, and in what role."""

from __future__ import annotations

import enum
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

import prompts
from bot.config import Settings
from bot.db import lock
from bot.errors import InvalidInput, KettleError, NotAConvenor, NotAMember, NotFound
from bot.models import (
    Application,
    ApplicationStatus,
    Community,
    Decision,
    DecisionKind,
    Delivery,
    Member,
    MemberStatus,
    Profile,
    Role,
    Story,
    utcnow,
)
from bot.services import duties

DEFAULT_SLUG = "default"


@dataclass(frozen=True)
class Viewer:
    """The person behind a request, resolved once per request; plain data, safe across threads."""

    user_id: str
    community_id: int | None
    member_id: int | None = None
    role: Role | None = None
    name: str = ""

    @property
    def is_member(self) -> bool:
        return self.member_id is not None

    @property
    def is_convenor(self) -> bool:
        return self.member_id is not None and self.role == Role.CONVENOR


@dataclass(frozen=True)
class SlackProfile:
    user_id: str
    name: str
    tz: str | None
    is_bot: bool = False
    deleted: bool = False


def configured_community(session: Session) -> Community | None:
    """The community the environment set up, if a start has created it yet."""
    return session.scalar(select(Community).where(Community.slug == DEFAULT_SLUG))


def open_community(session: Session, settings: Settings) -> tuple[Community, bool]:
    """The environment's community, and whether this call created it.

    Created with the environment's name and channels. On later starts a name or channel the
    environment gives is applied (nothing in Slack changes them: they are the operator's), and
    one it no longer gives is kept, never blanked. Who convenes is not here: the environment
    only seeds a new community's first convenors (`seed_convenors`).
    """
    community = configured_community(session)
    created = community is None
    if community is None:
        community = Community(slug=DEFAULT_SLUG, name=settings.community_name, settings={})
        session.add(community)
    given = settings.extra
    if created or given.get("KETTLE_COMMUNITY_NAME", "").strip():
        community.name = settings.community_name
    if created or settings.cop_channel:
        community.channel_id = settings.cop_channel
    if created or settings.movement_channel:
        community.movement_channel_id = settings.movement_channel
    session.flush()
    return community, created


def ensure_community(session: Session, settings: Settings) -> Community:
    """The environment's community, created if need be (see `open_community`)."""
    return open_community(session, settings)[0]


def seed_convenors(
    session: Session, community: Community, profiles: Iterable[SlackProfile]
) -> list[Member]:
    """A new community's first convenors, from KETTLE_CONVENORS. Only ever called in the unit of
    work that created the community: after that, convenors are appointed, stand down, are
    removed or ask to be forgotten from Slack, and a restart changes none of it."""
    return [admit(session, community, p, role=Role.CONVENOR) for p in profiles]


def communities(session: Session) -> list[Community]:
    return list(session.scalars(select(Community).order_by(Community.id)))


def community_by_id(session: Session, community_id: int) -> Community | None:
    return session.get(Community, community_id)


def community_for_channel(session: Session, channel_id: str | None) -> Community | None:
    if not channel_id:
        return None
    return session.scalar(select(Community).where(Community.channel_id == channel_id))


def community_for_request(
    session: Session, *, user_id: str | None, channel_id: str | None
) -> Community | None:
    """The community a request is about: its channel's, else the user's own, else the first."""
    by_channel = community_for_channel(session, channel_id)
    if by_channel is not None:
        return by_channel
    if user_id:
        mine = session.scalars(
            select(Community)
            .join(Member, Member.community_id == Community.id)
            .where(Member.user_id == user_id, Member.status == MemberStatus.ACTIVE)
            .order_by(Community.id)
        ).first()
        if mine is not None:
            return mine
    return session.scalars(select(Community).order_by(Community.id)).first()


def get_member(session: Session, community_id: int, user_id: str) -> Member | None:
    return session.scalar(
        select(Member).where(Member.community_id == community_id, Member.user_id == user_id)
    )


def active_members(session: Session, community_id: int) -> list[Member]:
    return list(
        session.scalars(
            select(Member)
            .where(Member.community_id == community_id, Member.status == MemberStatus.ACTIVE)
            .order_by(Member.id)
        )
    )


def convenors(session: Session, community_id: int) -> list[Member]:
    return [m for m in active_members(session, community_id) if m.role == Role.CONVENOR]


def convenor_ids(session: Session, community_id: int) -> list[str]:
    """The Slack user ids of the community's active convenors, oldest first."""
    return [m.user_id for m in convenors(session, community_id)]


def viewer_member(session: Session, viewer: Viewer) -> Member | None:
    """The viewer's member row in their community, whatever its status; None if there is none."""
    return get_member(session, viewer.community_id or 0, viewer.user_id)


def resolve_viewer(session: Session, community: Community | None, user_id: str) -> Viewer:
    if community is None:
        return Viewer(user_id=user_id, community_id=None)
    member = get_member(session, community.id, user_id)
    if member is None or not member.is_active:
        return Viewer(user_id=user_id, community_id=community.id)
    return Viewer(
        user_id=user_id,
        community_id=community.id,
        member_id=member.id,
        role=member.role,
        name=member.name,
    )


def admit(
    session: Session,
    community: Community,
    profile: SlackProfile,
    *,
    role: Role | None = None,
) -> Member:
    """Make someone an active member (idempotent); a returning member keeps their history."""
    member = get_member(session, community.id, profile.user_id)
    if member is None:
        member = Member(community_id=community.id, user_id=profile.user_id)
        session.add(member)
        member.role = role or Role.MEMBER
    elif role is not None:
        member.role = role
    if member.status != MemberStatus.ACTIVE:
        member.status = MemberStatus.ACTIVE
        member.joined_at = utcnow()
        member.left_at = None
    member.name = profile.name or member.name or profile.user_id
    member.tz = profile.tz
    session.flush()
    return member


def refresh_profile(session: Session, member: Member, profile: SlackProfile) -> None:
    member.name = profile.name or member.name
    member.tz = profile.tz


def mark_left(session: Session, community: Community, user_id: str) -> Member | None:
    """Someone left the CoP channel: they stop being a member, unless they are a convenor."""
    member = get_member(session, community.id, user_id)
    if member is None or not member.is_active or member.role == Role.CONVENOR:
        return member
    member.status = MemberStatus.LEFT
    member.left_at = utcnow()
    session.flush()
    return member


def sync_members(
    session: Session,
    community: Community,
    *,
    channel_members: Iterable[SlackProfile],
) -> tuple[int, int]:
    """Bring membership in step with the CoP channel at start; returns (added, removed).

    Before anyone has applied, everyone in the channel Kettle has never known is grandfathered in
    as a member. Once the community is curated (the first application), only approval makes a
    member: people in the channel who aren't members stay outsiders (see `unapproved_in_channel`).
    A start never renews a membership that ended (removed, left, stood down stays stood down):
    roles and ended memberships are decisions, made in Slack and logged, not undone by a restart.
    """
    present: dict[str, SlackProfile] = {
        p.user_id: p for p in channel_members if not p.is_bot and not p.deleted
    }
    before = {m.user_id for m in active_members(session, community.id)}
    curated = is_curated(community)
    for user_id, profile in present.items():
        existing = get_member(session, community.id, user_id)
        if existing is not None and existing.is_active:
            refresh_profile(session, existing, profile)
        elif existing is None and not curated:
            admit(session, community, profile)
    removed = 0
    if community.channel_id:
        for member in active_members(session, community.id):
            if member.user_id not in present and member.role != Role.CONVENOR:
                mark_left(session, community, member.user_id)
                removed += 1
    after = {m.user_id for m in active_members(session, community.id)}
    return len(after - before), removed


def unapproved_in_channel(
    session: Session, community: Community, channel_user_ids: Iterable[str]
) -> list[str]:
    """People in the CoP channel who are not active members (only meaningful once curated)."""
    if not is_curated(community):
        return []
    active = {m.user_id for m in active_members(session, community.id)}
    return [u for u in channel_user_ids if u not in active]


# -- curation: questions, criteria, applications, decisions -----------------------------------

_FORGET_SCOPE = "kettle.forget_scope"


@dataclass
class ForgetScope:
    """What a forget-me hook may read (the story choice) and hand back (posts, stored files).

    `keep_stories` is the person's choice for their stories; hooks treat other words of theirs
    (round contributions, commitments, tips) the same way: deleted, or kept without their name.
    Hooks append Slack posts to take down to `posts` (a DM's channel may be the user id),
    digests to post again as they now stand to `digests` (ids), and stored file names (sha256)
    that no row uses any more to `unused_files`.
    """

    keep_stories: bool = False
    posts: list[tuple[str, str]] = field(default_factory=list)
    unused_files: list[str] = field(default_factory=list)
    digests: list[int] = field(default_factory=list)


def forget_scope(session: Session) -> ForgetScope:
    """The scope of the forget-me running in this session (a hook's way to read the choice)."""
    scope = session.info.get(_FORGET_SCOPE)
    return scope if isinstance(scope, ForgetScope) else ForgetScope()


FORMER_MEMBER = "a former member"


class AlreadyDecided(KettleError):
    user_message = "That application has already been decided."

    @classmethod
    def by(cls, application: Application) -> AlreadyDecided:
        """Who decided it, and how, for the convenor who came second."""
        who = application.decided_by.name if application.decided_by else "Another convenor"
        return cls(f"{who} has already decided this application: {application.status.value}.")


class LastConvenor(KettleError):
    user_message = "At least one convenor must remain; appoint another convenor first."


@dataclass(frozen=True)
class Question:
    key: str
    label: str
    type: str  # "select", "text" or "long_text"
    options: dict[str, str] = field(default_factory=dict)
    dimension: bool = False
    public: bool = False
    required: bool = True

    @property
    def max_length(self) -> int:
        return 1500 if self.type == "long_text" else 200

    def show(self, value: Any) -> str:
        if value in (None, ""):
            return "—"
        return self.options.get(str(value), str(value)) if self.options else str(value)


@dataclass(frozen=True)
class Criterion:
    text: str
    question: str | None = None
    any_of: tuple[str, ...] = ()
    min_length: int | None = None

    def check(self, answers: dict[str, Any]) -> bool | None:
        """True or False when Kettle can tell from the answers; None when a convenor judges."""
        if not self.question:
            return None
        value = answers.get(self.question)
        if self.any_of:
            return str(value) in self.any_of
        if self.min_length is not None:
            return len(str(value or "").strip()) >= self.min_length
        return None


def questions() -> list[Question]:
    out = []
    for q in prompts.load("membership").get("questions", []):
        options = {str(k): str(v) for k, v in (q.get("options") or {}).items()}
        kind = q.get("type", "select" if options else "text")
        out.append(
            Question(
                key=str(q["key"]),
                label=str(q["label"]),
                type=kind,
                options=options,
                dimension=bool(q.get("dimension", False)) and kind == "select",
                public=bool(q.get("public", False)),
                required=bool(q.get("required", True)),
            )
        )
    return out


def criteria() -> list[Criterion]:
    return [
        Criterion(
            text=str(c["text"]),
            question=c.get("question"),
            any_of=tuple(str(v) for v in c.get("any_of", ())),
            min_length=c.get("min_length"),
        )
        for c in prompts.load("membership").get("criteria", [])
    ]


def criteria_met(answers: dict[str, Any]) -> list[tuple[Criterion, bool | None]]:
    return [(c, c.check(answers)) for c in criteria()]


def validate_answers(raw: dict[str, Any]) -> dict[str, str]:
    """Clean answers keyed by question; InvalidInput's field_errors are keyed by question key."""
    answers: dict[str, str] = {}
    errors: dict[str, str] = {}
    for q in questions():
        given = str(raw.get(q.key) or "")
        value = given.strip() if q.type == "long_text" else " ".join(given.split())
        if q.options and value and value not in q.options:
            errors[q.key] = "Please choose one of the options."
        elif q.required and not value:
            errors[q.key] = "Please answer this."
        elif len(value) > q.max_length:
            errors[q.key] = f"Please keep it under {q.max_length} characters."
        if value:
            answers[q.key] = value
    if errors:
        raise InvalidInput("Some answers need another look.", errors)
    return answers


def is_curated(community: Community) -> bool:
    """True once anyone has applied: from then on only approval makes a member."""
    return bool((community.settings or {}).get("curated"))


def _set_setting(community: Community, key: str, value: Any) -> None:
    community.settings = {**(community.settings or {}), key: value}


def capacity(community: Community) -> int:
    default = int(prompts.load("membership").get("default_capacity", 13))
    return int((community.settings or {}).get("capacity", default))


def member_count(session: Session, community_id: int) -> int:
    """Members who count towards capacity: everyone active except convenors."""
    return sum(1 for m in active_members(session, community_id) if m.role == Role.MEMBER)


def log_decision(
    session: Session,
    community: Community,
    kind: DecisionKind,
    *,
    subject_user_id: str | None,
    subject_name: str,
    actor: Member | None,
    reason: str | None = None,
    application: Application | None = None,
    now: datetime | None = None,
) -> Decision:
    decision = Decision(
        community_id=community.id,
        kind=kind,
        subject_user_id=subject_user_id,
        subject_name=subject_name,
        actor_id=actor.id if actor else None,
        actor_name=actor.name if actor else subject_name,
        reason=reason,
        application_id=application.id if application else None,
        created_at=now or utcnow(),
    )
    session.add(decision)
    session.flush()
    return decision


def set_capacity(
    session: Session, community: Community, value: int, *, actor: Member, now: datetime
) -> None:
    _require_convenor(actor)
    if not 1 <= value <= 500:
        raise InvalidInput("Capacity must be a number between 1 and 500.")
    _set_setting(community, "capacity", value)
    log_decision(
        session,
        community,
        DecisionKind.CAPACITY,
        subject_user_id=None,
        subject_name="",
        actor=actor,
        reason=f"Capacity set to {value}",
        now=now,
    )


def open_application(session: Session, community_id: int, user_id: str) -> Application | None:
    return session.scalars(
        select(Application)
        .where(
            Application.community_id == community_id,
            Application.user_id == user_id,
            Application.status.in_([ApplicationStatus.PENDING, ApplicationStatus.WAITLISTED]),
        )
        .order_by(Application.id.desc())
    ).first()


def check_may_apply(session: Session, community: Community, user_id: str) -> None:
    member = get_member(session, community.id, user_id)
    if member is not None and member.is_active:
        raise KettleError("You're already a member of the Community of Practice.")
    existing = open_application(session, community.id, user_id)
    if existing is not None:
        raise KettleError(
            "Your application is with the convenors"
            + (" (on the waitlist)" if existing.status == ApplicationStatus.WAITLISTED else "")
            + "; you'll hear back in a direct message."
        )


def submit_application(
    session: Session,
    community: Community,
    *,
    user_id: str,
    name: str,
    answers: dict[str, str],
    agreed_norms: bool,
    source_key: str,
    now: datetime,
) -> tuple[Application, bool]:
    """Store an application once per form submission; returns (application, created)."""
    same = session.scalar(select(Application).where(Application.source_key == source_key))
    if same is not None:
        return same, False
    if not agreed_norms:
        raise InvalidInput("Please accept the norms.", {"norms": "Please accept the norms."})
    check_may_apply(session, community, user_id)
    application = Application(
        community_id=community.id,
        user_id=user_id,
        name=name or user_id,
        answers=answers,
        agreed_norms=True,
        status=ApplicationStatus.PENDING,
        source_key=source_key,
        created_at=now,
    )
    session.add(application)
    _set_setting(community, "curated", True)
    session.flush()
    log_decision(
        session,
        community,
        DecisionKind.APPLIED,
        subject_user_id=user_id,
        subject_name=application.name,
        actor=None,
        application=application,
        now=now,
    )
    return application, True


def open_applications(session: Session, community_id: int) -> list[Application]:
    """Pending first, then the waitlist, oldest first within each."""
    rows = session.scalars(
        select(Application)
        .where(
            Application.community_id == community_id,
            Application.status.in_([ApplicationStatus.PENDING, ApplicationStatus.WAITLISTED]),
        )
        .order_by(Application.created_at, Application.id)
    ).all()
    return sorted(rows, key=lambda a: a.status != ApplicationStatus.PENDING)


def waitlist(session: Session, community_id: int) -> list[Application]:
    return [
        a
        for a in open_applications(session, community_id)
        if a.status == ApplicationStatus.WAITLISTED
    ]


def get_application(session: Session, community_id: int, application_id: int) -> Application:
    application = session.get(Application, application_id)
    if application is None or application.community_id != community_id:
        raise NotFound()
    return application


# -- the group's mix -----------------------------------------------------------------------------


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


def _profiles_of_active(session: Session, community_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Profile.answers)
        .join(Member, Member.id == Profile.member_id)
        .where(Member.community_id == community_id, Member.status == MemberStatus.ACTIVE)
    ).all()
    return [dict(r[0] or {}) for r in rows]


def group_mix(
    session: Session, community_id: int, applicant: dict[str, Any] | None = None
) -> list[DimensionMix]:
    """Counts by each profile dimension, before and (when an applicant is given) after."""
    thin_at = int(prompts.load("membership").get("thin_at", 1))
    profiles = _profiles_of_active(session, community_id)
    out = []
    for q in questions():
        if not q.dimension:
            continue
        counts = Counter(str(p.get(q.key)) for p in profiles if p.get(q.key))
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
    return out


# -- deciding ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionOutcome:
    application_id: int
    status: ApplicationStatus
    reason: str
    full: bool  # approval asked for, but the group was at capacity
    member_id: int | None


def _require_convenor(actor: Member | None) -> Member:
    if actor is None or not actor.is_convenor:
        raise NotAConvenor()
    return actor


def _as_now(session: Session, member: Member | None) -> Member | None:
    """The member's row as committed now (None if it is gone), not as first read."""
    if member is None:
        return None
    return session.scalar(
        select(Member).where(Member.id == member.id).execution_options(populate_existing=True)
    )


def _convenor_under_lock(session: Session, community: Community, actor: Member | None) -> Member:
    """Take the community's lock, under which every change of membership or role is made, and
    check that the actor is still a convenor (someone may have stood them down a moment ago).
    Two people changing the same membership at once so go one after the other."""
    _require_convenor(actor)
    lock(session, community)
    return _require_convenor(_as_now(session, actor))


def _still_member(session: Session, member: Member) -> Member:
    current = _as_now(session, member)
    if current is None or not current.is_active:
        raise NotFound("They aren't a member of the Community of Practice.")
    return current


def decide(
    session: Session,
    community: Community,
    application: Application,
    *,
    status: ApplicationStatus,
    reason: str,
    actor: Member,
    profile: SlackProfile | None = None,
    now: datetime,
    expected: ApplicationStatus | None = None,
) -> DecisionOutcome:
    """Approve, decline (a reason is required) or waitlist; approval beyond capacity waitlists.

    `expected` is the status the convenor saw when they opened the review: if another convenor
    decided in the meantime, this decision is refused (AlreadyDecided names who and how), so the
    applicant never hears two outcomes. Decisions in one community go one at a time (a lock on
    the community row, then the application's), which also keeps approvals within capacity.
    """
    _convenor_under_lock(session, community, actor)
    lock(session, application)
    if not application.status.open or (expected is not None and application.status != expected):
        raise AlreadyDecided.by(application)
    reason = (reason or "").strip()
    if status == ApplicationStatus.DECLINED and not reason:
        raise InvalidInput("A reason is needed to decline.", {"reason": "Please give a reason."})
    if status == ApplicationStatus.PENDING:
        raise InvalidInput("Choose approve, waitlist or decline.")
    full = False
    if status == ApplicationStatus.APPROVED and member_count(session, community.id) >= capacity(
        community
    ):
        full = True
        status = ApplicationStatus.WAITLISTED
        note = f"The group is full (room for {capacity(community)} members)."
        reason = f"{note} {reason}".strip()
    application.status = status
    application.reason = reason or None
    application.decided_at = now
    application.decided_by_id = actor.id
    member_id = None
    if status == ApplicationStatus.APPROVED:
        who = profile or SlackProfile(application.user_id, application.name, None)
        member = admit(session, community, who)
        member.joined_at = now
        save_profile(session, member, dict(application.answers or {}), show=None)
        member_id = member.id
    log_decision(
        session,
        community,
        DecisionKind(status.value),
        subject_user_id=application.user_id,
        subject_name=application.name,
        actor=actor,
        reason=reason or None,
        application=application,
        now=now,
    )
    return DecisionOutcome(application.id, status, reason, full, member_id)


def decision_log(session: Session, community_id: int, *, limit: int = 25) -> list[Decision]:
    return list(
        session.scalars(
            select(Decision)
            .where(Decision.community_id == community_id)
            .order_by(Decision.created_at.desc(), Decision.id.desc())
            .limit(limit)
        )
    )


# -- profiles and the directory -----------------------------------------------------------------


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


# -- roles, leaving, removal --------------------------------------------------------------------


_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>\s*|^([UW][A-Z0-9]{2,})\b\s*")


def find_member(session: Session, community_id: int, text: str) -> tuple[Member, str]:
    """The member a command names (`<@U123>`, `U123` or `@Name`) and the rest of the text."""
    text = text.strip()
    match = _MENTION.match(text)
    if match:
        member = get_member(session, community_id, match.group(1) or match.group(2))
        if member is None or not member.is_active:
            raise NotFound("They aren't a member of the Community of Practice.")
        return member, text[match.end() :].strip()
    lowered = text.lstrip("@").lower()
    best: Member | None = None
    for member in active_members(session, community_id):
        name = member.name.lower()
        if (
            name
            and lowered.startswith(name)
            and (len(lowered) == len(name) or not lowered[len(name)].isalnum())
            and (best is None or len(name) > len(best.name))
        ):
            best = member
    if best is None:
        raise NotFound("I couldn't tell which member you mean; mention them, like @name.")
    return best, text.lstrip("@")[len(best.name) :].strip()


def appoint(
    session: Session, community: Community, target: Member, *, actor: Member, now: datetime
) -> bool:
    _convenor_under_lock(session, community, actor)
    target = _still_member(session, target)
    if target.role == Role.CONVENOR:
        return False
    target.role = Role.CONVENOR
    log_decision(
        session,
        community,
        DecisionKind.APPOINTED,
        subject_user_id=target.user_id,
        subject_name=target.name,
        actor=actor,
        now=now,
    )
    return True


def stand_down(
    session: Session, community: Community, target: Member, *, actor: Member, now: datetime
) -> bool:
    _convenor_under_lock(session, community, actor)
    target = _still_member(session, target)
    if target.role != Role.CONVENOR:
        return False
    if len(convenors(session, community.id)) <= 1:
        raise LastConvenor()
    target.role = Role.MEMBER
    log_decision(
        session,
        community,
        DecisionKind.STOOD_DOWN,
        subject_user_id=target.user_id,
        subject_name=target.name,
        actor=actor,
        now=now,
    )
    return True


def _end_membership(session: Session, community: Community, member: Member, now: datetime) -> None:
    if member.role == Role.CONVENOR and len(convenors(session, community.id)) <= 1:
        raise LastConvenor()
    member.status = MemberStatus.LEFT
    member.role = Role.MEMBER
    member.left_at = now
    session.flush()


def remove(
    session: Session,
    community: Community,
    target: Member,
    *,
    reason: str,
    actor: Member,
    now: datetime,
) -> None:
    _require_convenor(actor)
    reason = reason.strip()
    if not reason:
        raise InvalidInput("Please give a reason, e.g. `/cop remove @name moved on from the role`.")
    if target.id == actor.id:
        raise InvalidInput("To leave yourself, use `/cop leave`.")
    _convenor_under_lock(session, community, actor)
    target = _still_member(session, target)
    _end_membership(session, community, target, now)
    log_decision(
        session,
        community,
        DecisionKind.REMOVED,
        subject_user_id=target.user_id,
        subject_name=target.name,
        actor=actor,
        reason=reason,
        now=now,
    )


def leave(session: Session, community: Community, member: Member, *, now: datetime) -> None:
    lock(session, community)
    current = _as_now(session, member)
    if current is None or not current.is_active:
        raise NotAMember()
    member = current
    _end_membership(session, community, member, now)
    log_decision(
        session,
        community,
        DecisionKind.LEFT,
        subject_user_id=member.user_id,
        subject_name=member.name,
        actor=member,
        now=now,
    )


def left_channel(
    session: Session, community: Community, user_id: str, *, now: datetime
) -> Member | None:
    """Someone left the CoP channel by themselves: their membership ends (convenors stay)."""
    member = get_member(session, community.id, user_id)
    was_active = member is not None and member.is_active
    member = mark_left(session, community, user_id)
    if member is not None and was_active and not member.is_active:
        log_decision(
            session,
            community,
            DecisionKind.LEFT,
            subject_user_id=user_id,
            subject_name=member.name,
            actor=member,
            reason="Left the CoP channel",
            now=now,
        )
    return member


def record_unapproved_join(
    session: Session, community: Community, user_id: str, name: str, *, now: datetime
) -> Application | None:
    """Someone was added to the channel by hand without approval; log it for the convenors."""
    log_decision(
        session,
        community,
        DecisionKind.UNAPPROVED_JOIN,
        subject_user_id=user_id,
        subject_name=name,
        actor=None,
        reason="Added to the CoP channel without an approved application",
        now=now,
    )
    return open_application(session, community.id, user_id)


# -- data rights ---------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _row(obj: Any, *names: str) -> dict[str, Any]:
    return {n: _plain(getattr(obj, n)) for n in names}


def personal_data(session: Session, community: Community, user_id: str) -> dict[str, Any]:
    """Everything Kettle holds about one person, as JSON-able data."""
    member = get_member(session, community.id, user_id)
    data: dict[str, Any] = {
        "community": community.name,
        "slack_user_id": user_id,
        "exported_at": utcnow().isoformat(),
        "member": None,
        "profile": None,
        "applications": [],
        "decisions_about_you": [],
        "stories": [],
    }
    if member is not None:
        data["member"] = _row(member, "name", "tz", "role", "status", "joined_at", "left_at")
        profile = get_profile(session, member)
        if profile is not None:
            data["profile"] = {
                "answers": profile.answers,
                "show_in_directory": profile.show_in_directory,
                "updated_at": _plain(profile.updated_at),
            }
        stories = session.scalars(
            select(Story).where(Story.author_id == member.id).order_by(Story.id)
        )
        data["stories"] = [
            _row(s, "title", "body", "kind", "themes", "media_url", "consent", "created_at")
            for s in stories
        ]
        for name, hook in duties.MYDATA_HOOKS.items():
            data[name] = hook(session, member)
    else:
        for name, non_member in duties.NON_MEMBER_HOOKS.items():
            data[name] = non_member.data(session, community.id, user_id)
    applications = session.scalars(
        select(Application)
        .where(Application.community_id == community.id, Application.user_id == user_id)
        .order_by(Application.id)
    )
    data["applications"] = [
        _row(a, "answers", "agreed_norms", "status", "reason", "created_at", "decided_at")
        for a in applications
    ]
    decisions = session.scalars(
        select(Decision)
        .where(Decision.community_id == community.id, Decision.subject_user_id == user_id)
        .order_by(Decision.id)
    )
    data["decisions_about_you"] = [
        _row(d, "kind", "actor_name", "reason", "created_at") for d in decisions
    ]
    return data


def holds_anything(session: Session, community: Community, user_id: str) -> bool:
    if get_member(session, community.id, user_id) is not None:
        return True
    found = session.scalar(
        select(Application.id).where(
            Application.community_id == community.id, Application.user_id == user_id
        )
    )
    if found is not None:
        return True
    # Someone from the wider movement who answered a call-out without ever joining.
    return any(h.holds(session, community.id, user_id) for h in duties.NON_MEMBER_HOOKS.values())


@dataclass(frozen=True)
class Forgotten:
    stories_deleted: int
    stories_kept: int
    deleted_story_posts: list[tuple[str, str]]  # (channel, ts) of posts to take down
    unused_files: list[str] = field(default_factory=list)  # stored files (sha256) to remove
    # Kept stories whose CoP-channel post names them: (story id, channel, ts) to reword.
    reworded_posts: list[tuple[int, str, str]] = field(default_factory=list)
    digests: list[int] = field(default_factory=list)  # digests to post again as they now are
    was_member: bool = False  # an active membership ended: a place opened


def forget(
    session: Session,
    community: Community,
    user_id: str,
    *,
    keep_stories: bool,
    now: datetime,
) -> Forgotten:
    """Delete everything personal about someone; their stories go, or stay without a name."""
    lock(session, community)
    member = _as_now(session, get_member(session, community.id, user_id))
    if member is None and not holds_anything(session, community, user_id):
        return Forgotten(0, 0, [])  # a second press at the same moment: nothing left to forget
    was_member = member is not None and member.is_active
    deleted = kept = 0
    posts: list[tuple[str, str]] = []
    reworded: list[tuple[int, str, str]] = []
    scope = ForgetScope(keep_stories=keep_stories)
    if member is not None:
        if member.is_convenor and len(convenors(session, community.id)) <= 1:
            raise LastConvenor()
        session.info[_FORGET_SCOPE] = scope
        try:
            for hook in duties.FORGET_HOOKS:
                hook(session, member)
        finally:
            session.info.pop(_FORGET_SCOPE, None)
        session.flush()
        posts.extend(scope.posts)
        stories = list(session.scalars(select(Story).where(Story.author_id == member.id)))
        for story in stories:
            if keep_stories:
                story.author_id = None
                kept += 1
                if story.cop_channel_id and story.cop_message_ts:
                    reworded.append((story.id, story.cop_channel_id, story.cop_message_ts))
            else:
                if story.cop_channel_id and story.cop_message_ts:
                    posts.append((story.cop_channel_id, story.cop_message_ts))
                session.delete(story)
                deleted += 1
        session.execute(
            update(Decision)
            .where(Decision.actor_id == member.id)
            .values(actor_id=None, actor_name=FORMER_MEMBER)
        )
        session.execute(delete(Profile).where(Profile.member_id == member.id))
        session.flush()
        session.delete(member)
    else:
        # Never a member, yet they may have answered a call-out.
        session.info[_FORGET_SCOPE] = scope
        try:
            for non_member in duties.NON_MEMBER_HOOKS.values():
                non_member.forget(session, community.id, user_id)
        finally:
            session.info.pop(_FORGET_SCOPE, None)
        session.flush()
        posts.extend(scope.posts)
    session.execute(
        update(Decision)
        .where(Decision.community_id == community.id, Decision.subject_user_id == user_id)
        .values(subject_user_id=None, subject_name=FORMER_MEMBER, reason=None)
    )
    session.execute(
        delete(Application).where(
            Application.community_id == community.id, Application.user_id == user_id
        )
    )
    session.execute(delete(Delivery).where(Delivery.channel == user_id))
    session.flush()
    log_decision(
        session,
        community,
        DecisionKind.FORGOTTEN,
        subject_user_id=None,
        subject_name=FORMER_MEMBER,
        actor=None,
        reason=f"Asked to be forgotten; stories {'kept anonymised' if keep_stories else 'deleted'}",
        now=now,
    )
    return Forgotten(
        deleted,
        kept,
        list(dict.fromkeys(posts)),
        sorted(set(scope.unused_files)),
        reworded,
        list(dict.fromkeys(scope.digests)),
        was_member=was_member,
    )
