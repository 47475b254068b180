"""rounds: a mode (live for a meeting, asynchronous across time zones); appreciative inquiry's
choices (topics, themes of the positive core, provocative propositions) and their votes; a
Discover retelling waits for its partner's yes; a Destiny commitment names its proposition and
who joins it

Revision ID: 0011i
Revises: 0010f
Create Date: 2026-12-02 04:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.models.base

revision: str = "0011i"
down_revision: str | Sequence[str] | None = "0010f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Every round before this revision kept time in minutes: live.
    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "mode",
                sa.Enum("live", "async", name="round_mode", native_enum=False, length=32),
                nullable=False,
                server_default="live",
            )
        )
    op.create_table(
        "round_choices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "topic",
                "theme",
                "proposition",
                name="round_choice_kind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=True),
        sa.Column("chosen", sa.Boolean(), nullable=False),
        sa.Column("source_key", sa.String(length=255), nullable=True),
        sa.Column("created_at", bot.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["round_id"], ["rounds.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["theme_id"], ["round_choices.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_key"),
    )
    op.create_index("ix_round_choices_scope", "round_choices", ["community_id", "kind", "round_id"])
    op.create_table(
        "round_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("choice_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("created_at", bot.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["choice_id"], ["round_choices.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("scope", "member_id"),
    )
    op.create_index("ix_round_votes_choice_id", "round_votes", ["choice_id"])
    op.create_table(
        "round_joiners",
        sa.Column("commitment_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("created_at", bot.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["commitment_id"], ["round_commitments.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("commitment_id", "member_id"),
    )
    with op.batch_alter_table("round_contributions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("about_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("awaiting", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_foreign_key(
            "fk_round_contributions_about_id", "members", ["about_id"], ["id"], ondelete="SET NULL"
        )
    with op.batch_alter_table("round_commitments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("choice_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_round_commitments_choice_id",
            "round_choices",
            ["choice_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    # A retelling its partner never said yes to was never posted: it goes with the column.
    op.execute("DELETE FROM round_contributions WHERE awaiting")
    with op.batch_alter_table("round_commitments", schema=None) as batch_op:
        batch_op.drop_constraint("fk_round_commitments_choice_id", type_="foreignkey")
        batch_op.drop_column("choice_id")
    with op.batch_alter_table("round_contributions", schema=None) as batch_op:
        batch_op.drop_constraint("fk_round_contributions_about_id", type_="foreignkey")
        batch_op.drop_column("awaiting")
        batch_op.drop_column("about_id")
    op.drop_table("round_joiners")
    op.drop_index("ix_round_votes_choice_id", table_name="round_votes")
    op.drop_table("round_votes")
    op.drop_index("ix_round_choices_scope", table_name="round_choices")
    op.drop_table("round_choices")
    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.drop_column("mode")
