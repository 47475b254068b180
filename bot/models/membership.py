"""Curation: applications to join, members' profiles, and the log of every membership decision."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.models.base import Base, utcnow
from bot.models.core import Member, _enum


class ApplicationStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    WAITLISTED = "waitlisted"

    @property
    def open(self) -> bool:
        """Still waiting for a convenor (a waitlisted applicant may be approved later)."""
        return self in (ApplicationStatus.PENDING, ApplicationStatus.WAITLISTED)


class DecisionKind(enum.StrEnum):
    APPLIED = "applied"
    APPROVED = "approved"
    DECLINED = "declined"
    WAITLISTED = "waitlisted"
    REMOVED = "removed"
    LEFT = "left"
    APPOINTED = "appointed"
    STOOD_DOWN = "stood_down"
    FORGOTTEN = "forgotten"
    CAPACITY = "capacity"
    UNAPPROVED_JOIN = "unapproved_join"


class Application(Base):
    """Someone asking to join: their answers to the profile questions and the outcome."""

    __tablename__ = "membership_applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    agreed_norms: Mapped[bool] = mapped_column(default=False)
    status: Mapped[ApplicationStatus] = mapped_column(
        _enum(ApplicationStatus, "application_status"), default=ApplicationStatus.PENDING
    )
    reason: Mapped[str | None] = mapped_column(Text)
    source_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))

    decided_by: Mapped[Member | None] = relationship()


class Profile(Base):
    """A member's answers to the profile questions; shown to others only if they choose."""

    __tablename__ = "membership_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), unique=True
    )
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    show_in_directory: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    member: Mapped[Member] = relationship()


class Decision(Base):
    """The decision log: who decided what about whom, when and why."""

    __tablename__ = "membership_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[DecisionKind] = mapped_column(_enum(DecisionKind, "decision_kind"))
    subject_user_id: Mapped[str | None] = mapped_column(String(32), index=True)
    subject_name: Mapped[str] = mapped_column(String(200), default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str | None] = mapped_column(Text)
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("membership_applications.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
