"""rounds: each commitment report carries its owner's sharing choice (private unless they share);
round_posts records where each post that carries someone's words or name is, for forget-me

Revision ID: 0010r
Revises: 0010k
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.models.base

revision: str = "0010r"
down_revision: str | Sequence[str] | None = "0010k"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Reports written before there was a choice stay private: nobody chose to share them.
    with op.batch_alter_table("round_commitments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "report_visibility",
                sa.Enum("private", "cop", name="round_share", native_enum=False, length=32),
                nullable=False,
                server_default="private",
            )
        )

    op.create_table(
        "round_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "opening",
                "contribution",
                "commitment",
                "note",
                "synthesis",
                "ask",
                name="round_post_kind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("ref_id", sa.Integer(), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("ts", sa.String(length=32), nullable=False),
        sa.Column("stale", sa.Boolean(), nullable=False),
        sa.Column("created_at", bot.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_round_posts_member_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["rounds.id"],
            name=op.f("fk_round_posts_round_id_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_posts")),
        sa.UniqueConstraint("channel_id", "ts", name=op.f("uq_round_posts_channel_id_ts")),
    )
    with op.batch_alter_table("round_posts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_round_posts_round_id"), ["round_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_round_posts_stale"), ["stale"], unique=False)
    _record_earlier_posts()


def _record_earlier_posts() -> None:
    """Rounds posted before this revision: their openings (the thread) and syntheses (in the
    delivery ledger) are where forget-me can find them. Earlier contributions kept no ts."""
    rounds = sa.table(
        "rounds",
        sa.column("id", sa.Integer()),
        sa.column("channel_id", sa.String()),
        sa.column("thread_ts", sa.String()),
        sa.column("started_at", bot.models.base.UTCDateTime(timezone=True)),
    )
    deliveries = sa.table(
        "deliveries", sa.column("key", sa.String()), sa.column("message_ts", sa.String())
    )
    posts = sa.table(
        "round_posts",
        sa.column("round_id", sa.Integer()),
        sa.column("kind", sa.String()),
        sa.column("channel_id", sa.String()),
        sa.column("ts", sa.String()),
        sa.column("stale", sa.Boolean()),
        sa.column("created_at", bot.models.base.UTCDateTime(timezone=True)),
    )
    columns = ["round_id", "kind", "channel_id", "ts", "stale", "created_at"]
    openings = sa.select(
        rounds.c.id,
        sa.literal("opening"),
        rounds.c.channel_id,
        rounds.c.thread_ts,
        sa.false(),
        rounds.c.started_at,
    ).where(rounds.c.thread_ts.is_not(None))
    op.execute(posts.insert().from_select(columns, openings))
    key = sa.literal("round:") + sa.cast(rounds.c.id, sa.String()) + sa.literal(":synthesis")
    syntheses = (
        sa.select(
            rounds.c.id,
            sa.literal("synthesis"),
            rounds.c.channel_id,
            deliveries.c.message_ts,
            sa.false(),
            rounds.c.started_at,
        )
        .select_from(rounds.join(deliveries, deliveries.c.key == key))
        .where(deliveries.c.message_ts.is_not(None))
    )
    op.execute(posts.insert().from_select(columns, syntheses))


def downgrade() -> None:
    with op.batch_alter_table("round_posts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_round_posts_stale"))
        batch_op.drop_index(batch_op.f("ix_round_posts_round_id"))
    op.drop_table("round_posts")
    with op.batch_alter_table("round_commitments", schema=None) as batch_op:
        batch_op.drop_column("report_visibility")
