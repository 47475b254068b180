"""the library's full-text index: SQLite FTS5 (porter stemming) or a PostgreSQL tsvector

SQLite: `story_search`, an FTS5 table over the stories' titles and bodies (its content read from
`stories` by rowid), kept in step by three triggers on `stories`. A Python whose SQLite lacks
FTS5 gets no index; the library then searches by plain matching, and says so in its log.
PostgreSQL: `stories.search_vector`, a stored generated tsvector (title weighted above body,
the 'english' configuration), with a GIN index. Both are built over the stories already told.

A later migration that rebuilds `stories` in SQLite's batch mode drops its triggers with the old
table: it must call `create_sqlite_index` again (tests/unit/test_library_search.py notices).

Revision ID: 0011s
Revises: 0011d
Create Date: 2026-12-02 04:00:00
"""

import logging
from collections.abc import Sequence

from alembic import op
from sqlalchemy.engine import Connection

revision: str = "0011s"
down_revision: str | Sequence[str] | None = "0011d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")

SQLITE_INDEX = [
    "CREATE VIRTUAL TABLE story_search USING fts5(title, body, content='stories', "
    "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER story_search_insert AFTER INSERT ON stories BEGIN "
    "INSERT INTO story_search(rowid, title, body) VALUES (new.id, new.title, new.body); END",
    "CREATE TRIGGER story_search_delete AFTER DELETE ON stories BEGIN "
    "INSERT INTO story_search(story_search, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body); END",
    "CREATE TRIGGER story_search_update AFTER UPDATE OF title, body ON stories BEGIN "
    "INSERT INTO story_search(story_search, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body); "
    "INSERT INTO story_search(rowid, title, body) VALUES (new.id, new.title, new.body); END",
    "INSERT INTO story_search(story_search) VALUES ('rebuild')",
]

POSTGRESQL_INDEX = [
    "ALTER TABLE stories ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(body, '')), 'B')) STORED",
    "CREATE INDEX ix_stories_search_vector ON stories USING gin (search_vector)",
]


def sqlite_has_fts5(connection: Connection) -> bool:
    options = {row[0] for row in connection.exec_driver_sql("PRAGMA compile_options")}
    return "ENABLE_FTS5" in options


def create_sqlite_index(connection: Connection) -> None:
    for statement in ("DROP TRIGGER IF EXISTS story_search_insert",
                      "DROP TRIGGER IF EXISTS story_search_delete",
                      "DROP TRIGGER IF EXISTS story_search_update",
                      "DROP TABLE IF EXISTS story_search"):  # fmt: skip
        connection.exec_driver_sql(statement)
    for statement in SQLITE_INDEX:
        connection.exec_driver_sql(statement)


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        if not sqlite_has_fts5(connection):
            log.warning(
                "This Python's SQLite has no FTS5: the library will be searched without a "
                "full-text index (no stemming, no ranking). Use a Python built with FTS5."
            )
            return
        create_sqlite_index(connection)
    elif connection.dialect.name == "postgresql":
        for statement in POSTGRESQL_INDEX:
            op.execute(statement)


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        for name in ("story_search_insert", "story_search_delete", "story_search_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS story_search")
    elif connection.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_stories_search_vector")
        op.execute("ALTER TABLE stories DROP COLUMN IF EXISTS search_vector")
