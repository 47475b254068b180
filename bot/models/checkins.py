"""Weekly check-ins: what each member said (or that they skipped), and who chose to pause them
or turn them off."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.models.base import Base, utcnow
from bot.models.core import Member, _enum


class Visibility(enum.StrEnum):
    """Who may see a check-in's words; chosen by the member each time."""

    PRIVATE = "private"
    CONVENORS = "convenors"
    COP = "cop"

    @property
    def convenors_may_see(self) -> bool:
        return self is not Visibility.PRIVATE


class CheckinStatus(enum.StrEnum):
    ANSWERED = "answered"
    SKIPPED = "skipped"


class Checkin(Base):
    """One member's check-in for one ISO week ("2026-W05"); a second answer updates it."""

    __tablename__ = "checkins"
    __table_args__ = (UniqueConstraint("member_id", "week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    week: Mapped[str] = mapped_column(String(10), index=True)
    status: Mapped[CheckinStatus] = mapped_column(_enum(CheckinStatus, "checkin_status"))
    mood: Mapped[int | None] = mapped_column()
    on_mind: Mapped[str] = mapped_column(Text, default="")
    win: Mapped[str] = mapped_column(Text, default="")
    challenge: Mapped[str] = mapped_column(Text, default="")
    support: Mapped[str] = mapped_column(Text, default="")
    wants_call: Mapped[bool] = mapped_column(Boolean, default=False)  # earlier forms' call box
    # "Tell the convenors I could use a hand — they'll get a DM with my name": the only thing
    # that sends a care nudge, whoever may read the answers.
    tell_convenors: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    visibility: Mapped[Visibility] = mapped_column(
        _enum(Visibility, "checkin_visibility"), default=Visibility.PRIVATE
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    member: Mapped[Member] = relationship()


class CheckinOptOut(Base):
    """A member who turned weekly check-ins off: no DM and no reminder until they turn them on."""

    __tablename__ = "checkin_optouts"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CheckinPause(Base):
    """A member's holiday: no check-in DMs until (and including) `until`, in their own calendar."""

    __tablename__ = "checkin_pauses"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    until: Mapped[date] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
