"""Knowledge: publications to the movement, call-outs, curation (picks and digests), tips."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.models.base import Base, utcnow
from bot.models.core import _enum
from bot.models.stories import Consent, Story


class PublicationStatus(enum.StrEnum):
    PROPOSED = "proposed"
    DECLINED = "declined"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


class Publication(Base):
    """A story proposed for the movement's channel; published only on its author's approval.

    `text_sha256` fingerprints the story exactly as its author was shown it (text and naming):
    an approval stands only while the story still matches it.
    """

    __tablename__ = "publications"

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), index=True)
    status: Mapped[PublicationStatus] = mapped_column(
        _enum(PublicationStatus, "publication_status"), default=PublicationStatus.PROPOSED
    )
    proposed_by: Mapped[str] = mapped_column(String(32))
    author_user_id: Mapped[str] = mapped_column(String(32))
    named: Mapped[bool] = mapped_column(default=False)
    text_sha256: Mapped[str | None] = mapped_column(String(64))
    channel_id: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column()
    withdrawn_at: Mapped[datetime | None] = mapped_column()

    story: Mapped[Story] = relationship()


class CalloutStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Callout(Base):
    """A question the CoP asks the wider movement; answers become stories linked to it."""

    __tablename__ = "callouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), index=True
    )
    question: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(32))
    status: Mapped[CalloutStatus] = mapped_column(
        _enum(CalloutStatus, "callout_status"), default=CalloutStatus.OPEN
    )
    channel_id: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column()


class CalloutAnswer(Base):
    """Links an answer (a story) to its call-out and to whoever answered, member or not."""

    __tablename__ = "callout_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    callout_id: Mapped[int] = mapped_column(
        ForeignKey("callouts.id", ondelete="CASCADE"), index=True
    )
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), unique=True)
    responder_user_id: Mapped[str] = mapped_column(String(32))
    responder_name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    callout: Mapped[Callout] = relationship()
    story: Mapped[Story] = relationship()


class Digest(Base):
    """A curated set of stories posted once to an audience (the CoP or the movement)."""

    __tablename__ = "digests"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(255), unique=True)
    audience: Mapped[str] = mapped_column(String(16))
    story_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    created_by: Mapped[str | None] = mapped_column(String(32))
    channel_id: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Pick(Base):
    """A story a convenor picked for curation; each audience's digest uses it once."""

    __tablename__ = "curation_picks"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), index=True
    )
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), unique=True)
    picked_by: Mapped[str] = mapped_column(String(32))
    picked_at: Mapped[datetime] = mapped_column(default=utcnow)
    cop_digest_id: Mapped[int | None] = mapped_column(ForeignKey("digests.id", ondelete="SET NULL"))
    movement_digest_id: Mapped[int | None] = mapped_column(
        ForeignKey("digests.id", ondelete="SET NULL")
    )
    blogged_at: Mapped[datetime | None] = mapped_column()

    story: Mapped[Story] = relationship()


class Tip(Base):
    """A one-line, quick-fire learning, often drawn from a story; rounded up once.

    `consent` is where the tip may go: its story's consent when it was made, only ever narrowed
    after (it outlives the story); empty when no one knows where it came from.
    """

    __tablename__ = "tips"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), index=True
    )
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(String(300))
    consent: Mapped[Consent | None] = mapped_column(_enum(Consent, "story_consent"))
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    roundup_key: Mapped[str | None] = mapped_column(String(255))

    story: Mapped[Story | None] = relationship()
