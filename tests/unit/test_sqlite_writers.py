"""SQLite's writers take turns on a lock in the process (bot/db.py): every write of a burst
lands, and the turn is given back however a transaction ends."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from bot.db import _GatedSQLiteConnection, make_engine, make_session_factory, unit_of_work


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'writers.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, who TEXT NOT NULL)"))
    yield engine
    engine.dispose()


def _gate(engine: Engine) -> threading.Lock:
    with engine.connect() as conn:
        dbapi = conn.connection.dbapi_connection
        assert isinstance(dbapi, _GatedSQLiteConnection)
        return dbapi.gate


def test_a_burst_of_writers_all_land(engine: Engine) -> None:
    factory = make_session_factory(engine)
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for n in range(25):
                with unit_of_work(factory) as session:
                    session.execute(text("SELECT count(*) FROM notes")).scalar()
                    session.execute(
                        text("INSERT INTO notes (who) VALUES (:who)"), {"who": f"{worker}:{n}"}
                    )
                    session.execute(text("UPDATE notes SET who = who WHERE id = 1"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(DISTINCT who) FROM notes")) == 12 * 25
    assert not _gate(engine).locked()


def test_the_turn_is_given_back_on_commit_rollback_and_return_to_the_pool(engine: Engine) -> None:
    gate = _gate(engine)
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        session.execute(text("INSERT INTO notes (id, who) VALUES (1, 'first')"))
        assert gate.locked()  # from the first write to the commit
    assert not gate.locked()
    with pytest.raises(IntegrityError), unit_of_work(factory) as session:
        session.execute(text("INSERT INTO notes (id, who) VALUES (1, 'again')"))
    assert not gate.locked()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("INSERT INTO notes (id, who) VALUES (2, 'no transaction')"))
    assert not gate.locked()
    with unit_of_work(factory) as session:
        assert session.execute(text("SELECT count(*) FROM notes")).scalar() == 2
        assert not gate.locked()  # reading takes no turn


def test_engines_on_one_file_share_its_turns(tmp_path: Path, engine: Engine) -> None:
    other = make_engine(str(engine.url))
    try:
        assert _gate(other) is _gate(engine)
        elsewhere = make_engine(f"sqlite:///{tmp_path / 'elsewhere.db'}")
        assert _gate(elsewhere) is not _gate(engine)
        elsewhere.dispose()
    finally:
        other.dispose()
