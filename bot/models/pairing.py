"""One-to-one pairing: who takes part, whom they'd rather not meet, and each round's groups."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.models.base import Base, utcnow
from bot.models.core import Member


class PairingPreference(Base):
    __tablename__ = "pairing_preferences"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), unique=True
    )
    opted_in: Mapped[bool] = mapped_column(Boolean, default=False)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    skip_round: Mapped[int | None] = mapped_column(Integer)  # the round number to sit out
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PairingAvoid(Base):
    """A private 'please don't pair me with'; only its owner ever sees it."""

    __tablename__ = "pairing_avoids"
    __table_args__ = (UniqueConstraint("member_id", "avoided_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    avoided_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))


class PairingRound(Base):
    __tablename__ = "pairing_rounds"
    __table_args__ = (UniqueConstraint("community_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    groups: Mapped[list[PairingGroup]] = relationship(
        back_populates="round", order_by="PairingGroup.id"
    )


class PairingGroup(Base):
    """Two people (three when the number is odd) introduced in a group DM."""

    __tablename__ = "pairing_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("pairing_rounds.id", ondelete="CASCADE"), index=True
    )
    channel_id: Mapped[str | None] = mapped_column(String(32))
    met: Mapped[bool | None] = mapped_column(Boolean)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    introduced_at: Mapped[datetime | None] = mapped_column()
    followed_up_at: Mapped[datetime | None] = mapped_column()

    round: Mapped[PairingRound] = relationship(back_populates="groups")
    members: Mapped[list[PairingGroupMember]] = relationship(
        back_populates="group", order_by="PairingGroupMember.member_id"
    )


class PairingGroupMember(Base):
    __tablename__ = "pairing_group_members"
    __table_args__ = (UniqueConstraint("group_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("pairing_groups.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))

    group: Mapped[PairingGroup] = relationship(back_populates="members")
    member: Mapped[Member] = relationship()
