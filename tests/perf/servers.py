"""Processes for the benchmarks: the fake Slack, Kettle, or a bare Bolt app, each on its own.

python -m tests.perf.servers fake [MEMBERS]             → prints the fake's API URL
python -m tests.perf.servers kettle|bare|modal API_URL DB_URL [--profile] → prints the app's events URL
(bare: a Bolt app that only acks; modal: one that acks /story and opens the same story form)
Each runs until its standard input closes. With --profile the app runs under yappi (CPU time, every
thread); a line `profile PATH` on its standard input writes what was profiled since the last such
line to PATH (inclusive and own time per function), answers `profiled` and starts afresh. A line
`waited` answers (as JSON) how long each piece of work after an ack waited for other requests'
acks since the last such line (bot/acks.py).
"""

from __future__ import annotations

import gc
import json
import sys
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress.server import create_server

from tests.conftest import BOT_TOKEN, CONVENOR, COP, MEMBER, MEMBER2, SIGNING_SECRET


def bench_members(n: int) -> list[str]:
    """The members who send the benchmark's requests (each request comes from the next one)."""
    return [f"UBENCH{i:03d}" for i in range(n)]


def run_fake(members: int) -> None:
    import time

    from tests.fakeslack import FakeSlack

    class BenchSlack(FakeSlack):
        """Trigger ids come from the load generator in another process: accept each once.
        Each views.open is timed on the machine's monotonic clock (the same in every process),
        and `bench.views_opened` tells the load generator when each trigger's modal opened."""

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.opened_at: dict[str, float] = {}
            self._methods["bench.views_opened"] = lambda _p: {"opened": dict(self.opened_at)}

        def _consume_trigger(self, trigger: Any) -> None:
            with self.lock:
                self.triggers.setdefault(str(trigger), self.clock())
            super()._consume_trigger(trigger)

        def _views_open(self, p: dict[str, Any]) -> dict[str, Any]:
            received = time.monotonic()
            result = super()._views_open(p)  # raises for a trigger that was refused
            self.opened_at[str(p.get("trigger_id"))] = received
            return result

    # The fake stands in for Slack's servers, whose pauses are not this machine's. It keeps a
    # record of every call, and once that record is large each full collection of Python's
    # cyclic garbage collector stopped the fake for 0.15 s: every app waiting on it (for
    # views.open) stalled with it, which was most of the p99 of any app that calls Slack.
    gc.disable()
    fake = BenchSlack(bot_token=BOT_TOKEN, trigger_ttl=3600)
    people = [CONVENOR, MEMBER, MEMBER2, *bench_members(members)]
    for user in people:
        fake.add_user(user, f"Member {user[-3:]}" if user.startswith("UBENCH") else user)
    fake.add_channel(COP, "peoples-cop", members=people)
    fake.start()
    print(fake.api_url, flush=True)
    sys.stdin.read()
    fake.stop()


def bare_app(api_url: str, *, opens_modal: bool = False) -> App:
    """A Bolt app that only acks; `opens_modal`: one that answers /story as Slack expects an
    app to, by opening the same story form after its ack, in its own process. Its client is
    Kettle's in-process one (slack_sdk's, over kept-alive connections, no debug lines built):
    the cheapest way this machine has to make the call, so the floor is not flattered."""
    from slack_sdk import WebClient

    from bot.builders.stories import story_modal
    from bot.slack import make_client

    app = App(
        client=make_client(BOT_TOKEN, api_url),
        signing_secret=SIGNING_SECRET,
        token_verification_enabled=False,
    )
    form = story_modal(community_id=1)

    @app.command("/story")
    def _cmd(ack: Any, body: dict[str, Any], client: WebClient) -> None:
        ack()
        if opens_modal:
            client.views_open(trigger_id=body["trigger_id"], view=form)

    @app.view("story_modal")
    def _view(ack: Any) -> None:
        ack()

    return app


def run_app(kind: str, api_url: str, db_url: str, *, profile: bool = False) -> None:
    import threading

    from bot import migrate, runtime
    from bot.app import create_app
    from bot.call_worker import CallWorker
    from bot.config import Settings
    from bot.db import make_engine, make_session_factory
    from bot.delivery import Sender
    from bot.server import bootstrap_community, settle_after_start
    from bot.slack import make_client
    from bot.web import make_wsgi_app

    engine = make_engine(db_url)
    if kind == "kettle":
        migrate.upgrade(engine)
        settings = Settings(
            bot_token=BOT_TOKEN,
            signing_secret=SIGNING_SECRET,
            api_url=api_url,
            database_url=db_url,
            convenors=(CONVENOR,),
            cop_channel=COP,
        )
        factory = make_session_factory(engine)
        worker = CallWorker(api_url, db_url)  # as `kettle serve` starts one
        worker.start()
        client = make_client(BOT_TOKEN, api_url, worker=worker)
        rt = runtime.Runtime(settings, engine, factory, client, Sender(client, factory))
        runtime.install(rt)
        bootstrap_community(rt)
        app = create_app(settings, client=client, session_factory=factory, sender=rt.sender)
    else:
        app = bare_app(api_url, opens_modal=kind == "modal")
    # The bare apps are served as the framework serves them, by Bolt's own WSGI adapter.
    served = make_wsgi_app(app, engine) if kind == "kettle" else SlackRequestHandler(app)
    server = create_server(served, host="127.0.0.1", port=0, threads=8)
    if kind == "kettle":
        settle_after_start()  # as `kettle serve` does before serving
    if profile:
        import yappi

        yappi.set_clock_type("cpu")
        yappi.start(profile_threads=True)
    threading.Thread(target=server.run, daemon=True).start()
    print(f"http://127.0.0.1:{server.effective_port}/slack/events", flush=True)
    for line in sys.stdin:
        command, _, path = line.strip().partition(" ")
        if command == "profile" and profile:
            write_profile(path)
            print("profiled", flush=True)
        elif command == "waited":  # how long work after acks waited for them, since last asked
            gate = getattr(app, "kettle_acks_first", None)
            waits = list(gate.waited) if gate is not None else []
            if gate is not None:
                gate.waited.clear()
            print(json.dumps(waits), flush=True)
    server.close()


def write_profile(path: str, limit: int = 60) -> None:
    """What yappi saw since the last call: the functions that took most CPU, by inclusive time
    and by own time, in milliseconds; then clear for the next row."""
    import yappi

    stats = yappi.get_func_stats()
    rows = [(s.ttot, s.tsub, s.ncall, f"{s.module}:{s.lineno} {s.name}") for s in stats]
    total = sum(t[1] for t in rows)
    with open(path, "w", encoding="utf-8") as out:
        out.write(f"CPU seen by yappi: {total * 1000:.0f} ms (own time summed)\n")
        for title, index in (("inclusive", 0), ("own", 1)):
            out.write(f"\n-- by {title} time: ms inclusive, ms own, calls, function\n")
            for ttot, tsub, ncall, name in sorted(rows, key=lambda r: -r[index])[:limit]:
                out.write(f"{ttot * 1000:10.1f} {tsub * 1000:10.1f} {ncall:8d}  {name}\n")
    yappi.clear_stats()


if __name__ == "__main__":
    if sys.argv[1] == "fake":
        run_fake(int(sys.argv[2]) if len(sys.argv) > 2 else 0)
    else:
        run_app(sys.argv[1], sys.argv[2], sys.argv[3], profile="--profile" in sys.argv[4:])
