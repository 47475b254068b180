"""checkins: weekly check-ins and pauses

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-26 16:52:01.846646
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.models.base

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "checkin_pauses",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("updated_at", bot.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_checkin_pauses_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_checkin_pauses")),
    )
    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=10), nullable=False),
        sa.Column(
            "status",
            sa.Enum("answered", "skipped", name="checkin_status", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("mood", sa.Integer(), nullable=True),
        sa.Column("on_mind", sa.Text(), nullable=False),
        sa.Column("win", sa.Text(), nullable=False),
        sa.Column("challenge", sa.Text(), nullable=False),
        sa.Column("support", sa.Text(), nullable=False),
        sa.Column("wants_call", sa.Boolean(), nullable=False),
        sa.Column(
            "visibility",
            sa.Enum(
                "private",
                "convenors",
                "cop",
                name="checkin_visibility",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", bot.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bot.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_checkins_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_checkins_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkins")),
        sa.UniqueConstraint("member_id", "week", name=op.f("uq_checkins_member_id_week")),
    )
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_checkins_community_id"), ["community_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_checkins_week"), ["week"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkins_week"))
        batch_op.drop_index(batch_op.f("ix_checkins_community_id"))

    op.drop_table("checkins")
    op.drop_table("checkin_pauses")
