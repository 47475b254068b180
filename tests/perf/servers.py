"""Processes for the benchmarks: the fake Slack, Kettle, or a bare Bolt app, each on its own.

python -m tests.perf.servers fake                       → prints the fake's API URL
python -m tests.perf.servers kettle|bare API_URL DB_URL → prints the app's events URL
Each runs until its standard input closes.
"""

from __future__ import annotations

import sys
from typing import Any

from slack_bolt import App
from waitress.server import create_server

from tests.conftest import BOT_TOKEN, CONVENOR, COP, MEMBER, MEMBER2, SIGNING_SECRET


def run_fake() -> None:
    from tests.fakeslack import FakeSlack

    class BenchSlack(FakeSlack):
        """Trigger ids come from the load generator in another process: accept each once."""

        def _consume_trigger(self, trigger: Any) -> None:
            with self.lock:
                self.triggers.setdefault(str(trigger), self.clock())
            super()._consume_trigger(trigger)

    fake = BenchSlack(bot_token=BOT_TOKEN, trigger_ttl=3600)
    for user, name in ((CONVENOR, "Esther"), (MEMBER, "Amina"), (MEMBER2, "Rohan")):
        fake.add_user(user, name)
    fake.add_channel(COP, "peoples-cop", members=[CONVENOR, MEMBER, MEMBER2])
    fake.start()
    print(fake.api_url, flush=True)
    sys.stdin.read()
    fake.stop()


def bare_app(api_url: str) -> App:
    from bot.slack import make_client

    app = App(
        client=make_client(BOT_TOKEN, api_url),
        signing_secret=SIGNING_SECRET,
        token_verification_enabled=False,
    )

    @app.command("/story")
    def _cmd(ack: Any) -> None:
        ack()

    @app.view("story_modal")
    def _view(ack: Any) -> None:
        ack()

    return app


def run_app(kind: str, api_url: str, db_url: str) -> None:
    import threading

    from bot import migrate, runtime
    from bot.app import create_app
    from bot.config import Settings
    from bot.db import make_engine, make_session_factory
    from bot.delivery import Sender
    from bot.server import bootstrap_community
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
        client = make_client(BOT_TOKEN, api_url)
        rt = runtime.Runtime(settings, engine, factory, client, Sender(client, factory))
        runtime.install(rt)
        bootstrap_community(rt)
        app = create_app(settings, client=client, session_factory=factory, sender=rt.sender)
    else:
        app = bare_app(api_url)
    server = create_server(make_wsgi_app(app, engine), host="127.0.0.1", port=0, threads=8)
    threading.Thread(target=server.run, daemon=True).start()
    print(f"http://127.0.0.1:{server.effective_port}/slack/events", flush=True)
    sys.stdin.read()
    server.close()


if __name__ == "__main__":
    if sys.argv[1] == "fake":
        run_fake()
    else:
        run_app(sys.argv[1], sys.argv[2], sys.argv[3])
