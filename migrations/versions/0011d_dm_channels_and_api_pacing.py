"""members.dm_channel_id (the DM Slack answered a post to the user id with) and api_pacing (the
next free Web API call slot per workspace and method, shared by every replica)

Revision ID: 0011d
Revises: 0011o
Create Date: 2026-12-02 04:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011d"
down_revision: str | Sequence[str] | None = "0011o"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dm_channel_id", sa.String(length=32), nullable=True))
    op.create_table(
        "api_pacing",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("method", sa.String(length=64), nullable=False),
        sa.Column("next_at", sa.Float(precision=53), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "method", name=op.f("pk_api_pacing")),
    )


def downgrade() -> None:
    op.drop_table("api_pacing")
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("dm_channel_id")
