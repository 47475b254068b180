"""Make tea, as a CoP lives it: two weeks of check-ins across four time zones, told by what each
person actually receives in Slack, with a "just me" answer that must never reach anyone else."""

from __future__ import annotations

import json
import pickle
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, text

from bot import runtime
from bot.builders.ids import CheckinIds
from bot.db import make_engine, make_session_factory
from bot.models import Community, Visibility
from bot.schedules.checkins import run_tick
from bot.services import checkins, membership
from bot.services.knowledge.export import render
from bot.services.membership import SlackProfile
from tests.conftest import BOT_TOKEN, CONVENOR, COP, MEMBER, MEMBER2, OUTSIDER, SIGNING_SECRET
from tests.fakeslack import FakeSlack, build_state_values
from tests.harness import Kettle
from tests.scenario.test_cli import _get, base_env, free_port

KIWI = "UKIWI"
SECRET = "PRIVATE-WORDS 秘密 ☕"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def tick(now: datetime) -> None:
    run_tick(runtime.current(), now=now)


def add_kiwi(kettle: Kettle) -> None:
    kettle.fake.add_user(KIWI, "Tama", tz="Pacific/Auckland")
    with kettle.db() as session:
        community = session.scalars(select(Community)).one()
        membership.admit(session, community, SlackProfile(KIWI, "Tama", "Pacific/Auckland"))


def check_in(kettle: Kettle, user: str, week: str | None, answers: dict[str, Any]) -> Any:
    if week is None:
        kettle.command(user, "/checkin")
    else:
        kettle.click(user, CheckinIds.OPEN_BUTTON, value=week)
    view = kettle.fake.last_view()
    assert view is not None and view["callback_id"] == CheckinIds.MODAL
    return kettle.submit(user, view, build_state_values(view, answers))


def texts(messages: list[dict[str, Any]]) -> list[str]:
    return [m.get("text", "") + json.dumps(m.get("blocks") or []) for m in messages]


def leaks(kettle: Kettle, marker: str, owner: str) -> list[tuple[str, dict[str, Any]]]:
    """Every call to Slack that carried `marker` somewhere other than to its owner."""
    owner_dm = kettle.fake.dm_channel_for(owner)
    found = []
    for method, params in kettle.fake.calls:
        if marker not in json.dumps(params, ensure_ascii=False):
            continue
        if method in ("views.open", "views.update") and params.get("_user") in (None, owner):
            continue  # the owner's own form, opened again with their answers
        if params.get("user_id") == owner or params.get("channel") in (owner, owner_dm):
            continue
        found.append((method, params))
    for file_id, raw in kettle.fake.file_contents.items():
        if marker.encode() in raw:
            shared = kettle.fake.files.get(file_id, {})
            if owner_dm not in json.dumps(shared):
                found.append(("file", {"id": file_id}))
    return found


def test_two_weeks_of_tea_and_a_just_me_answer_that_reaches_no_one_else(kettle: Kettle) -> None:
    add_kiwi(kettle)
    week = "2026-W14"
    # Monday 30 March 2026 at everyone's own 09:30 (Auckland's comes on Sunday evening UTC).
    now = utc(2026, 3, 29, 12, 0)
    while now < utc(2026, 3, 30, 18, 0):
        tick(now)
        now += timedelta(minutes=15)
    for user in (CONVENOR, MEMBER, MEMBER2, KIWI):
        dms = kettle.fake.dm_messages(user)
        assert len(dms) == 1, user
        assert "check-in time" in json.dumps(dms[0]["blocks"])
    assert kettle.fake.dm_messages(OUTSIDER) == []

    # Amina answers "just me", low, and writes what support would help: nobody hears of it.
    check_in(
        kettle,
        MEMBER,
        week,
        {
            CheckinIds.MOOD: "2",
            CheckinIds.ON_MIND: SECRET,
            CheckinIds.SUPPORT: SECRET,
            CheckinIds.VISIBILITY: "private",
        },
    )
    assert "Only you can see" in kettle.fake.dm_messages(MEMBER)[-1]["text"]
    assert len(kettle.fake.dm_messages(CONVENOR)) == 1  # no care nudge for a private answer

    # Rohan shares with the convenors: low, with a win full of pings and emoji.
    check_in(
        kettle,
        MEMBER2,
        week,
        {
            CheckinIds.MOOD: "2",
            CheckinIds.WIN: "<!channel> got the grant 🎉 thanks <@UCONV> & co",
            CheckinIds.VISIBILITY: "convenors",
        },
    )
    # Tama skips, twice (a double click).
    kettle.click(KIWI, CheckinIds.SKIP_BUTTON, value=week)
    kettle.click(KIWI, CheckinIds.SKIP_BUTTON, value=week)
    skipped = [m for m in kettle.fake.dm_messages(KIWI) if "No problem" in m["text"]]
    assert len(skipped) == 1
    # Amina, who has answered, presses Skip on the old DM: her answer stands, and she is told so.
    kettle.click(MEMBER, CheckinIds.SKIP_BUTTON, value=week)
    assert "already checked in" in kettle.fake.dm_messages(MEMBER)[-1]["text"]

    # The convenor shares with the whole CoP.
    check_in(
        kettle,
        CONVENOR,
        week,
        {CheckinIds.MOOD: "4", CheckinIds.WIN: "Lovely retreat", CheckinIds.VISIBILITY: "cop"},
    )
    # Nothing shows the CoP's answers to members: the thank-you must not promise otherwise.
    thanks = kettle.fake.dm_messages(CONVENOR)[-1]["text"]
    assert "Thank you" in thanks and "summary" not in thanks

    # The summary when the week closes: shared counts, shared words escaped, no private ones.
    with kettle.db() as session:
        community = session.scalars(select(Community)).one()
        close = checkins.window_close(session, community, week, "Europe/London")
    tick(close)
    summaries = [m for m in kettle.fake.dm_messages(CONVENOR) if "Check-ins for" in m["text"]]
    assert len(summaries) == 1
    summary = json.dumps(summaries[0]["blocks"], ensure_ascii=False)
    assert "*2* of 4 shared their check-in" in summary and "skipped" not in summary
    assert "too few shared to show a spread" in summary
    assert "&lt;!channel&gt; got the grant 🎉" in summary and "<!channel>" not in summary
    assert "&lt;@UCONV&gt;" in summary and "&amp; co" in summary
    assert "Rohan" in summary and "Esther" in summary
    assert "Amina" not in summary and "Tama" not in summary

    # Week 15: Amina low again (just me), Rohan low again (shared) and, this time, he ticks the
    # box that tells the convenors he could use a hand: only Rohan's nudge, because he asked.
    week2 = "2026-W15"
    tick(utc(2026, 4, 6, 14, 0))
    check_in(
        kettle,
        MEMBER,
        week2,
        {CheckinIds.MOOD: "1", CheckinIds.CHALLENGE: SECRET, CheckinIds.VISIBILITY: "private"},
    )
    check_in(
        kettle,
        MEMBER2,
        week2,
        {
            CheckinIds.MOOD: "1",
            CheckinIds.TELL_CONVENORS: [CheckinIds.TELL_CONVENORS_YES.value],
            CheckinIds.VISIBILITY: "convenors",
        },
    )
    nudges = [m for m in kettle.fake.dm_messages(CONVENOR) if "gentle note" in m["text"]]
    assert [n["text"] for n in nudges] == ["A gentle note about Rohan"]
    assert "could use a hand" in json.dumps(nudges[0]["blocks"])

    # Everyone else's App Home, the convenor's my data, the health report and the shared export.
    for user in (CONVENOR, MEMBER2, KIWI):
        kettle.event({"type": "app_home_opened", "user": user, "tab": "home", "channel": "D9"})
    kettle.command(CONVENOR, "/cop", "mydata")
    kettle.command(CONVENOR, "/cop", "health")
    kettle.command(MEMBER, "/cop", "mydata")  # her own: may hold her words
    kettle.event({"type": "app_home_opened", "user": MEMBER, "tab": "home", "channel": "D9"})
    home = json.dumps(kettle.fake.home(MEMBER), ensure_ascii=False)
    assert "1 · Struggling" in home and "2 · Low" in home
    with kettle.db() as session:
        shared = render(session, fmt="json", purpose="sharing")
    assert "PRIVATE-WORDS" not in shared
    assert leaks(kettle, "PRIVATE-WORDS", MEMBER) == []
    assert leaks(kettle, "got the grant", MEMBER2)  # the detector sees what was shared


def test_kettle_serve_runs_the_registered_jobs_and_restarts_never_duplicate_them(
    tmp_path: Path, fake: FakeSlack
) -> None:
    """The real process: the scheduler starts under `kettle serve`, the check-in tick runs at once
    (a member whose time has come today gets their DM), every job is stored once under its stable
    id with its interval, and a restart replaces the jobs instead of adding more."""
    now = datetime.now(UTC)
    offset = 12 - now.hour  # a zone where it is about noon, so "today" is safe from midnight
    zone = "UTC" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"
    fake.users[MEMBER]["tz"] = zone
    database = f"sqlite:///{tmp_path / 'kettle.db'}"
    engine = make_engine(database)
    env = base_env(
        tmp_path,
        DATABASE_URL=database,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.api_url,
        KETTLE_CONVENORS=CONVENOR,
        KETTLE_COP_CHANNEL=COP,
        KETTLE_WORKSPACE_TZ=zone,
    )

    def serve_until(done: Any) -> str:
        """Run `kettle serve` until it answers /healthz as the scheduler's leader and `done()`."""
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + 30
            while proc.poll() is None and time.monotonic() < deadline:
                if _leader(port) and done():
                    break
                time.sleep(0.1)
        finally:
            proc.send_signal(signal.SIGTERM)
            output, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0 and "Traceback" not in output, output
        return output

    def jobs() -> dict[str, Any]:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, job_state FROM apscheduler_jobs")).all()
        return {row[0]: pickle.loads(row[1]) for row in rows}

    # First start: no check-in is due yet (the community has no schedule for today).
    serve_until(lambda: "checkins:tick" in _job_ids(engine))
    first = jobs()
    assert {"checkins:tick", "outbox:sweep"} <= set(first)
    tick_job = first["checkins:tick"]
    assert tick_job["func"] == "bot.schedules.checkins:tick"
    assert tick_job["trigger"].interval == timedelta(minutes=1)
    assert tick_job["coalesce"] and tick_job["misfire_grace_time"] == 50
    assert first["outbox:sweep"]["trigger"].interval == timedelta(minutes=1)

    # The convenor moves check-ins to today, 00:00: the next start's first tick sends them.
    with make_session_factory(engine)() as session:
        community = session.scalars(select(Community)).one()
        today = now.astimezone(ZoneInfo(zone))
        checkins.save_schedule(
            session, community, checkins.Schedule(weekday=today.weekday(), at=dt_time(0, 0))
        )
        session.commit()
    output = serve_until(lambda: len(kettle_dms(fake, MEMBER)) >= 1)
    assert len(kettle_dms(fake, MEMBER)) == 1, output
    assert "check-in tick" in output
    second = jobs()
    assert set(second) == set(first)
    assert second["checkins:tick"]["next_run_time"] > first["checkins:tick"]["next_run_time"]
    with engine.connect() as conn:
        count, distinct = conn.execute(
            text("SELECT COUNT(*), COUNT(DISTINCT id) FROM apscheduler_jobs")
        ).one()
    assert count == distinct == len(first)

    # A third start sends nothing again: the ledger remembers this week's DM.
    started = time.time()
    serve_until(lambda: _ticked_since(engine, started))
    assert len(kettle_dms(fake, MEMBER)) == 1
    engine.dispose()


def _leader(port: int) -> bool:
    try:
        status, health = _get(f"http://127.0.0.1:{port}/healthz")
    except OSError:
        return False
    return status == 200 and health["scheduler"] == "leader"


def _job_ids(engine: Any) -> set[str]:
    try:
        with engine.connect() as conn:
            return set(conn.execute(text("SELECT id FROM apscheduler_jobs")).scalars())
    except Exception:
        return set()  # not migrated yet


def _ticked_since(engine: Any, started: float) -> bool:
    """The check-in tick has run in a process started at `started`: added, it is due at once;
    run, its next run is a minute on."""
    with engine.connect() as conn:
        raw = conn.execute(
            text("SELECT next_run_time FROM apscheduler_jobs WHERE id = 'checkins:tick'")
        ).scalar()
    return raw is not None and float(raw) >= started + 50


def kettle_dms(fake: FakeSlack, user: str) -> list[dict[str, Any]]:
    return [
        m
        for m in fake.dm_messages(user)
        if (m.get("metadata") or {}).get("event_payload", {}).get("key", "").startswith("checkin:")
    ]


def test_a_big_week_fits_one_summary_with_everyone_who_shared(kettle: Kettle) -> None:
    """Sixty members share with the convenors: the summary (at most 50 blocks) names them all,
    and says nothing about the App Home, which shows convenors no one else's check-in."""
    week = "2026-W14"
    with kettle.db() as session:
        community = session.scalars(select(Community)).one()
        for i in range(60):
            member = membership.admit(
                session, community, SlackProfile(f"UBIG{i:02d}", f"Member {i:02d}", "UTC")
            )
            checkins.record_answer(
                session,
                member=member,
                week=week,
                answer=checkins.Answer(
                    mood=1 + i % 5,
                    win=f"Win number {i} 🎉",
                    tell_convenors=i % 7 == 0,
                    visibility=Visibility.CONVENORS,
                ),
            )
    tick(utc(2026, 3, 30, 14, 0))  # the week's DMs go out
    with kettle.db() as session:
        close = checkins.window_close(session, community, week, "Europe/London")
    tick(close)
    summaries = [m for m in kettle.fake.dm_messages(CONVENOR) if "Check-ins for" in m["text"]]
    assert len(summaries) == 1
    blocks = summaries[0]["blocks"]
    assert len(blocks) <= 50
    text = json.dumps(blocks, ensure_ascii=False)
    assert all(f"Member {i:02d}" in text for i in range(60))
    assert "App Home" not in text and "more sections" not in text
    assert text.index("Member 00") < text.index("Member 01")  # asked for a call: first
