"""What Kettle asks the database before it acknowledges a request, counted (SQLAlchemy's
`before_cursor_execute`) by the thread that asks: everything but the after-ack pool's work is on
the path of the ack. `/story` asks one statement (who is asking, and for which CoP), the story
form's submission three (that, the story stored unless this form's is already, its thank-you;
on PostgreSQL the last two are one statement) and two more when its author asks for it to be
posted (the CoP's channel, the post), an event one more (its delivery recorded, so that a retry
is dropped). This is a count, not a timing."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event, func, select

from bot.models import Delivery, Story
from tests.conftest import COP, MEMBER
from tests.harness import Kettle
from tests.scenario.test_stories import open_modal, story_values

_TABLE = re.compile(r"\b(?:FROM|INTO)\s+\"?(\w+)", re.IGNORECASE)


class AckPath:
    """The statements run outside the after-ack pool, as "VERB table" (the first table named)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.seen: list[str] = []
        self._lock = threading.Lock()
        self._on = False

    def _count(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        name = threading.current_thread().name
        if not self._on or name.startswith(("after-ack", "file-download")):
            return
        table = _TABLE.search(statement)
        with self._lock:
            self.seen.append(f"{statement.split()[0].upper()} {table.group(1) if table else ''}")

    @contextmanager
    def counting(self) -> Iterator[list[str]]:
        self.seen = []
        event.listen(self.engine, "before_cursor_execute", self._count)
        self._on = True
        try:
            yield self.seen
        finally:
            self._on = False
            event.remove(self.engine, "before_cursor_execute", self._count)


def test_story_command_asks_one_statement_before_its_ack(kettle: Kettle, engine: Engine) -> None:
    open_modal(kettle)  # warm: what is read once per process
    path = AckPath(engine)
    for channel in (COP, "C0GENERAL", "D0MEMBER"):
        with path.counting() as seen:
            reply = kettle.command(MEMBER, "/story", channel=channel)
        assert reply.status == 200 and kettle.fake.last_view()["callback_id"] == "story_modal"
        assert seen == ["SELECT communities"], channel


def test_a_story_is_stored_in_three_statements_before_its_ack(
    kettle: Kettle, engine: Engine
) -> None:
    path = AckPath(engine)
    view = open_modal(kettle)
    with path.counting() as seen:
        reply = kettle.submit(MEMBER, view, story_values())
    assert reply.status == 200 and not reply.text
    on_postgres = engine.dialect.name == "postgresql"
    if on_postgres:
        # The story (unless this form's is stored already) and its thank-you, one statement.
        assert seen == ["SELECT communities", "WITH stories"]
    else:
        assert seen == [
            "SELECT communities",  # the viewer
            "INSERT stories",  # unless a story from this form is stored already (ON CONFLICT)
            "INSERT deliveries",  # the thank-you
        ]
    with path.counting() as seen:  # Slack's retry of it: the store finds it there, thanks no one
        again = kettle.submit(MEMBER, view, story_values())
    assert again.status == 200
    assert seen == ["SELECT communities", "WITH stories" if on_postgres else "INSERT stories"]
    view = open_modal(kettle)
    with path.counting() as seen:
        reply = kettle.submit(MEMBER, view, story_values(post=True))
    assert reply.status == 200 and not reply.text
    assert seen == [
        "SELECT communities",  # the viewer
        "INSERT stories",
        "SELECT communities",  # the CoP's channel, for the post its author asked for
        "INSERT deliveries",  # the CoP post
        "INSERT deliveries",  # the thank-you
    ]
    assert len(kettle.fake.messages(COP)) == 1
    # The same form submitted again: two statements, nothing stored or sent twice.
    with path.counting() as seen:
        again = kettle.submit(MEMBER, view, story_values(post=True))
    assert again.status == 200 and seen == ["SELECT communities", "INSERT stories"]
    with kettle.db() as session:
        assert session.scalar(select(func.count()).select_from(Story)) == 2
        assert session.scalar(select(func.count()).select_from(Delivery)) == 3
    assert len(kettle.fake.messages(COP)) == 1


def test_an_event_is_recorded_in_one_statement_and_its_retry_dropped(
    kettle: Kettle, engine: Engine
) -> None:
    path = AckPath(engine)
    home = {"type": "app_home_opened", "user": MEMBER, "tab": "home", "channel": "D1"}
    with path.counting() as seen:
        kettle.event(home, event_id="Ev0ACK", settle=False)
        kettle.settle()
    assert seen[:2] == ["INSERT processed_requests", "SELECT communities"]
    with path.counting() as seen:
        retry = kettle.event(home, event_id="Ev0ACK", retry_num=1, retry_reason="http_timeout")
    assert retry.status == 200 and seen == ["INSERT processed_requests"]
    assert len(kettle.fake.calls_to("views.publish")) == 1


class HeldPool:
    """An after-ack pool whose work waits until the test runs it, as under a burst."""

    def __init__(self) -> None:
        self.waiting: list[Any] = []

    def submit(self, fn: Any) -> None:
        self.waiting.append(fn)

    def run_all(self) -> None:
        while self.waiting:
            self.waiting.pop(0)()


def test_app_home_refreshes_waiting_for_one_person_are_one(kettle: Kettle) -> None:
    """Changes that each ask for someone's App Home while a refresh waits are shown by that one
    refresh (it reads when it begins); a change once it has begun asks for another."""
    from handlers import home

    pool = HeldPool()
    context = {"db": kettle.session_factory, "background": pool}
    body: dict[str, Any] = {}
    for _ in range(3):
        home.publish_home_later(context, body, kettle.client, MEMBER)  # type: ignore[arg-type]
    assert len(pool.waiting) == 1
    view = open_modal(kettle)
    kettle.submit(MEMBER, view, story_values(title="Tea with the new members"))
    published = len(kettle.fake.calls_to("views.publish"))
    pool.run_all()
    assert len(kettle.fake.calls_to("views.publish")) == published + 1
    shown = kettle.fake.home(MEMBER)
    assert shown is not None and "Tea with the new members" in str(shown)
    home.publish_home_later(context, body, kettle.client, MEMBER)  # type: ignore[arg-type]
    assert len(pool.waiting) == 1
    pool.run_all()
