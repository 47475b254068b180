"""Engine and unit-of-work: one transaction per Slack request or scheduled job, owned by the caller."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Insert,
    Select,
    Table,
    create_engine,
    event,
    inspect,
    make_url,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

SessionFactory = Callable[[], Session]
Row = TypeVar("Row")


BUSY_TIMEOUT_SECONDS = 30.0
PING_AFTER_IDLE_SECONDS = 10.0  # PostgreSQL: a pooled connection idle longer is tried first
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
_write_gates: dict[str, threading.Lock] = {}
_gates_lock = threading.Lock()


class _GatedSQLiteConnection(sqlite3.Connection):
    """A SQLite connection whose write transactions take turns on a lock in this process.

    SQLite has one writer at a time; a second writer waits in SQLite's busy handler, which sleeps
    1, 2, 5 … 100 ms between tries, so under a burst of writes the waiters wake late and some
    lose over and over (a story form's submission waited over a second behind twenty others).
    Taking the file's lock here, at the first write of a transaction (where SQLite itself takes
    its write lock) and giving it back at commit or rollback, hands the turn over at once and in
    order. It adds no new waiting: a writer waited for the same thing in SQLite before. Only one
    `kettle serve` uses a SQLite file (bot/server.py), so the writers are all in this process.
    """

    gate: threading.Lock  # set per database file by `_gated_connection_class`
    holding = False

    def begin_write(self) -> None:
        if self.holding:
            return
        if not self.gate.acquire(timeout=BUSY_TIMEOUT_SECONDS):
            raise sqlite3.OperationalError("database is locked")
        self.holding = True

    def end_write(self) -> None:
        if self.holding:
            self.holding = False
            self.gate.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.end_write()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.end_write()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.end_write()


def _gated_connection_class(database: str) -> type[_GatedSQLiteConnection]:
    key = os.path.realpath(database)
    with _gates_lock:
        gate = _write_gates.setdefault(key, threading.Lock())
    return type("GatedSQLiteConnection", (_GatedSQLiteConnection,), {"gate": gate})


def make_engine(
    url: str, *, ping_after_idle: float = PING_AFTER_IDLE_SECONDS, **kwargs: Any
) -> Engine:
    """An engine tuned for each backend: SQLite gets WAL, foreign keys, a busy timeout and its
    writers taking turns in-process; both get a pool big enough for every thread that may hold
    a connection at once (Waitress's, the listeners', the after-ack pool's, the scheduler's), so
    that a burst of requests neither waits for a connection nor opens and closes new ones.
    PostgreSQL's pooled connections are tried before use only after `ping_after_idle` seconds
    idle (unless `pool_pre_ping` is given)."""
    if url.startswith("sqlite"):
        database = make_url(url).database or ""
        in_memory = database in ("", ":memory:") or "mode=memory" in url
        connect_args: dict[str, Any] = {"check_same_thread": False, "timeout": BUSY_TIMEOUT_SECONDS}
        if not in_memory:
            connect_args["factory"] = _gated_connection_class(database)
            if "poolclass" not in kwargs:
                kwargs.setdefault("pool_size", 20)
                kwargs.setdefault("max_overflow", 40)
        engine = create_engine(url, connect_args=connect_args, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Per connection: foreign keys, the busy timeout and `synchronous` (NORMAL is safe
            # with WAL: a crash may lose the last commits, never corrupt). WAL itself is a
            # property of the file, set once; asking again would take a lock each time.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if not in_memory:
                mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
                if str(mode).lower() != "wal":
                    cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
            cursor.close()

        if not in_memory:

            @event.listens_for(engine, "before_cursor_execute")
            def _take_write_turn(
                conn: Any, _cursor: Any, statement: str, *_args: Any, **_kw: Any
            ) -> None:
                if statement.lstrip()[:7].upper().startswith(_WRITES):
                    dbapi_connection = conn.connection.dbapi_connection
                    if isinstance(dbapi_connection, _GatedSQLiteConnection):
                        dbapi_connection.begin_write()

            @event.listens_for(engine, "checkin")
            def _end_write_turn(dbapi_connection: Any, _record: Any) -> None:
                # Back in the pool, a connection has finished its transaction (even one that
                # was in autocommit mode, with no commit to give the turn back at).
                if isinstance(dbapi_connection, _GatedSQLiteConnection):
                    dbapi_connection.end_write()

        return engine
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 20)
        kwargs.setdefault("max_overflow", 20)
    if "pool_pre_ping" in kwargs:
        return create_engine(url, **kwargs)
    engine = create_engine(url, **kwargs)

    # A connection left idle may have been closed by the server (a restart, a proxy's timeout):
    # one idle for longer than `ping_after_idle` is tried first and replaced if it is gone.
    # `pool_pre_ping` tried every checkout, a round trip before every request's first statement
    # while a burst was reusing connections seconds old.
    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_from"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_from = record.info.pop("idle_from", None)
        if idle_from is None or time.monotonic() - idle_from < ping_after_idle:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise DisconnectionError("the connection was closed while idle") from error

    return engine


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


@contextmanager
def autocommitted(factory: SessionFactory) -> Iterator[Session]:
    """A session whose every statement is its own transaction, for work that is one statement
    (the viewer read before an ack, the insert that tells Slack's retries apart) or several that
    need not agree. On PostgreSQL that is one round trip instead of three (BEGIN and COMMIT
    around it), and under load every round trip is a wait for the interpreter on the way back.
    Anything that must be all or nothing uses `unit_of_work`."""
    session = factory()
    try:
        if session.get_bind().dialect.name == "postgresql":
            session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        yield session
        session.commit()  # SQLite's transaction; on PostgreSQL nothing is left to commit
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def engine_of(factory: SessionFactory) -> Engine:
    """The engine a session factory's sessions are bound to."""
    bind = factory.kw.get("bind") if isinstance(factory, sessionmaker) else None
    if isinstance(bind, Engine):
        return bind
    session = factory()
    try:
        return session.get_bind().engine
    finally:
        session.close()


@contextmanager
def read_connection(factory: SessionFactory) -> Iterator[Connection]:
    """A Core connection for a read that is one statement and builds no ORM objects (the viewer
    read on every request before its ack): without a Session's bookkeeping it costs a third of
    the interpreter's time, which under load every other request's ack is waiting for. On
    PostgreSQL the statement is its own transaction (no BEGIN and COMMIT round trips)."""
    engine = engine_of(factory)
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        yield connection


class DriverRead:
    """A SELECT built once, compiled once for each database, and run on the connection's own
    driver cursor (sqlite3's, psycopg's): for the one read every request makes before its ack
    (the viewer, bot/services/membership/viewers.py), where SQLAlchemy's execution (its events,
    execution context and result wrapping: a fifth of a millisecond of the interpreter's time)
    cost over ten times what the driver itself spends. Rows come back as the driver gives
    them: plain tuples, each column as stored (an Enum column's value, not its member). The
    engine's `before_cursor_execute` listeners are told of the statement, as for any other.

    A driver's error is raised as SQLAlchemy's (`DBAPIError` and its kinds), as any other
    statement's would be; a connection the error shows is gone is invalidated, so the pool
    replaces it."""

    def __init__(self, statement: Select[*tuple[Any, ...]]) -> None:
        self.statement = statement
        self._compiled: dict[str, tuple[str, tuple[str, ...] | None]] = {}

    def _for(self, dialect: Dialect) -> tuple[str, tuple[str, ...] | None]:
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            order = tuple(compiled.positiontup or ()) if compiled.positional else None
            found = self._compiled[dialect.name] = (compiled.string, order)
        return found

    def rows(self, connection: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        dialect = connection.dialect
        sql, order = self._for(dialect)
        args: Any = tuple(params[name] for name in order) if order is not None else params
        driver = connection.connection.dbapi_connection
        assert driver is not None
        cursor = driver.cursor()
        try:
            # Whoever watches the engine's statements (a count, a log) sees this one too.
            connection.dispatch.before_cursor_execute(connection, cursor, sql, args, None, False)
            cursor.execute(sql, args)
            return list(cursor.fetchall())
        except dialect.loaded_dbapi.Error as error:
            gone = dialect.is_disconnect(error, driver, cursor)
            if gone:
                connection.invalidate(error)
            raise DBAPIError.instance(
                sql,
                args,
                error,
                dialect.loaded_dbapi.Error,
                connection_invalidated=gone,
                dialect=dialect,
            ) from error
        finally:
            cursor.close()


@contextmanager
def write_connection(factory: SessionFactory) -> Iterator[Connection]:
    """A Core connection in one transaction, committed when the block ends (rolled back if it
    raises), for a write of a few statements built once that makes no ORM objects (a send's
    claim and mark in the delivery ledger): without a Session's bookkeeping."""
    with engine_of(factory).begin() as connection:
        yield connection


def insert_once(
    table: Table, *keys: str, returning: Sequence[ColumnElement[Any]] = ()
) -> dict[str, Insert]:
    """An INSERT that leaves a row already there (the same `keys`) as it was: ON CONFLICT DO
    NOTHING, built once for each database Kettle runs on. Run the one for the connection's
    dialect (`statement[connection.dialect.name]`) with the row, or rows, as its parameters;
    with `returning`, a row that was there already returns nothing."""
    built: dict[str, Insert] = {}
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite)):
        statement = dialect.insert(table).on_conflict_do_nothing(index_elements=list(keys))
        built[name] = statement.returning(*returning) if returning else statement
    return built


# A write of this many rows or more refreshes its table's statistics at once (`analyze`).
BULK_ROWS = 1000


def analyze(factory: SessionFactory, table: str) -> None:
    """PostgreSQL: gather `table`'s statistics now, after a write of thousands of rows (a week's
    check-in ledger) has changed its size faster than autovacuum's next analyze will notice.

    Until then the planner believes the table is as small as it was. A statement that psycopg
    has prepared keeps the generic plan chosen from that belief: a sequential scan comparing
    each row with every key of a 500-key lookup in turn (PostgreSQL hashes only constant IN
    lists): 0.17 s a lookup, where the same lookup takes 8 ms once analyzed. ANALYZE gives
    the planner the new size and makes every session plan such statements afresh. PostgreSQL's
    manual asks for this after a bulk load ("Populating a Database": run ANALYZE afterwards).
    It takes no lock that readers or writers wait for. SQLite plans from its indexes alone."""
    engine = engine_of(factory)
    if engine.dialect.name != "postgresql":
        return
    name = engine.dialect.identifier_preparer.quote(table)
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text(f"ANALYZE {name}"))


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
