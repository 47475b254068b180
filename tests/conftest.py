"""Shared fixtures: a migrated database (SQLite, or PostgreSQL when KETTLE_TEST_DATABASE_URL is
set), a fake Slack on loopback, and Kettle itself served over HTTP."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from bot import migrate, runtime, storage
from bot.config import Settings, normalise_database_url
from bot.db import make_engine, make_session_factory
from bot.delivery import PostRateLimiter, Sender
from bot.models import Base
from bot.server import bootstrap_community
from bot.slack import make_client
from tests.fakeslack import FakeSlack
from tests.harness import Kettle

SIGNING_SECRET = "8f742231b10e8888abcd9912345678a5"
BOT_TOKEN = "xoxb-test"
CONVENOR = "UCONV"
MEMBER = "UMEM1"
MEMBER2 = "UMEM2"
OUTSIDER = "UOUT"
COP = "C0COP"
MOVEMENT = "C0MOVE"
GENERAL = "C0GENERAL"


def _reset_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("KETTLE_TEST_DATABASE_URL", "").strip()
    if url:
        url = normalise_database_url(url)
        _reset_postgres(url)
        return url
    path: Path = tmp_path_factory.mktemp("db") / "kettle-test.db"
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


def wipe(engine: Engine) -> None:
    """Empty every table between scenario tests (the schema stays)."""
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
        conn.execute(text("DELETE FROM apscheduler_jobs"))


@pytest.fixture
def db_session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back: services may flush, never commit."""
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()


@pytest.fixture
def session_factory(engine: Engine) -> Iterator[object]:
    yield make_session_factory(engine)
    wipe(engine)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    slack = FakeSlack(bot_token=BOT_TOKEN)
    slack.add_user(CONVENOR, "Esther", tz="Europe/London")
    slack.add_user(MEMBER, "Amina", tz="America/New_York")
    slack.add_user(MEMBER2, "Rohan", tz="Asia/Kolkata")
    slack.add_user(OUTSIDER, "Olly", tz="Pacific/Auckland")
    slack.add_channel(COP, "peoples-cop", is_private=True, members=[CONVENOR, MEMBER, MEMBER2])
    slack.add_channel(MOVEMENT, "movement", is_private=False, members=[CONVENOR])
    slack.add_channel(GENERAL, "general", is_private=False, members=[CONVENOR, MEMBER, OUTSIDER])
    with slack:
        yield slack


def make_settings(fake: FakeSlack, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "bot_token": BOT_TOKEN,
        "signing_secret": SIGNING_SECRET,
        "api_url": fake.api_url,
        "database_url": "unused",
        "convenors": (CONVENOR,),
        "cop_channel": COP,
        "movement_channel": MOVEMENT,
        "community_name": "People's CoP",
        # The fake serves files on loopback; in production this stays at Slack's file hosts.
        "file_hosts": (storage.origin_of(fake.api_url),),
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(fake: FakeSlack, db_url: str, tmp_path: Path) -> Settings:
    return make_settings(fake, database_url=db_url, files_dir=tmp_path / "files")


@pytest.fixture
def kettle(settings: Settings, fake: FakeSlack, engine: Engine) -> Iterator[Kettle]:
    """Kettle started as `kettle serve` starts it, minus the scheduler's own clock."""
    session_factory = make_session_factory(engine)
    client = make_client(settings.bot_token, settings.api_url, max_retries=3)
    rt = runtime.Runtime(
        settings,
        engine,
        session_factory,
        client,
        Sender(client, session_factory, limiter=PostRateLimiter(0)),
    )
    runtime.install(rt)
    bootstrap_community(rt)
    harness = Kettle(settings, fake, session_factory, client, sender=rt.sender)
    harness.start(engine)
    try:
        yield harness
    finally:
        harness.stop()
        runtime.clear()
        wipe(engine)
