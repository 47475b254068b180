"""learning_sets.moved_from: the group DMs a set has left because someone in them left the CoP
(Slack cannot take a person out of a group DM), each to be told once that the set has moved

Revision ID: 0011m
Revises: 0011a
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011m"
down_revision: str | Sequence[str] | None = "0011a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("learning_sets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("moved_from", sa.JSON(), server_default="[]", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("learning_sets", schema=None) as batch_op:
        batch_op.drop_column("moved_from")
