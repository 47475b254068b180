"""checkins: the member's care box, asked in words that say what happens, and turning them off

Revision ID: 0010c
Revises: 0010r
Create Date: 2026-12-01 23:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.models.base

revision: str = "0010c"
down_revision: str | Sequence[str] | None = "0010r"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A new column rather than the old call box: a tick given under the old words never meant
    # "send the convenors a DM", so it must never be read as that.
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("tell_convenors", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_table(
        "checkin_optouts",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("created_at", bot.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_checkin_optouts_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_checkin_optouts")),
    )


def downgrade() -> None:
    op.drop_table("checkin_optouts")
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_column("tell_convenors")
