"""PostgreSQL's pooled connections are tried before use only once they have been idle a while
(bot/db.py): one the server closed while it sat in the pool is replaced, not handed out. The
same holds for the reads run on the driver's own cursor (bot/db.DriverRead)."""

from __future__ import annotations

from functools import partial

import pytest
from sqlalchemy import Engine, Integer, bindparam, func, select, text
from sqlalchemy.exc import DBAPIError, ProgrammingError

from bot.db import DriverRead, engine_of, make_engine, make_session_factory, read_connection


def test_a_connection_closed_while_idle_is_replaced(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's pool; SQLite's connections are files")
    engine = make_engine(db_url, pool_size=1, max_overflow=0, ping_after_idle=0.0)
    other = make_engine(db_url)
    try:
        with engine.connect() as conn:
            first = conn.scalar(text("SELECT pg_backend_pid()"))
        with other.begin() as conn:  # the server closes it, as a restart or a timeout would
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        with engine.connect() as conn:
            second = conn.scalar(text("SELECT pg_backend_pid()"))
        assert second != first
    finally:
        engine.dispose()
        other.dispose()


def test_a_connection_closed_moments_after_use_fails_once_and_the_pool_is_renewed(
    db_url: str,
) -> None:
    """The price of not trying every checkout: a connection the server closed within the idle
    window fails the one statement that finds it so (Kettle reports that request as failed);
    SQLAlchemy then drops the pool's connections, and the next request gets a live one."""
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's pool; SQLite's connections are files")
    engine = make_engine(db_url, pool_size=1, max_overflow=0, ping_after_idle=3600.0)
    other = make_engine(db_url)
    try:
        with engine.connect() as conn:
            first = conn.scalar(text("SELECT pg_backend_pid()"))
        with other.begin() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        with pytest.raises(DBAPIError) as failed, engine.connect() as conn:
            conn.scalar(text("SELECT 1"))
        assert failed.value.connection_invalidated
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT pg_backend_pid()")) != first
    finally:
        engine.dispose()
        other.dispose()


def test_a_read_connection_comes_from_the_factorys_engine_and_reads_committed_rows(
    engine: Engine,
) -> None:
    factory = make_session_factory(engine)
    assert engine_of(factory) is engine
    assert engine_of(partial(factory, info={"team_id": "T1"})) is engine  # as load_viewer's
    with read_connection(factory) as connection:
        assert connection.scalar(text("SELECT 1")) == 1
        if engine.dialect.name == "postgresql":  # one statement, no BEGIN/COMMIT around it
            assert connection.connection.driver_connection.autocommit is True


def test_a_driver_read_on_a_connection_closed_moments_after_use_fails_once_as_sqlalchemys_would(
    db_url: str,
) -> None:
    """The viewer's read runs on the driver's own cursor (bot/db.DriverRead): a connection the
    server closed fails it with SQLAlchemy's error, as any statement's, and is replaced."""
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's pool; SQLite's connections are files")
    engine = make_engine(db_url, pool_size=1, max_overflow=0, ping_after_idle=3600.0)
    other = make_engine(db_url)
    pid = DriverRead(select(func.pg_backend_pid()))
    factory = make_session_factory(engine)
    try:
        with read_connection(factory) as connection:
            [(first,)] = pid.rows(connection, {})
        with other.begin() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        with pytest.raises(DBAPIError) as failed, read_connection(factory) as connection:
            pid.rows(connection, {})
        assert failed.value.connection_invalidated
        with read_connection(factory) as connection:
            [(second,)] = pid.rows(connection, {})
        assert second != first
    finally:
        engine.dispose()
        other.dispose()


def test_a_driver_read_binds_by_name_and_raises_sqlalchemys_errors(engine: Engine) -> None:
    pair = DriverRead(select(bindparam("b", type_=Integer), bindparam("a", type_=Integer)))
    with read_connection(make_session_factory(engine)) as connection:
        assert pair.rows(connection, {"a": 1, "b": 2}) == [(2, 1)]
        with pytest.raises(ProgrammingError if engine.dialect.name == "postgresql" else DBAPIError):
            DriverRead(select(text("* FROM no_such_table"))).rows(connection, {})
