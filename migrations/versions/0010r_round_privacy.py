"""rounds: each commitment report carries its owner's sharing choice (private unless they share)

Revision ID: 0010r
Revises: 0009
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010r"
down_revision: str | Sequence[str] | None = "0009"
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


def downgrade() -> None:
    with op.batch_alter_table("round_commitments", schema=None) as batch_op:
        batch_op.drop_column("report_visibility")
