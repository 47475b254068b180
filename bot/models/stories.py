"""Stories members tell: what happened, what kind, and where the author allows it to go."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.models.base import Base, utcnow
from bot.models.core import Community, Member, _enum


class StoryKind(enum.StrEnum):
    SUCCESS = "success"
    MISTAKE = "mistake"
    LEARNING = "learning"
    IDEA = "idea"


class Consent(enum.StrEnum):
    """Where a story may ever appear; chosen by its author."""

    COP_ONLY = "cop_only"
    MOVEMENT_ANONYMOUS = "movement_anonymous"
    MOVEMENT_NAMED = "movement_named"

    @property
    def may_leave_cop(self) -> bool:
        return self is not Consent.COP_ONLY

    @property
    def may_name_author(self) -> bool:
        return self is Consent.MOVEMENT_NAMED


class Story(Base):
    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(150))
    body: Mapped[str] = mapped_column(Text)
    kind: Mapped[StoryKind] = mapped_column(_enum(StoryKind, "story_kind"))
    themes: Mapped[list[str]] = mapped_column(JSON, default=list)
    media_url: Mapped[str | None] = mapped_column(String(2000))
    consent: Mapped[Consent] = mapped_column(_enum(Consent, "story_consent"))
    source_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    cop_channel_id: Mapped[str | None] = mapped_column(String(32))
    cop_message_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    community: Mapped[Community] = relationship()
    author: Mapped[Member | None] = relationship()
