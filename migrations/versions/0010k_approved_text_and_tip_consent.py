"""publications.text_sha256 and tips.consent: an approval holds only for the text approved, and
a tip keeps its story's consent

Revision ID: 0010k
Revises: 0009
Create Date: 2026-12-01 10:00:00

Existing publications get the fingerprint of their story as it stands (no version so far could
change a story's text after it was told). Existing tips drawn from a story take its consent;
a tip whose story is already gone has no known consent and stays in the CoP.
"""

import hashlib
import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010k"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONSENT = sa.Enum(
    "cop_only",
    "movement_anonymous",
    "movement_named",
    name="story_consent",
    native_enum=False,
    length=32,
)


def _fingerprint(
    title: str, body: str, kind: str, themes: list, media_url: str | None, named: bool
) -> str:
    """As bot.services.knowledge.text_fingerprint computes it, frozen here for the backfill."""
    shown = [title, body, kind, list(themes or []), media_url or None, bool(named)]
    data = json.dumps(shown, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def upgrade() -> None:
    with op.batch_alter_table("publications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("text_sha256", sa.String(length=64), nullable=True))
    with op.batch_alter_table("tips", schema=None) as batch_op:
        batch_op.add_column(sa.Column("consent", CONSENT, nullable=True))

    bind = op.get_bind()
    stories = sa.table(
        "stories",
        sa.column("id", sa.Integer),
        sa.column("title", sa.String),
        sa.column("body", sa.Text),
        sa.column("kind", sa.String),
        sa.column("themes", sa.JSON),
        sa.column("media_url", sa.String),
        sa.column("consent", sa.String),
    )
    publications = sa.table(
        "publications",
        sa.column("id", sa.Integer),
        sa.column("story_id", sa.Integer),
        sa.column("named", sa.Boolean),
        sa.column("text_sha256", sa.String),
    )
    tips = sa.table("tips", sa.column("story_id", sa.Integer), sa.column("consent", sa.String))
    rows = bind.execute(
        sa.select(
            publications.c.id,
            publications.c.named,
            stories.c.title,
            stories.c.body,
            stories.c.kind,
            stories.c.themes,
            stories.c.media_url,
        ).join(stories, stories.c.id == publications.c.story_id)
    ).all()
    for row in rows:
        bind.execute(
            publications.update()
            .where(publications.c.id == row.id)
            .values(
                text_sha256=_fingerprint(
                    row.title, row.body, row.kind, row.themes, row.media_url, row.named
                )
            )
        )
    bind.execute(
        tips.update()
        .where(tips.c.story_id.is_not(None))
        .values(
            consent=sa.select(stories.c.consent)
            .where(stories.c.id == tips.c.story_id)
            .scalar_subquery()
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("tips", schema=None) as batch_op:
        batch_op.drop_column("consent")
    with op.batch_alter_table("publications", schema=None) as batch_op:
        batch_op.drop_column("text_sha256")
