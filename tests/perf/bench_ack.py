"""Acknowledgement latency of /story and of the story form's submission, Kettle beside bare
Bolt apps answering the same signed requests; and how soon /story's modal is open at Slack.

Run on demand:
    python -m tests.perf.bench_ack [--requests 1000] [--rounds 2] [--concurrency 1,20,100]
                                   [--members 20] [--database-url postgresql://…] [--profile DIR]

The fake Slack, Kettle and two bare Bolt apps each run in their own process, served by Waitress
on loopback with the same 8 threads (the bare apps through Bolt's own WSGI adapter, as the
framework serves them; Kettle through its own, bot/web.py). The bare app only acks (the command and the form). The
modal app answers /story as Slack expects an app to: it acks, then opens the same story form
with `views.open`, as Kettle does, in its own process. This process signs each request as Slack
does and times it from sending to the HTTP response: what Slack holds to 3 seconds. Requests
come from `--members` members in turn, so the work Kettle does after each ack (the thank-you DM,
the App Home) is done while the next requests come.

The apps are measured in the same run, in alternating slices (bare, modal, Kettle, Kettle,
modal, bare, `--rounds` times over; the modal app only for /story), so the ratios hold on a
machine that other work is slowing down. Before each slice the app about to be timed, and after
it the app just timed, is left until its CPU falls quiet: the work one app set going after its
acks is neither counted against the next app's requests nor left out of its own CPU. Each row
prints p50, p99 and max for each app (p99 over `--requests`, 1,000 by default: the tenth
slowest, not the third), Kettle ÷ each floor, and the CPU each app's processes spent per request
in its slices (read from /proc; Kettle's includes its call worker, shown apart) beside the fake
Slack's in the same slices and, on PostgreSQL running on this machine, its server's in Kettle's
slices ("DB K"; the bare apps use no database): on a
machine with two cores, every process here takes its CPU from the others. For /story it also
prints the time from sending the command to the fake Slack receiving views.open (the trigger_id
it carries expires after 3 s at Slack), for Kettle and the modal app; for the submission, how
long the work after each ack waited from being handed to the after-ack pool until it began, as
Kettle measured it (bot/acks.py). At the
end it checks that nothing was lost: one modal per /story, one story per submission.

SQLite runs on a fresh file; with --database-url (PostgreSQL) it runs on SQLite and then on that
database, which should be empty (the stories it stores stay there). --profile DIR writes, for
each Kettle row, the functions that took the most CPU in Kettle's process (yappi) to DIR.
"""

from __future__ import annotations

import argparse
import gc
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
OPENS_MODAL = ("modal", "kettle")  # the apps whose /story opens the story form


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

    def children_ms(self) -> float:
        """The part of `cpu_ms` the processes it started have used."""
        return sum(_cpu_ms(pid) for pid in _with_children(self.proc.pid)[1:])

    def stop(self) -> None:
        self.proc.terminate()  # after-ack work still queued is not what is measured here
        self.proc.wait(timeout=30)


def _cpu_ms(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:  # ended meanwhile
        return 0.0
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def database_server_ms() -> float | None:
    """CPU time the PostgreSQL server's processes on this machine have used so far, in
    milliseconds (None if none runs here: a remote server, or SQLite). On a machine of two
    cores the server takes its CPU from the apps beside it, for Kettle's requests alone."""
    total, found = 0.0, False
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # ended meanwhile, or not ours to read
            continue
        if text.split("(", 1)[1].rsplit(")", 1)[0] == "postgres":
            found = True
            fields = text.rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")
    return total if found else None


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


def settle(app: Process, quiet_ms: float = 10.0, most: float = 5.0) -> None:
    """Until the app (with the processes it started) spends at most `quiet_ms` of CPU in a fifth
    of a second (one tick of the kernel's accounting), or `most` seconds: the work after its last
    acks is done, or, like thank-yous waiting for Slack's pace, trickles at a rate that takes
    nothing from the slice that follows."""
    deadline = time.monotonic() + most
    used = app.cpu_ms()
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = app.cpu_ms()
        if now - used <= quiet_ms:
            return
        used = now


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

    # This process is the stopwatch: a pause of its own garbage collector would be counted
    # against whichever app was being timed.
    gc.collect()
    gc.disable()
    try:
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            list(pool.map(one, range(n)))
    finally:
        gc.enable()
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
    # app → trigger id → monotonic time sent, for the apps that open the modal
    sent_at: dict[str, dict[str, float]] = field(default_factory=dict)
    submissions_to_kettle: int = 0

    def __post_init__(self) -> None:
        # The form as Kettle opens it for /story in the CoP's channel, as the commands here are.
        self.modal = story_modal(community_id=1, channel_id=COP)
        self.lock = threading.Lock()
        # Kettle stores a form's submission once per view id: ids differ from any earlier run's
        # on the same database, or its stories would rightly be taken for Slack's retries.
        self.run = f"{time.time_ns():x}"

    def member(self, n: int) -> str:
        return self.members[n % len(self.members)]

    def command(self, target: str, app: str) -> Callable[[], int]:
        def post() -> int:
            n = next(self.ids)
            trigger = f"T{n}"
            request = self.signer.slash_command(
                "/story", "", self.member(n), channel_id=COP, trigger_id=trigger
            )
            if app in OPENS_MODAL:
                with self.lock:
                    self.sent_at.setdefault(app, {})[trigger] = time.monotonic()
            return request.post(target)[0]

        return post

    def submission(self, target: str, app: str) -> Callable[[], int]:
        def post() -> int:
            n = next(self.ids)
            view = {**self.modal, "id": f"V{self.run}{n}", "hash": "h", "team_id": "T0001"}
            request = self.signer.view_submission(self.member(n), view, story_values())
            if app == "kettle":
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
    widths = [13, 5, 17, 17, 17, 11, 11, 22, 15, 6, 34]
    return "".join(
        c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
    )


def trio(values: tuple[float, float, float]) -> str:
    return " / ".join(f"{v:.0f}" if v >= 10 else f"{v:.1f}" for v in values)


def ratio(k: tuple[float, float, float], floor: tuple[float, float, float] | None) -> str:
    return f"{k[0] / floor[0]:.1f} / {k[1] / floor[1]:.1f}" if floor else "-"


def one(v: float) -> str:
    return f"{v:.1f}"


def run(db_url: str, args: argparse.Namespace) -> bool:
    members = bench_members(args.members)
    fake = start("fake", str(args.members))
    profile = ["--profile"] if args.profile else []
    apps = {
        "kettle": start("kettle", fake.url, db_url, *profile),
        "bare": start("bare", fake.url, db_url),
        "modal": start("modal", fake.url, db_url),
    }
    load = Load(SlackSigner(SIGNING_SECRET), members)
    engine = make_engine(db_url)
    with engine.connect() as conn:
        stories_before = conn.scalar(select(func.count()).select_from(Story)) or 0
    kind = db_url.split(":")[0].split("+")[0]
    on_server = kind.startswith("postgres") and database_server_ms() is not None
    print(
        f"\n{kind}: {args.requests} requests per app per row from {len(members)} members; "
        "milliseconds from sending to the HTTP response. Apps: bare (acks only), modal (acks"
        " /story and opens the same form), Kettle"
    )
    print(
        row(
            [
                "request",
                "conc",
                "bare p50/99/max",
                "modal p50/99/max",
                "Kettle p50/99/max",
                "÷bare 50/99",
                "÷modal",
                "CPU ms bare/modal/K",
                "fake's CPU ms",
                "DB K",
                "  modal open K; modal app",
            ]
        )
    )
    ok = True
    try:
        for name, maker in (("/story", load.command), ("story submit", load.submission)):
            labels = ["bare", "modal", "kettle"] if name == "/story" else ["bare", "kettle"]
            for concurrency in args.concurrency:
                timings: dict[str, list[float]] = {label: [] for label in labels}
                cpu = dict.fromkeys(labels, 0.0)
                at_fake = dict.fromkeys(labels, 0.0)  # the fake Slack's CPU in each app's slices
                in_worker = 0.0
                at_server = 0.0  # the PostgreSQL server's CPU in Kettle's slices
                opened_before = {a: set(load.sent_at.get(a, {})) for a in OPENS_MODAL}
                apps["kettle"].send("waited")  # forget the waits of the warm-up
                for label in labels:  # warm up: connections, caches, threads
                    measure(maker(apps[label].url, label), 2 * concurrency, concurrency)
                time.sleep(1)
                if args.profile:
                    apps["kettle"].send("profile /dev/null")
                # Each app's requests in 2 × rounds slices, in alternating order, each slice
                # timed on an app left quiet by the one before it.
                slice_n = max(1, args.requests // (2 * args.rounds))
                order = [*labels, *reversed(labels)] * args.rounds
                for label in order:
                    app = apps[label]
                    post = maker(app.url, label)
                    settle(app)
                    before, fake_before, worker_before = (
                        app.cpu_ms(),
                        fake.cpu_ms(),
                        app.children_ms(),
                    )
                    server_before = database_server_ms() if on_server else None
                    timings[label] += measure(post, slice_n, concurrency)
                    settle(app)  # what the slice set going after its acks is counted with it
                    cpu[label] += app.cpu_ms() - before
                    at_fake[label] += fake.cpu_ms() - fake_before
                    if label == "kettle":
                        in_worker += app.children_ms() - worker_before
                        if server_before is not None:
                            at_server += (database_server_ms() or 0.0) - server_before
                if args.profile:
                    slug = f"{kind}-{name.strip('/').replace(' ', '-')}-{concurrency}"
                    apps["kettle"].send(f"profile {Path(args.profile).resolve() / slug}.txt")
                fig = {label: figures(timings[label]) for label in labels}
                per = slice_n * 2 * args.rounds
                opened = ""
                if name == "/story":
                    time.sleep(1)  # the last views.open calls are under way
                    at = at_slack(fake.url)["opened"]
                    parts = []
                    for app_name in OPENS_MODAL:
                        waits = [
                            (at[t] - sent) * 1000
                            for t, sent in load.sent_at.get(app_name, {}).items()
                            if t not in opened_before[app_name] and t in at
                        ]
                        late = sum(1 for w in waits if w > TRIGGER_TTL_MS)
                        parts.append(trio(figures(waits)) + (f" ({late} late)" if late else ""))
                    opened = "; ".join(reversed(parts))
                else:
                    time.sleep(1.5)  # work after the last acks has had its turn
                    waits = [w * 1000 for w in json.loads(apps["kettle"].send("waited"))]
                    if waits:
                        opened = "after-ack wait " + trio(figures(waits))
                modal = fig.get("modal")
                print(
                    row(
                        [
                            name,
                            str(concurrency),
                            trio(fig["bare"]),
                            trio(modal) if modal else "-",
                            trio(fig["kettle"]),
                            ratio(fig["kettle"], fig["bare"]),
                            ratio(fig["kettle"], modal),
                            "/".join(one(cpu[a] / per) if a in cpu else "-" for a in apps_order())
                            + f" (w {one(in_worker / per)})",
                            "/".join(
                                one(at_fake[a] / per) if a in at_fake else "-" for a in apps_order()
                            ),
                            one(at_server / per) if on_server else "-",
                            "  " + opened,
                        ]
                    ),
                    flush=True,
                )
        time.sleep(2)  # the last views.open and stores are done before they are counted
        at = set(at_slack(fake.url)["opened"])
        opened_count = {a: len(at & set(load.sent_at.get(a, {}))) for a in OPENS_MODAL}
        sent_count = {a: len(load.sent_at.get(a, {})) for a in OPENS_MODAL}
        with engine.connect() as conn:
            stored = (conn.scalar(select(func.count()).select_from(Story)) or 0) - stories_before
        ok = opened_count == sent_count and stored == load.submissions_to_kettle
        print(
            f"check: Kettle opened {opened_count['kettle']} modals for {sent_count['kettle']}"
            f" /story, the modal app {opened_count['modal']} for {sent_count['modal']}; Kettle"
            f" stored {stored} stories for {load.submissions_to_kettle} submissions"
            + ("" if ok else "  ← MISMATCH")
        )
    finally:
        for proc in (*apps.values(), fake):
            proc.stop()
        engine.dispose()
    return ok


def apps_order() -> tuple[str, ...]:
    return ("bare", "modal", "kettle")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000, help="per app per row")
    parser.add_argument(
        "--rounds", type=int, default=2, help="times each row alternates through the apps"
    )
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
        "bench_ack: Kettle ÷ bare Bolt apps, same signed requests, same machine, one run. "
        f"Slack's limit for an ack is 3,000 ms; /story's trigger_id expires after {TRIGGER_TTL_MS:.0f} ms."
    )
    results = [run(url, args) for url in urls]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
