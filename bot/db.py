"""Engine and unit-of-work: one transaction per Slack request or scheduled job, owned by the caller."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, inspect, text, update
from sqlalchemy.orm import Session, sessionmaker

SessionFactory = Callable[[], Session]
Row = TypeVar("Row")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine tuned for each backend: SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        connect_args = {"check_same_thread": False, "timeout": 30}
        engine = create_engine(url, connect_args=connect_args, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if ":memory:" not in url:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    return create_engine(url, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def unit_of_work(factory: SessionFactory) -> Iterator[Session]:
    """Commit if the block finishes, roll back if it raises; services never commit."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def lock(session: Session, row: Row) -> Row:
    """Hold `row` until the transaction ends and read it again as it now is, so that two people
    deciding the same thing at once go one after the other and the second sees the first's choice.

    PostgreSQL: `SELECT ... FOR UPDATE`, which waits for another holder to commit. SQLite has no
    row locks: a no-op UPDATE of the row takes the database's write lock first (waiting, up to
    the busy timeout, for any other writer), then the row is read inside that transaction.
    Take locks in one order everywhere (a community before its rows) so none can deadlock.
    """
    if session.get_bind().dialect.name == "sqlite":
        mapper = inspect(row).mapper
        table = mapper.local_table
        keys = dict(zip(mapper.primary_key, inspect(row).identity or (), strict=True))
        session.execute(
            update(table)
            .where(*(column == value for column, value in keys.items()))
            .values({column.name: column for column in keys})
        )
    session.refresh(row, with_for_update=True)
    return row


def database_ok(engine: Engine) -> tuple[bool, str]:
    """A cheap liveness probe for /healthz."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True, "ok"
    except Exception as exc:
        return False, type(exc).__name__
