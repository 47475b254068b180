"""Library search and the App Home at 500 and at 5,000 stories: latency and SQL statements per
request, and how each grows from one size to the other (5,000 ÷ 500).

Run on demand:  python -m tests.perf.bench_library [--requests 60] [--database-url URL]

SQLite always; PostgreSQL too when --database-url or KETTLE_TEST_DATABASE_URL names one (its
schema is emptied first, as the tests do). The fake Slack runs in its own process; Kettle is
served by Waitress on loopback in this one, so that its statements can be counted (SQLAlchemy's
`before_cursor_execute`). The smaller CoP is a tenth of the larger: 500 stories, 100 members and
20 meetings, then 5,000, 1,000 and 200 (tests/perf/population.py writes them).

Each request is timed from sending it to Kettle having finished everything it does for it:
for `/story search` the reply is in the acknowledgement itself; for the App Home, Slack's
`app_home_opened` is acknowledged at once and the time runs until `views.publish` has returned.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import count
from pathlib import Path

from sqlalchemy import Engine, select, text
from waitress.server import create_server

from bot import migrate, runtime
from bot.app import create_app
from bot.config import Settings, normalise_database_url
from bot.db import make_engine, make_session_factory, unit_of_work
from bot.delivery import Sender
from bot.models import Community
from bot.server import bootstrap_community
from bot.slack import make_client
from bot.web import make_wsgi_app
from tests.conftest import BOT_TOKEN, CONVENOR, COP, MEMBER, SIGNING_SECRET
from tests.fakeslack import SlackSigner
from tests.harness import TrackingExecutor
from tests.perf.bench_ack import pct, start
from tests.perf.population import FULL, WORDS, Size, StatementCounter, populate

SMALL = FULL.scaled(0.1)


@dataclass
class Row:
    surface: str
    stories: int
    p50: float
    p99: float
    statements: float


class Served:
    """Kettle on loopback against the fake Slack, with its listeners' pool watched."""

    def __init__(self, db_url: str, api_url: str) -> None:
        self.engine: Engine = make_engine(db_url)
        migrate.upgrade(self.engine)
        settings = Settings(
            bot_token=BOT_TOKEN,
            signing_secret=SIGNING_SECRET,
            api_url=api_url,
            database_url=db_url,
            convenors=(CONVENOR,),
            cop_channel=COP,
        )
        self.factory = make_session_factory(self.engine)
        client = make_client(BOT_TOKEN, api_url)
        rt = runtime.Runtime(
            settings, self.engine, self.factory, client, Sender(client, self.factory)
        )
        runtime.install(rt)
        bootstrap_community(rt)
        self.listeners = TrackingExecutor()
        app = create_app(
            settings,
            client=client,
            session_factory=self.factory,
            sender=rt.sender,
            listener_executor=self.listeners,
        )
        self.server = create_server(make_wsgi_app(app, self.engine), host="127.0.0.1", port=0,
                                    threads=8)  # fmt: skip
        self.url = f"http://127.0.0.1:{self.server.effective_port}/slack/events"
        threading.Thread(target=self.server.run, daemon=True).start()
        self.counter = StatementCounter(self.engine)

    def grow(self, size: Size, tag: str) -> None:
        with unit_of_work(self.factory) as session:
            community_id = session.scalars(select(Community.id)).one()
            populate(session, community_id, size, tag=tag)
        if self.engine.dialect.name == "postgresql":
            with self.engine.begin() as conn:
                conn.execute(text("ANALYZE"))  # as autovacuum would, soon after a bulk load

    def close(self) -> None:
        self.counter.close()
        self.server.close()
        self.listeners.shutdown(wait=True)
        runtime.clear()
        self.engine.dispose()


def measure(served: Served, request: Callable[[], None], n: int) -> tuple[list[float], float]:
    """Each request in turn: milliseconds until Kettle finished it, and statements per request."""
    for _ in range(5):
        request()  # warm up
    served.listeners.wait_idle()
    timings: list[float] = []
    statements = 0
    for _ in range(n):
        with served.counter.counting():
            begin = time.perf_counter()
            request()
            served.listeners.wait_idle()
            timings.append((time.perf_counter() - begin) * 1000)
        statements += served.counter.count
    return timings, statements / n


def surfaces(served: Served, signer: SlackSigner) -> dict[str, Callable[[], None]]:
    ids = count()

    def search() -> None:
        word = WORDS[next(ids) % len(WORDS)]
        request = signer.slash_command("/story", f"search {word}", MEMBER, channel_id=COP,
                                       trigger_id=f"T{next(ids)}")  # fmt: skip
        status, _headers, body = request.post(served.url)
        if status != 200 or "stories match" not in body:
            raise RuntimeError(f"search answered {status}: {body[:200]}")

    def home(user: str) -> Callable[[], None]:
        def open_home() -> None:
            event = {"type": "app_home_opened", "user": user, "tab": "home", "channel": "D1"}
            status, _headers, _body = signer.event(event).post(served.url)
            if status != 200:
                raise RuntimeError(f"app_home_opened answered {status}")

        return open_home

    return {
        "/story search": search,
        "App Home, member": home(MEMBER),
        "App Home, convenor": home(CONVENOR),
    }


def bench(db_url: str, api_url: str, n: int) -> list[Row]:
    served = Served(db_url, api_url)
    signer = SlackSigner(SIGNING_SECRET)
    rows: list[Row] = []
    try:
        served.grow(SMALL, "a")
        rest = Size(FULL.stories - SMALL.stories, FULL.members - SMALL.members,
                    FULL.meetings - SMALL.meetings)  # fmt: skip
        for size, grow in ((SMALL, None), (FULL, rest)):
            if grow is not None:
                served.grow(grow, "b")
            for name, request in surfaces(served, signer).items():
                timings, statements = measure(served, request, n)
                rows.append(Row(name, size.stories, statistics.median(timings),
                                pct(timings, 0.99), statements))  # fmt: skip
    finally:
        served.close()
    return rows


def report(database: str, rows: list[Row], n: int) -> None:
    print(f"\ndatabase: {database}; {n} requests per row, one at a time; milliseconds")
    print(f"{'surface':<22}{'stories':>8}{'p50':>9}{'p99':>9}{'SQL/request':>13}")
    for row in rows:
        print(f"{row.surface:<22}{row.stories:>8}{row.p50:>9.1f}{row.p99:>9.1f}"
              f"{row.statements:>13.1f}")  # fmt: skip
    print(f"growth from {SMALL.stories} to {FULL.stories} stories ({FULL.stories // SMALL.stories}×"
          " the data):")  # fmt: skip
    for small in rows:
        if small.stories != SMALL.stories:
            continue
        full = next(r for r in rows if r.surface == small.surface and r.stories == FULL.stories)
        print(f"  {small.surface:<22} p50 ×{full.p50 / small.p50:.2f}  p99 ×{full.p99 / small.p99:.2f}"
              f"  SQL/request ×{full.statements / small.statements:.2f}", flush=True)  # fmt: skip


def _empty_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--database-url", default=os.environ.get("KETTLE_TEST_DATABASE_URL", ""))
    args = parser.parse_args()
    fake, api_url = start("fake")
    try:
        sqlite_url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench-library.db'}"
        report("sqlite", bench(sqlite_url, api_url, args.requests), args.requests)
        if args.database_url:
            url = normalise_database_url(args.database_url)
            _empty_postgres(url)
            report(url.split(":")[0], bench(url, api_url, args.requests), args.requests)
    finally:
        fake.terminate()
        fake.wait(timeout=30)


if __name__ == "__main__":
    main()
