"""Meetings of the CoP: when, where, who is coming, and how it went."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.models.base import Base, utcnow
from bot.models.core import Community, Member, _enum


class Repeat(enum.StrEnum):
    NONE = "none"
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    MONTHLY = "monthly"  # the same weekday of the month as the first, e.g. the first Tuesday


class MeetingStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class Rsvp(enum.StrEnum):
    GOING = "going"
    MAYBE = "maybe"
    DECLINED = "declined"


class Meeting(Base):
    """A meeting (or a repeating series); times are wall-clock in the convenor's zone."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), index=True
    )
    convenor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(150))
    first_date: Mapped[date] = mapped_column(Date)
    start_minute: Mapped[int] = mapped_column(Integer)  # minutes after local midnight
    tz: Mapped[str] = mapped_column(String(64))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    repeat: Mapped[Repeat] = mapped_column(_enum(Repeat, "meeting_repeat"), default=Repeat.NONE)
    video_url: Mapped[str] = mapped_column(String(2000))
    agenda: Mapped[str] = mapped_column(Text, default="")
    channel_id: Mapped[str] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    posted_occurrence: Mapped[date | None] = mapped_column(Date)
    status: Mapped[MeetingStatus] = mapped_column(
        _enum(MeetingStatus, "meeting_status"), default=MeetingStatus.SCHEDULED
    )
    sequence: Mapped[int] = mapped_column(Integer, default=0)  # bumped on each edit (iCalendar)
    source_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    community: Mapped[Community] = relationship()
    convenor: Mapped[Member | None] = relationship()


class MeetingRsvp(Base):
    """One member's answer for one occurrence (its local date) of a meeting."""

    __tablename__ = "meeting_rsvps"
    __table_args__ = (UniqueConstraint("meeting_id", "occurrence", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    occurrence: Mapped[date] = mapped_column(Date)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    response: Mapped[Rsvp] = mapped_column(_enum(Rsvp, "meeting_rsvp"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    member: Mapped[Member] = relationship()


class MeetingPulse(Base):
    """'How was today?': a score from 1 to 5 and an optional note, one per attendee."""

    __tablename__ = "meeting_pulses"
    __table_args__ = (UniqueConstraint("meeting_id", "occurrence", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    occurrence: Mapped[date] = mapped_column(Date)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    score: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
