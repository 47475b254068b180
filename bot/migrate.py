"""Apply and check Alembic migrations; safe when several replicas start at once."""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

import migrations

log = logging.getLogger(__name__)

MIGRATION_LOCK_KEY = 0x6B6574746C65  # "kettle": advisory lock id for migrations


class DatabaseBehind(Exception):
    """The database schema is older than this code."""


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revisions(url: str) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(url)).get_heads())


def current_revisions(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def pending(engine: Engine) -> bool:
    url = engine.url.render_as_string(hide_password=False)
    return current_revisions(engine) != head_revisions(url)


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """Serialise migrations: a PostgreSQL advisory lock, or a file lock beside a SQLite file."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
                conn.commit()
        return
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        with open(f"{database}.migrate-lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return
    yield


def upgrade(engine: Engine) -> bool:
    """Bring the schema to the newest revision; returns whether anything was applied."""
    url = engine.url.render_as_string(hide_password=False)
    with _migration_lock(engine):
        if current_revisions(engine) == head_revisions(url):
            return False
        config = alembic_config(url)
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "heads")
        log.info("database migrated to %s", ", ".join(sorted(head_revisions(url))))
        return True


def require_current(engine: Engine) -> None:
    if pending(engine):
        raise DatabaseBehind(
            "the database is behind this version of Kettle: run `kettle migrate` "
            "(or start without --no-migrate)"
        )
