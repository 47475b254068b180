"""Acknowledgement latency of /story and of the story form's submission, beside a bare Bolt app.

Run on demand:  python -m tests.perf.bench_ack [--requests 300] [--database-url URL]

The fake Slack, Kettle and a bare Bolt app (answering the same requests with a bare ack) each
run in their own process, served by Waitress on loopback. This process signs requests as Slack
does and times each one from sending to the HTTP response: what Slack holds to 3 seconds.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from itertools import count
from pathlib import Path

from bot.builders.stories import story_modal
from tests.conftest import MEMBER, SIGNING_SECRET
from tests.fakeslack import SlackSigner
from tests.scenario.test_stories import story_values


def start(*args: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.perf.servers", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    db_url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"

    fake, api_url = start("fake")
    kettle, kettle_url = start("kettle", api_url, db_url)
    bare, bare_url = start("bare", api_url, db_url)
    signer = SlackSigner(SIGNING_SECRET)
    modal = story_modal(community_id=1)
    ids = count()

    def command(target: str) -> Callable[[], int]:
        def post() -> int:
            request = signer.slash_command(
                "/story", "", MEMBER, channel_id="C0COP", trigger_id=f"T{next(ids)}"
            )
            return request.post(target)[0]

        return post

    def submission(target: str) -> Callable[[], int]:
        def post() -> int:
            view = {**modal, "id": f"VBENCH{next(ids)}", "hash": "h", "team_id": "T0001"}
            return signer.view_submission(MEMBER, view, story_values()).post(target)[0]

        return post

    print(f"database: {db_url.split(':')[0]}; {args.requests} requests per row; milliseconds")
    print(f"{'request':<14}{'app':<8}{'conc':>5}{'median':>9}{'p99':>9}{'max':>9}")
    try:
        for name, maker in (("/story", command), ("story submit", submission)):
            for concurrency in (1, 20):
                for label, target in (("bare", bare_url), ("kettle", kettle_url)):
                    measure(maker(target), 30, concurrency)  # warm up
                    time.sleep(1)  # let the previous row's after-ack work finish
                    timings = measure(maker(target), args.requests, concurrency)
                    print(
                        f"{name:<14}{label:<8}{concurrency:>5}{statistics.median(timings):>9.1f}"
                        f"{pct(timings, 0.99):>9.1f}{max(timings):>9.1f}",
                        flush=True,
                    )
    finally:
        for proc in (kettle, bare, fake):
            proc.terminate()  # after-ack work still queued is not what is measured here
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
