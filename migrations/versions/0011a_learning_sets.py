"""learning_sets: standing action-learning sets (members, adviser, rhythm, next meeting in UTC,
their group DM); learning_set_offers: members volunteering to present at one meeting, and their
confirmation; rounds.set_id: each meeting is a round linked to its set

Revision ID: 0011a
Revises: 0011s
Create Date: 2026-12-02 04:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.models.base

revision: str = "0011a"
down_revision: str | Sequence[str] | None = "0011s"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

When = bot.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "learning_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("adviser_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("members", sa.JSON(), nullable=False),
        sa.Column(
            "rhythm",
            sa.Enum(
                "weekly", "fortnightly", "monthly", name="set_rhythm", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("tz", sa.String(length=64), nullable=False),
        sa.Column("next_meeting_at", When, nullable=True),
        sa.Column("called_for", When, nullable=True),
        sa.Column("reminded_for", When, nullable=True),
        sa.Column("meetings_planned", sa.Integer(), nullable=False),
        sa.Column("meetings_held", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=True),
        sa.Column("source_key", sa.String(length=255), nullable=True),
        sa.Column("created_at", When, nullable=False),
        sa.ForeignKeyConstraint(["adviser_id"], ["members.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_id"], ["members.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_key"),
    )
    with op.batch_alter_table("learning_sets", schema=None) as batch_op:
        batch_op.create_index("ix_learning_sets_community_id", ["community_id"], unique=False)
        batch_op.create_index("ix_learning_sets_next_meeting_at", ["next_meeting_at"], unique=False)

    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("set_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_rounds_set_id", ["set_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_rounds_set_id", "learning_sets", ["set_id"], ["id"], ondelete="SET NULL"
        )

    op.create_table(
        "learning_set_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("meeting_at", When, nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("help_wanted", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "offered",
                "confirmed",
                "withdrawn",
                name="offer_status",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("asked_at", When, nullable=True),
        sa.Column("round_id", sa.Integer(), nullable=True),
        sa.Column("created_at", When, nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["round_id"], ["rounds.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["set_id"], ["learning_sets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("set_id", "meeting_at", "member_id"),
    )
    with op.batch_alter_table("learning_set_offers", schema=None) as batch_op:
        batch_op.create_index("ix_learning_set_offers_set_id", ["set_id"], unique=False)
        batch_op.create_index("ix_learning_set_offers_round_id", ["round_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("learning_set_offers", schema=None) as batch_op:
        batch_op.drop_index("ix_learning_set_offers_round_id")
        batch_op.drop_index("ix_learning_set_offers_set_id")
    op.drop_table("learning_set_offers")
    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.drop_constraint("fk_rounds_set_id", type_="foreignkey")
        batch_op.drop_index("ix_rounds_set_id")
        batch_op.drop_column("set_id")
    with op.batch_alter_table("learning_sets", schema=None) as batch_op:
        batch_op.drop_index("ix_learning_sets_next_meeting_at")
        batch_op.drop_index("ix_learning_sets_community_id")
    op.drop_table("learning_sets")
