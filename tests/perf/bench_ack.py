"""Acknowledgement latency of /story and of the story form's submission, Kettle beside a bare
Bolt app answering the same signed requests; and how soon /story's modal is open at Slack.

Run on demand:
    python -m tests.perf.bench_ack [--requests 300] [--concurrency 1,20,100] [--members 20]
                                   [--database-url postgresql://…] [--profile DIR]

The fake Slack, Kettle and a bare Bolt app (a listener that only acks, for the same command and
form) each run in their own process, served by Waitress on loopback with the same 8 threads.
This process signs each request as Slack does and times it from sending to the HTTP response:
what Slack holds to 3 seconds. Requests come from `--members` members in turn, so the work
Kettle does after each ack (the thank-you DM, the App Home) is done while the next requests come.

Both apps are measured in the same run, in alternating halves (bare, Kettle, Kettle, bare), so
the ratio holds on a machine that other work is slowing down. Each row prints p50, p99 and max
for both, Kettle ÷ bare, and the CPU each app's process spent per request in its halves (read
from /proc). For /story it also prints the time from sending the command to the fake Slack
receiving views.open (the trigger_id it carries expires after 3 s at Slack); for the submission,
how long the work after each ack waited for other requests' acks, as Kettle measured it
(bot/acks.py). At the end it checks that nothing was lost: one modal per /story, one story per
submission.

SQLite runs on a fresh file; with --database-url (PostgreSQL) it runs on SQLite and then on that
database, which should be empty (the stories it stores stay there). --profile DIR writes, for
each Kettle row, the functions that took the most CPU in Kettle's process (yappi) to DIR.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.builders.stories import story_modal
from bot.config import normalise_database_url
from bot.db import make_engine
from bot.models import Story
from tests.conftest import BOT_TOKEN, COP, SIGNING_SECRET
from tests.fakeslack import SlackSigner
from tests.perf.servers import bench_members
from tests.scenario.test_stories import story_values

TRIGGER_TTL_MS = 3000.0


@dataclass
class Process:
    proc: subprocess.Popen[str]
    url: str

    def send(self, line: str) -> str:
        """A line to the process; its answer."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def cpu_ms(self) -> float:
        """CPU time the process and the processes it started (Kettle's call worker) have used
        so far (user and system), in milliseconds."""
        return sum(_cpu_ms(pid) for pid in _with_children(self.proc.pid))

    def stop(self) -> None:
        self.proc.terminate()  # after-ack work still queued is not what is measured here
        self.proc.wait(timeout=30)


def _cpu_ms(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:  # ended meanwhile
        return 0.0
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def _with_children(pid: int) -> list[int]:
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in task.read_text().split():
            found += _with_children(int(child))
    return found


def start(*args: str) -> Process:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.perf.servers", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    return Process(proc, proc.stdout.readline().strip())


def measure(post: Callable[[], int], n: int, concurrency: int) -> list[float]:
    timings: list[float] = []
    lock = threading.Lock()

    def one(_i: int) -> None:
        begin = time.perf_counter()
        status = post()
        elapsed = (time.perf_counter() - begin) * 1000
        if status != 200:
            raise RuntimeError(f"status {status}")
        with lock:
            timings.append(elapsed)

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, range(n)))
    return timings


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def figures(values: list[float]) -> tuple[float, float, float]:
    return statistics.median(values), pct(values, 0.99), max(values)


@dataclass
class Load:
    """Signed requests, each from the next member; remembers what Kettle was sent."""

    signer: SlackSigner
    members: list[str]
    ids: count[int] = field(default_factory=count)
    sent_at: dict[str, float] = field(default_factory=dict)  # trigger id → monotonic time
    commands_to_kettle: int = 0
    submissions_to_kettle: int = 0

    def __post_init__(self) -> None:
        self.modal = story_modal(community_id=1)
        self.lock = threading.Lock()
        # Kettle stores a form's submission once per view id: ids differ from any earlier run's
        # on the same database, or its stories would rightly be taken for Slack's retries.
        self.run = f"{time.time_ns():x}"

    def member(self, n: int) -> str:
        return self.members[n % len(self.members)]

    def command(self, target: str, *, kettle: bool) -> Callable[[], int]:
        def post() -> int:
            n = next(self.ids)
            trigger = f"T{n}"
            request = self.signer.slash_command(
                "/story", "", self.member(n), channel_id=COP, trigger_id=trigger
            )
            if kettle:
                with self.lock:
                    self.commands_to_kettle += 1
                    self.sent_at[trigger] = time.monotonic()
            return request.post(target)[0]

        return post

    def submission(self, target: str, *, kettle: bool) -> Callable[[], int]:
        def post() -> int:
            n = next(self.ids)
            view = {**self.modal, "id": f"V{self.run}{n}", "hash": "h", "team_id": "T0001"}
            request = self.signer.view_submission(self.member(n), view, story_values())
            if kettle:
                with self.lock:
                    self.submissions_to_kettle += 1
            return request.post(target)[0]

        return post


def at_slack(api_url: str) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{api_url}bench.views_opened",
        data=b"{}",
        headers={"Authorization": f"Bearer {BOT_TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return dict(json.loads(response.read()))


def row(cells: list[str]) -> str:
    widths = [14, 5, 20, 20, 12, 16, 40]
    return "".join(
        c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
    )


def trio(values: tuple[float, float, float]) -> str:
    return " / ".join(f"{v:.0f}" if v >= 10 else f"{v:.1f}" for v in values)


def run(db_url: str, args: argparse.Namespace) -> bool:
    members = bench_members(args.members)
    fake = start("fake", str(args.members))
    profile = ["--profile"] if args.profile else []
    kettle = start("kettle", fake.url, db_url, *profile)
    bare = start("bare", fake.url, db_url)
    load = Load(SlackSigner(SIGNING_SECRET), members)
    engine = make_engine(db_url)
    with engine.connect() as conn:
        stories_before = conn.scalar(select(func.count()).select_from(Story)) or 0
    kind = db_url.split(":")[0].split("+")[0]
    print(
        f"\n{kind}: {args.requests} requests per app per row from {len(members)} members; "
        "milliseconds from sending to the HTTP response"
    )
    print(
        row(
            [
                "request",
                "conc",
                "bare p50/p99/max",
                "Kettle p50/p99/max",
                "÷ p50/p99",
                "CPU ms bare/K",
                "modal open / after-ack wait p50/p99/max",
            ]
        )
    )
    ok = True
    try:
        for name, maker in (("/story", load.command), ("story submit", load.submission)):
            for concurrency in args.concurrency:
                timings: dict[str, list[float]] = {"bare": [], "kettle": []}
                cpu = {"bare": 0.0, "kettle": 0.0}
                opened_before = set(load.sent_at)
                kettle.send("waited")  # forget the waits of the warm-up
                for label in ("bare", "kettle"):  # warm up: connections, caches, threads
                    target = bare.url if label == "bare" else kettle.url
                    measure(maker(target, kettle=label == "kettle"), 2 * concurrency, concurrency)
                time.sleep(1)
                if args.profile:
                    kettle.send("profile /dev/null")
                half = args.requests // 2
                for label in ("bare", "kettle", "kettle", "bare"):
                    target = bare.url if label == "bare" else kettle.url
                    post = maker(target, kettle=label == "kettle")
                    app = bare if label == "bare" else kettle
                    before = app.cpu_ms()
                    timings[label] += measure(post, half, concurrency)
                    cpu[label] += app.cpu_ms() - before
                if args.profile:
                    slug = f"{kind}-{name.strip('/').replace(' ', '-')}-{concurrency}"
                    kettle.send(f"profile {Path(args.profile).resolve() / slug}.txt")
                b, k = figures(timings["bare"]), figures(timings["kettle"])
                opened = ""
                if name == "/story":
                    time.sleep(1)  # the last views.open calls are under way
                    at = at_slack(fake.url)["opened"]
                    waits = [
                        (at[t] - sent) * 1000
                        for t, sent in load.sent_at.items()
                        if t not in opened_before and t in at
                    ]
                    late = sum(1 for w in waits if w > TRIGGER_TTL_MS)
                    opened = trio(figures(waits)) + (f" ({late} late)" if late else "")
                else:
                    time.sleep(1.5)  # work after the last acks has had its turn
                    waits = [w * 1000 for w in json.loads(kettle.send("waited"))]
                    if waits:
                        opened = trio(figures(waits))
                print(
                    row(
                        [
                            name,
                            str(concurrency),
                            trio(b),
                            trio(k),
                            f"{k[0] / b[0]:.1f} / {k[1] / b[1]:.1f}",
                            f"{cpu['bare'] / 2 / half:.1f} / {cpu['kettle'] / 2 / half:.1f}",
                            opened,
                        ]
                    ),
                    flush=True,
                )
        time.sleep(2)  # the last views.open and stores are done before they are counted
        opened_count = len(set(at_slack(fake.url)["opened"]) & set(load.sent_at))
        with engine.connect() as conn:
            stored = (conn.scalar(select(func.count()).select_from(Story)) or 0) - stories_before
        ok = opened_count == load.commands_to_kettle and stored == load.submissions_to_kettle
        print(
            f"check: {opened_count} modals opened for {load.commands_to_kettle} /story; "
            f"{stored} stories stored for {load.submissions_to_kettle} submissions"
            + ("" if ok else "  ← MISMATCH")
        )
    finally:
        for proc in (kettle, bare, fake):
            proc.stop()
        engine.dispose()
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="per app per row")
    parser.add_argument("--concurrency", default="1,20,100", help="comma-separated")
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--database-url", default="", help="PostgreSQL, after SQLite")
    parser.add_argument("--profile", default="", help="a folder for yappi profiles of Kettle")
    args = parser.parse_args()
    args.concurrency = [int(c) for c in args.concurrency.split(",")]
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
    urls = [f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"]
    if args.database_url:
        urls.append(normalise_database_url(args.database_url))
    print(
        "bench_ack: Kettle ÷ a bare Bolt app, same signed requests, same machine, one run. "
        f"Slack's limit for an ack is 3,000 ms; /story's trigger_id expires after {TRIGGER_TTL_MS:.0f} ms."
    )
    results = [run(url, args) for url in urls]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
