"""Stories members tell (what happened, what kind, and where the author allows it to go), and
the files they send Kettle to make stories of."""

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


class FileStatus(enum.StrEnum):
    PENDING = "pending"  # noted; its bytes are being fetched from Slack
    KEPT = "kept"  # the bytes are in Kettle's store
    FAILED = "failed"  # they could not be fetched; the sender was told


class StoryFile(Base):
    """A voice clip, video or file a member sent Kettle, kept in Kettle's own storage.

    `story_id` is empty until the member turns it into a story; `sha256` names the bytes in
    the content-addressed store, so the same file sent twice is kept once. A row is noted
    `pending` as the message arrives and becomes `kept` or `failed` once the bytes are fetched
    (after the acknowledgement); while pending, `size` is what Slack says the file weighs.
    """

    __tablename__ = "story_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), index=True
    )
    story_id: Mapped[int | None] = mapped_column(
        ForeignKey("stories.id", ondelete="SET NULL"), index=True
    )
    uploader_user_id: Mapped[str] = mapped_column(String(32), index=True)
    slack_file_id: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(255))
    mimetype: Mapped[str] = mapped_column(String(128), default="application/octet-stream")
    size: Mapped[int] = mapped_column(default=0)
    sha256: Mapped[str] = mapped_column(String(64))
    message_text: Mapped[str] = mapped_column(Text, default="")
    permalink: Mapped[str | None] = mapped_column(String(2000))
    status: Mapped[FileStatus] = mapped_column(
        _enum(FileStatus, "file_status"), default=FileStatus.KEPT, server_default="kept"
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    story: Mapped[Story | None] = relationship()


# The library's full-text index is made by migration 0011s beside the models: on SQLite the
# FTS5 table `story_search` (with its shadow tables `story_search_*`), on PostgreSQL the
# generated column `stories.search_vector` and its GIN index. Only the library's search reads
# them; the schema check leaves them out.
SEARCH_INDEX = "story_search"
SEARCH_VECTOR = "search_vector"
SEARCH_VECTOR_INDEX = "ix_stories_search_vector"


def is_search_index(type_: str, name: str | None) -> bool:
    """Whether a reflected table, column or index is part of the library's full-text index."""
    if type_ == "table":
        return name == SEARCH_INDEX or (name or "").startswith(SEARCH_INDEX + "_")
    return (type_, name) in (("column", SEARCH_VECTOR), ("index", SEARCH_VECTOR_INDEX))
