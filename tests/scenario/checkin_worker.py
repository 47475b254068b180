"""A separate Kettle process that runs one check-in tick against the fake Slack, for the tests
that kill it mid fan-out or run two replicas at once.

    python -m tests.scenario.checkin_worker DATABASE_URL API_URL NOW_ISO POSTS_PER_SECOND LEASE_S
"""

from __future__ import annotations

import logging
import sys
from datetime import datetime, timedelta

from bot import runtime
from bot.config import Settings
from bot.db import make_engine, make_session_factory
from bot.delivery import PostRateLimiter, Sender
from bot.schedules.checkins import run_tick
from bot.slack import make_client


def main(argv: list[str]) -> int:
    db_url, api_url, now_iso, per_second, lease = argv
    logging.basicConfig(level=logging.WARNING)
    settings = Settings(
        bot_token="xoxb-test",
        signing_secret="8f742231b10e8888abcd9912345678a5",
        api_url=api_url,
        database_url=db_url,
    )
    engine = make_engine(db_url)
    session_factory = make_session_factory(engine)
    client = make_client(settings.bot_token, api_url)
    rate = float(per_second)
    limiter = PostRateLimiter(0, per_method={"chat.postMessage": (1, 1 / rate)} if rate else {})
    sender = Sender(
        client, session_factory, limiter=limiter, claim_lease=timedelta(seconds=float(lease))
    )
    rt = runtime.Runtime(settings, engine, session_factory, client, sender)
    report = run_tick(rt, now=datetime.fromisoformat(now_iso), workers=2)
    print(f"sent={report.sent} failed={report.failed}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
