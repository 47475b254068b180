"""story_files.status: a file is noted pending, then kept or failed once its bytes are fetched

Revision ID: 0010f
Revises: 0010c
Create Date: 2026-11-27 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010f"
down_revision: str | Sequence[str] | None = "0010c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Every file noted before this revision was fetched before its row was written: kept.
    with op.batch_alter_table("story_files", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "status",
                sa.Enum(
                    "pending",
                    "kept",
                    "failed",
                    name="file_status",
                    native_enum=False,
                    length=32,
                ),
                server_default="kept",
                nullable=False,
            )
        )


def downgrade() -> None:
    # Rows that never got their bytes have nothing behind them in the old schema.
    op.execute("DELETE FROM story_files WHERE status <> 'kept'")
    with op.batch_alter_table("story_files", schema=None) as batch_op:
        batch_op.drop_column("status")
