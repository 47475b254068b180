"""Applying and deciding: capacity, submitting an application, the open ones and the waitlist,
a convenor's decision, and someone who joined the channel without one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

import prompts
from bot.db import lock
from bot.errors import InvalidInput, KettleError, NotFound
from bot.models import Application, ApplicationStatus, Community, DecisionKind, Member
from bot.services.membership.communities import set_setting
from bot.services.membership.decisions import log_decision
from bot.services.membership.guards import convenor_under_lock, require_convenor
from bot.services.membership.profiles import save_profile
from bot.services.membership.roster import SlackProfile, admit, get_member, member_count


class AlreadyDecided(KettleError):
    user_message = "That application has already been decided."

    @classmethod
    def by(cls, application: Application) -> AlreadyDecided:
        """Who decided it, and how, for the convenor who came second."""
        who = application.decided_by.name if application.decided_by else "Another convenor"
        return cls(f"{who} has already decided this application: {application.status.value}.")


def capacity(community: Community) -> int:
    default = int(prompts.load("membership").get("default_capacity", 13))
    return int((community.settings or {}).get("capacity", default))


def set_capacity(
    session: Session, community: Community, value: int, *, actor: Member, now: datetime
) -> None:
    require_convenor(actor)
    if not 1 <= value <= 500:
        raise InvalidInput("Capacity must be a number between 1 and 500.")
    set_setting(community, "capacity", value)
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
    set_setting(community, "curated", True)
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


@dataclass(frozen=True)
class DecisionOutcome:
    application_id: int
    status: ApplicationStatus
    reason: str
    full: bool  # approval asked for, but the group was at capacity
    member_id: int | None


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
    convenor_under_lock(session, community, actor)
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
