"""Facilitated rounds: appreciative-inquiry rounds and action-learning sets, run in a thread."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.models.base import Base, utcnow
from bot.models.core import Member, _enum


class RoundKind(enum.StrEnum):
    AI = "ai"  # appreciative inquiry
    ALS = "als"  # action-learning set


class RoundStatus(enum.StrEnum):
    PROPOSED = "proposed"  # a set whose presenter, named by someone else, has not said yes yet
    DECLINED = "declined"  # the named presenter said no: it never starts
    RUNNING = "running"
    PAUSED = "paused"
    CLOSED = "closed"


class RoundMode(enum.StrEnum):
    """How a round keeps time: minutes for a meeting, or hours and days across time zones."""

    LIVE = "live"  # phases of minutes, everyone together (a meeting)
    ASYNC = "async"  # phases of hours or days; each member prompted at a sensible local hour


class RoundShare(enum.StrEnum):
    """Who may see what a member wrote about how their commitment went."""

    PRIVATE = "private"  # only its owner
    COP = "cop"  # the CoP's members, in its private space (e.g. their next set's report-back)


class Round(Base):
    """One round; its phase, deadline and what has been announced survive a restart."""

    __tablename__ = "rounds"
    __table_args__ = (Index("ix_rounds_status_deadline", "status", "phase_deadline"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[RoundKind] = mapped_column(_enum(RoundKind, "round_kind"))
    mode: Mapped[RoundMode] = mapped_column(
        _enum(RoundMode, "round_mode"), default=RoundMode.LIVE, server_default="live"
    )
    status: Mapped[RoundStatus] = mapped_column(
        _enum(RoundStatus, "round_status"), default=RoundStatus.RUNNING
    )
    topic: Mapped[str] = mapped_column(Text)  # AI: the affirmative topic; ALS: the challenge
    facilitator_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    presenter_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), index=True
    )
    set_members: Mapped[list[str]] = mapped_column(JSON, default=list)  # Slack user ids
    channel_id: Mapped[str] = mapped_column(String(32))
    thread_ts: Mapped[str | None] = mapped_column(String(32), index=True)
    phase_minutes: Mapped[list[int]] = mapped_column(JSON, default=list)  # 0 = by hand
    phase_index: Mapped[int] = mapped_column(default=0)
    phase_started_at: Mapped[datetime] = mapped_column(default=utcnow)
    phase_deadline: Mapped[datetime | None] = mapped_column()
    paused_seconds_left: Mapped[int | None] = mapped_column()
    announced_phase: Mapped[int] = mapped_column(default=-1)
    invited_phase: Mapped[int] = mapped_column(default=-1)  # where it invited (once), or -1
    allow_anonymous: Mapped[bool] = mapped_column(default=False)
    opening_note: Mapped[str] = mapped_column(Text, default="")  # ALS report-back
    tea_break_sent: Mapped[bool] = mapped_column(default=False)
    synthesis: Mapped[str | None] = mapped_column(Text)
    synthesis_posted: Mapped[bool] = mapped_column(default=False)
    source_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column()
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    set_id: Mapped[int | None] = mapped_column(
        ForeignKey("learning_sets.id", ondelete="SET NULL"), index=True
    )  # a standing set's meeting

    facilitator: Mapped[Member | None] = relationship(foreign_keys=[facilitator_id])
    presenter: Mapped[Member | None] = relationship(foreign_keys=[presenter_id])
    contributions: Mapped[list[RoundContribution]] = relationship(
        back_populates="round", order_by="RoundContribution.id"
    )
    commitments: Mapped[list[RoundCommitment]] = relationship(
        back_populates="round", order_by="RoundCommitment.id"
    )
    learning_set: Mapped[LearningSet | None] = relationship(foreign_keys=[set_id])
    offers: Mapped[list[SetOffer]] = relationship(
        back_populates="round", order_by="SetOffer.id", foreign_keys="SetOffer.round_id"
    )


class RoundContribution(Base):
    """What a member said in a phase (or the presenter's reflection)."""

    __tablename__ = "round_contributions"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    phase_index: Mapped[int] = mapped_column()
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    anonymous: Mapped[bool] = mapped_column(default=False)
    # AI Discover: a retelling of the interview partner's story, posted only after their yes
    about_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    awaiting: Mapped[bool] = mapped_column(default=False, server_default=false())
    source_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    round: Mapped[Round] = relationship(back_populates="contributions")
    member: Mapped[Member | None] = relationship(foreign_keys=[member_id])
    about: Mapped[Member | None] = relationship(foreign_keys=[about_id])


class RoundCommitment(Base):
    """A Destiny commitment or an action-learning action: who, what, by when, and how it went."""

    __tablename__ = "round_commitments"
    __table_args__ = (Index("ix_round_commitments_due", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    what: Mapped[str] = mapped_column(Text)
    # AI Destiny: the provocative proposition the commitment serves
    choice_id: Mapped[int | None] = mapped_column(
        ForeignKey("round_choices.id", ondelete="SET NULL")
    )
    due_at: Mapped[datetime] = mapped_column()
    reminded_at: Mapped[datetime | None] = mapped_column()
    asked_at: Mapped[datetime | None] = mapped_column()
    report: Mapped[str | None] = mapped_column(Text)
    report_visibility: Mapped[RoundShare] = mapped_column(
        _enum(RoundShare, "round_share"), default=RoundShare.PRIVATE, server_default="private"
    )
    reported_at: Mapped[datetime | None] = mapped_column()
    source_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    round: Mapped[Round] = relationship(back_populates="commitments")
    member: Mapped[Member | None] = relationship()
    choice: Mapped[RoundChoice | None] = relationship()
    joiners: Mapped[list[RoundJoiner]] = relationship(order_by="RoundJoiner.created_at")


class RoundNote(Base):
    """Something Kettle does at most once per person per phase (a coaching tip, an invitation)."""

    __tablename__ = "round_notes"
    __table_args__ = (UniqueConstraint("round_id", "phase_index", "member_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    phase_index: Mapped[int] = mapped_column()
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RoundOptOut(Base):
    """Members who asked not to be invited privately to contribute."""

    __tablename__ = "round_optouts"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RoundPostKind(enum.StrEnum):
    OPENING = "opening"  # the thread's first post: the presenter, set members, report-back
    CONTRIBUTION = "contribution"  # one contribution or reflection, under its author's name
    COMMITMENT = "commitment"  # one commitment, under its owner's name
    NOTE = "note"  # a steering note that names who pressed (paused by …)
    SYNTHESIS = "synthesis"  # the closing synthesis
    ASK = "ask"  # the DM asking a named presenter for their yes, naming who proposed it


class RoundPost(Base):
    """A message Kettle posted for a round that carries someone's words or name: where it is,
    so that forget-me can edit it (or take it down) where it stands."""

    __tablename__ = "round_posts"
    __table_args__ = (UniqueConstraint("channel_id", "ts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    kind: Mapped[RoundPostKind] = mapped_column(_enum(RoundPostKind, "round_post_kind"))
    ref_id: Mapped[int | None] = mapped_column()  # the contribution or commitment it shows
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # a note's wording and minutes
    channel_id: Mapped[str] = mapped_column(String(32))
    ts: Mapped[str] = mapped_column(String(32))
    stale: Mapped[bool] = mapped_column(default=False, index=True)  # to be edited in Slack
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SetRhythm(enum.StrEnum):
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    MONTHLY = "monthly"


class LearningSet(Base):
    """A standing action-learning set: 4 to 8 members of the CoP (its adviser among them) who
    meet again and again on a rhythm, in a group DM of their own. Each meeting is a Round."""

    __tablename__ = "learning_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(Text)
    adviser_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    members: Mapped[list[str]] = mapped_column(JSON, default=list)  # Slack ids, adviser too
    rhythm: Mapped[SetRhythm] = mapped_column(_enum(SetRhythm, "set_rhythm"))
    tz: Mapped[str] = mapped_column(String(64))  # the zone whose wall clock the rhythm keeps
    next_meeting_at: Mapped[datetime | None] = mapped_column(index=True)  # UTC
    called_for: Mapped[datetime | None] = mapped_column()  # the meeting presenters were asked for
    reminded_for: Mapped[datetime | None] = mapped_column()  # the meeting members were reminded of
    meetings_planned: Mapped[int] = mapped_column(default=0)  # 0: until the set ends it
    meetings_held: Mapped[int] = mapped_column(default=0)
    channel_id: Mapped[str | None] = mapped_column(String(32))  # the set's group DM
    # Group DMs the set has left (someone in them left the CoP) and not yet told it moved.
    moved_from: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    source_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    adviser: Mapped[Member | None] = relationship(foreign_keys=[adviser_id])


class OfferStatus(enum.StrEnum):
    OFFERED = "offered"  # volunteered; asked to confirm before the meeting
    CONFIRMED = "confirmed"  # said yes again: they present
    WITHDRAWN = "withdrawn"  # said "not this time", or never confirmed before the start


class SetOffer(Base):
    """A member volunteering to present their own problem at one meeting of their set."""

    __tablename__ = "learning_set_offers"
    __table_args__ = (UniqueConstraint("set_id", "meeting_at", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    set_id: Mapped[int] = mapped_column(
        ForeignKey("learning_sets.id", ondelete="CASCADE"), index=True
    )
    meeting_at: Mapped[datetime] = mapped_column()
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    problem: Mapped[str] = mapped_column(Text)
    help_wanted: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[OfferStatus] = mapped_column(
        _enum(OfferStatus, "offer_status"), default=OfferStatus.OFFERED
    )
    asked_at: Mapped[datetime | None] = mapped_column()
    round_id: Mapped[int | None] = mapped_column(
        ForeignKey("rounds.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    member: Mapped[Member] = relationship()
    learning_set: Mapped[LearningSet] = relationship()
    round: Mapped[Round | None] = relationship(back_populates="offers", foreign_keys=[round_id])


class ChoiceKind(enum.StrEnum):
    TOPIC = "topic"  # an affirmative topic for the CoP's next AI round (one vote each)
    THEME = "theme"  # a theme of the positive core, drawn from the stories (agreed by members)
    PROPOSITION = "proposition"  # a provocative proposition tied to a theme (endorsed)


class RoundChoice(Base):
    """Something members propose and vote on: a topic, a theme, a proposition. Its proposer
    owns its words; a topic has no round until a convenor starts one from it."""

    __tablename__ = "round_choices"
    __table_args__ = (Index("ix_round_choices_scope", "community_id", "kind", "round_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    kind: Mapped[ChoiceKind] = mapped_column(_enum(ChoiceKind, "round_choice_kind"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    theme_id: Mapped[int | None] = mapped_column(
        ForeignKey("round_choices.id", ondelete="SET NULL")
    )
    chosen: Mapped[bool] = mapped_column(default=False)  # a topic a round was started from
    source_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    member: Mapped[Member | None] = relationship()
    theme: Mapped[RoundChoice | None] = relationship(remote_side=[id])


class RoundVote(Base):
    """One member's vote: `scope` is what a vote is one of (`topic:<community>` for the topic,
    so each member has one and moving it changes it; `choice:<id>` for agreeing with a theme or
    endorsing a proposition)."""

    __tablename__ = "round_votes"
    __table_args__ = (UniqueConstraint("scope", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    choice_id: Mapped[int] = mapped_column(
        ForeignKey("round_choices.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RoundJoiner(Base):
    """A member who said "I'm joining" a Destiny commitment (their own press, never named by
    someone else)."""

    __tablename__ = "round_joiners"

    commitment_id: Mapped[int] = mapped_column(
        ForeignKey("round_commitments.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    member: Mapped[Member] = relationship()
