"""Benchmark: one week's check-in fan-out to 10,000 members against the fake Slack enforcing
Slack's rate limits. Run on demand (not collected by pytest):

    python -m tests.perf.bench_checkin_fanout [--members 10000] [--scale 200] [--database-url URL]

Limits (docs.slack.dev/apis/web-api/rate-limits; per app per workspace):
  chat.postMessage    1 per second per channel (each DM is its own channel), plus a workspace-wide
                      limit Slack does not publish: assumed 600 a minute (bursts included).
  conversations.open  Tier 3: 50 a minute (needed once per member per process, to find the DM).
At the real limits the cold fan-out takes 10,000 / 50 per minute = 200 minutes, bound by
conversations.open. To run in about a minute, every time window is divided by --scale; the
output says so and scales the lower bound the same way.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
import tracemalloc
from collections import Counter
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path

from bot import migrate, runtime
from bot.config import Settings
from bot.db import make_engine, make_session_factory, unit_of_work
from bot.delivery import PostRateLimiter, Sender
from bot.models import Community, Member
from bot.schedules.checkins import run_tick
from bot.services import checkins
from bot.slack import make_client
from tests.fakeslack import FakeSlack

REAL_LIMITS = {"chat.postMessage": (600, 60.0), "conversations.open": (50, 60.0)}
ZONES = ("Europe/London", "America/New_York", "Asia/Kolkata", "Pacific/Auckland")
THURSDAY = datetime(2026, 4, 2, 10, 0, tzinfo=UTC)  # Thursday, after 00:30, in all four zones


def seed(session_factory: object, fake: FakeSlack, n: int) -> list[str]:
    users = [f"UB{i:06d}" for i in range(n)]
    with unit_of_work(session_factory) as session:  # type: ignore[arg-type]
        community = Community(slug="default", name="Bench CoP", settings={})
        session.add(community)
        session.flush()
        checkins.save_schedule(session, community, checkins.Schedule(weekday=3, at=dt_time(0, 30)))
        session.add_all(
            Member(community_id=community.id, user_id=u, name=f"M{i}", tz=ZONES[i % 4])
            for i, u in enumerate(users)
        )
    for i, u in enumerate(users):
        fake.add_user(u, f"M{i}", tz=ZONES[i % 4])
    return users


def count_dms(fake: FakeSlack, users: list[str], week: str) -> Counter[int]:
    """How many members got 0, 1, 2… check-in DMs for the week."""
    spread: Counter[int] = Counter()
    for user in users:
        n = sum(
            1
            for m in fake.dm_messages(user)
            if ((m.get("metadata") or {}).get("event_payload") or {}).get("key", "").endswith(week)
        )
        spread[n] += 1
    return spread


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument(
        "--scale", type=float, default=200.0, help="divide every limit window by this"
    )
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations")
    args = parser.parse_args()

    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        from tests.conftest import _reset_postgres

        _reset_postgres(url)
    migrate.upgrade(engine)
    session_factory = make_session_factory(engine)

    scaled = {m: (n, window / args.scale) for m, (n, window) in REAL_LIMITS.items()}
    with FakeSlack(bot_token="xoxb-bench") as fake:
        fake.enforce_rate_limits(per_method=scaled, per_channel_post_per_second=1)
        users = seed(session_factory, fake, args.members)
        settings = Settings(
            bot_token="xoxb-bench", signing_secret="0" * 32, api_url=fake.api_url, database_url=url
        )
        client = make_client(settings.bot_token, fake.api_url, max_retries=10)
        # Kettle's own pacing, a hair under the enforced limits.
        limiter = PostRateLimiter(0, per_method={m: (n, w * 1.05) for m, (n, w) in scaled.items()})
        sender = Sender(client, session_factory, limiter=limiter)
        rt = runtime.Runtime(settings, engine, session_factory, client, sender)

        def fan_out(now: datetime, label: str) -> None:
            week = checkins.week_of(now.date())
            fake.ratelimited_count = 0
            opens_before = len(fake.calls_to("conversations.open"))
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            if args.tracemalloc:
                tracemalloc.start()
            started = time.monotonic()
            report = run_tick(rt, now=now, workers=args.workers)
            elapsed = time.monotonic() - started
            peak_traced = tracemalloc.get_traced_memory()[1] if args.tracemalloc else 0
            if args.tracemalloc:
                tracemalloc.stop()
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            opens = len(fake.calls_to("conversations.open")) - opens_before
            posts, open_rate = args.members, 50 / 60 * args.scale
            post_rate = 600 / 60 * args.scale
            bound = max(opens / open_rate, posts / post_rate)
            spread = count_dms(fake, users, week)
            # A second tick (a repeat, a restart, another replica) must send nothing more.
            again = run_tick(rt, now=now + timedelta(minutes=1), workers=args.workers)
            spread_after = count_dms(fake, users, week)
            print(f"\n== {label}: {week}, {args.members:,} members ==")
            print(f"limits scaled down {args.scale:g}x: every window divided by {args.scale:g}")
            print(f"  sent {report.sent:,}  failed {report.failed}  repeat tick sent {again.sent}")
            print(
                f"  conversations.open calls {opens:,}  HTTP 429s answered by the fake {fake.ratelimited_count}"
            )
            print(f"  total time            {elapsed:8.1f} s")
            print(
                f"  lower bound of limits {bound:8.1f} s   (x{args.scale:g} = {bound * args.scale / 60:.0f} min at real limits)"
            )
            print(
                f"  duplicates {sum(v for k, v in spread_after.items() if k > 1)}  misses {spread_after.get(0, 0)}  (before the repeat: misses {spread.get(0, 0)})"
            )
            print(
                f"  peak RSS {rss / 1024:.0f} MB (was {rss_before / 1024:.0f} MB; fake Slack shares the process)"
            )
            if args.tracemalloc:
                print(f"  peak traced Python allocations {peak_traced / 2**20:.0f} MB")

        fan_out(THURSDAY, "cold start: every DM channel opened")
        fan_out(THURSDAY + timedelta(days=7), "the next week: DM channels already known")
    engine.dispose()


if __name__ == "__main__":
    main()
