"""A CoP at the size of a movement, written straight to the database: members with profiles and
applications, stories with their publications, picks, tips and call-out answers, meetings with
RSVPs and pulses, check-ins and the ledger's record of them, rounds, and pairing.

`populate(session, community_id, stories=5000, members=1000, meetings=200)` adds them beside
whatever the community already holds (a handful of statements, whatever the size); the other
counts follow from those three. Used by tests/scenario/test_constant_cost.py (the number of SQL
statements a request runs does not grow with the data) and tests/perf/bench_library.py.

`StatementCounter` counts the SQL statements an engine runs, with SQLAlchemy's
`before_cursor_execute` event (one per statement, an executemany counting once).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, event, func, insert, select
from sqlalchemy.orm import Session

from bot.models import (
    Application,
    Callout,
    CalloutAnswer,
    Checkin,
    Decision,
    Delivery,
    DeliveryStatus,
    Meeting,
    MeetingPulse,
    MeetingRsvp,
    Member,
    PairingGroup,
    PairingGroupMember,
    PairingPreference,
    PairingRound,
    Pick,
    Profile,
    Publication,
    Round,
    RoundContribution,
    Story,
    Tip,
    utcnow,
)

THEMES = [
    "volunteers",
    "funding",
    "peer support",
    "tea",
    "growth",
    "burnout",
    "mentoring",
    "local networks",
    "online",
    "governance",
    "events",
    "wellbeing",
]
WORDS = [
    "volunteers",
    "funding",
    "peer",
    "session",
    "rota",
    "harvest",
    "mentoring",
    "tea",
    "cake",
    "grant",
    "bid",
    "network",
    "market",
    "winter",
    "summer",
    "garden",
    "trustees",
    "newsletter",
    "listening",
    "circle",
]
KINDS = ["success", "mistake", "learning", "idea"]
CONSENTS = ["cop_only", "movement_anonymous", "movement_named"]
REGIONS = ["north", "south", "east", "west", "scotland", "wales"]
LEVELS = ["early", "established", "leading"]


@dataclass(frozen=True)
class Size:
    stories: int = 5000
    members: int = 1000
    meetings: int = 200

    def scaled(self, factor: float) -> Size:
        return Size(
            *(max(1, round(n * factor)) for n in (self.stories, self.members, self.meetings))
        )


FULL = Size()


# Beside the real words, 400 made-up ones: a real word is in about one story in eight.
VOCABULARY = WORDS + [f"{a}{b}" for a in ("ka", "lo", "mi", "nu", "pe", "ro", "su", "ti", "va",
                                          "ze") for b in range(40)]  # fmt: skip


def _text(i: int, n: int) -> str:
    return " ".join(VOCABULARY[(i * 7919 + k * 104729) % len(VOCABULARY)] for k in range(n))


def rows(columns: str, values: Iterable[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Rows for a bulk insert: `rows("a b", [(1, 2)])` → [{"a": 1, "b": 2}]."""
    names = columns.split()
    return [dict(zip(names, v, strict=True)) for v in values]


def populate(session: Session, community_id: int, size: Size = FULL, *, tag: str = "p") -> None:
    """Add a movement's worth of data to the community (ids are prefixed by `tag`)."""
    now = utcnow()
    cid = community_id
    ago = [now - timedelta(days=(i * 13) % 700) for i in range(size.members)]
    session.execute(insert(Member), rows("community_id user_id name tz joined_at", (
        (cid, f"U{tag}{i:06}", f"Member {i}", "Europe/London", ago[i])
        for i in range(size.members))))  # fmt: skip
    member_ids = list(session.scalars(select(Member.id).where(
        Member.community_id == cid, Member.user_id.like(f"U{tag}%")).order_by(Member.id)))  # fmt: skip
    session.execute(insert(Profile), rows("member_id show_in_directory answers", (
        (m, i % 3 != 0, {"region": REGIONS[i % 6], "level": LEVELS[i % 3]})
        for i, m in enumerate(member_ids))))  # fmt: skip
    session.execute(insert(Application), rows(
        "community_id user_id name answers agreed_norms status created_at", (
            (cid, f"UA{tag}{i:05}", f"Applicant {i}", {"region": REGIONS[i % 6], "level": "early"},
             True, "pending" if i % 2 else "waitlisted", now - timedelta(days=i % 40))
            for i in range(max(1, size.members // 10)))))  # fmt: skip
    session.execute(insert(Decision), rows(
        "community_id kind subject_user_id subject_name actor_name reason created_at", (
            (cid, "approved", f"U{tag}{i:06}", f"Member {i}", "Esther", "A good fit.", ago[i])
            for i in range(size.members))))  # fmt: skip
    _stories(session, cid, size, member_ids, tag, now)
    _meetings(session, cid, size, member_ids, tag, now)
    _checkins(session, cid, member_ids, now)
    _rounds_and_pairing(session, cid, size, member_ids, tag, now)
    session.flush()


def _stories(
    session: Session, cid: int, size: Size, member_ids: list[int], tag: str, now: Any
) -> None:
    answers = max(1, size.stories // 50)  # call-out answers: stories with no member author
    session.execute(insert(Story), rows(
        "community_id author_id title body kind themes consent source_key created_at", (
            (cid, None if i < answers else member_ids[i % len(member_ids)],
             f"{_text(i, 4).capitalize()} {i}", _text(i + 1, 60), KINDS[i % 4],
             [THEMES[i % 12], THEMES[(i * 5) % 12]], CONSENTS[i % 3], f"{tag}-story-{i}",
             now - timedelta(hours=3 * i + 1))
            for i in range(size.stories))))  # fmt: skip
    story_ids = list(session.scalars(
        select(Story.id).where(Story.source_key.like(f"{tag}-story-%")).order_by(Story.id)))  # fmt: skip
    session.execute(insert(Callout), rows("community_id question created_by status", [
        (cid, "What helped?", "UCONV", "closed")]))  # fmt: skip
    callout_id = session.scalar(
        select(Callout.id).where(Callout.community_id == cid).order_by(Callout.id.desc()))  # fmt: skip
    session.execute(insert(CalloutAnswer), rows(
        "callout_id story_id responder_user_id responder_name", (
            (callout_id, s, f"UR{tag}{i}", f"Responder {i}")
            for i, s in enumerate(story_ids[:answers]))))  # fmt: skip
    session.execute(insert(Publication), rows(
        "story_id status proposed_by author_user_id named text_sha256", (
            (s, "published" if i % 2 else "proposed", "UCONV", f"U{tag}{i:06}", i % 3 == 2, "0" * 64)
            for i, s in enumerate(story_ids) if i % 5 == 1)))  # fmt: skip
    session.execute(insert(Pick), rows("community_id story_id picked_by", (
        (cid, s, "UCONV") for i, s in enumerate(story_ids) if i % 10 == 3)))  # fmt: skip
    session.execute(insert(Tip), rows("community_id story_id text consent created_by", (
        (cid, s, f"Tip {i}", "cop_only", "UCONV")
        for i, s in enumerate(story_ids) if i % 20 == 7)))  # fmt: skip


def _meetings(
    session: Session, cid: int, size: Size, member_ids: list[int], tag: str, now: Any
) -> None:
    today, n = now.date(), len(member_ids)
    session.execute(insert(Meeting), rows(
        "community_id title first_date start_minute tz duration_minutes repeat video_url "
        "agenda channel_id status source_key", (
            (cid, f"Meeting {i}", today + timedelta(days=i - size.meetings // 2), 600,
             "Europe/London", 60, "none", "https://meet.example.org/x", "Tea.", "C0COP",
             "scheduled", f"{tag}-meeting-{i}")
            for i in range(size.meetings))))  # fmt: skip
    meetings = session.execute(select(Meeting.id, Meeting.first_date).where(
        Meeting.source_key.like(f"{tag}-meeting-%"))).all()  # fmt: skip
    session.execute(insert(MeetingRsvp), rows("meeting_id occurrence member_id response", (
        (m, day, member_ids[(m * 7 + k) % n], "going" if k % 3 else "declined")
        for m, day in meetings for k in range(5))))  # fmt: skip
    session.execute(insert(MeetingPulse), rows("meeting_id occurrence member_id score note", (
        (m, day, member_ids[(m * 7 + k) % n], 3 + k % 3, "Good tea.")
        for m, day in meetings if day < today for k in range(4))))  # fmt: skip


def _weeks(today: date, n: int) -> list[str]:
    days = [(today - timedelta(weeks=w)).isocalendar() for w in range(n)]
    return [f"{d[0]}-W{d[1]:02}" for d in days]


def _checkins(session: Session, cid: int, member_ids: list[int], now: Any) -> None:
    weeks = _weeks(now.date(), 4)
    shown = ["private", "convenors", "cop"]
    session.execute(insert(Checkin), rows(
        "community_id member_id week status mood on_mind visibility", (
            (cid, m, week, "answered", 1 + (i + w) % 5, "Tea.", shown[i % 3])
            for i, m in enumerate(member_ids) for w, week in enumerate(weeks))))  # fmt: skip
    session.execute(insert(Delivery), rows("key channel status created_at sent_at", (
        (f"checkin:{m}:{week}", f"D{m}", DeliveryStatus.SENT, now - timedelta(weeks=w),
         now - timedelta(weeks=w))
        for m in member_ids for w, week in enumerate(weeks))))  # fmt: skip


def _rounds_and_pairing(
    session: Session, cid: int, size: Size, member_ids: list[int], tag: str, now: Any
) -> None:
    n = len(member_ids)
    session.execute(insert(Round), rows(
        "community_id kind status topic channel_id thread_ts set_members phase_minutes "
        "source_key started_at", (
            (cid, "als" if i % 2 else "ai", "closed" if i else "running", f"Topic {i}", "C0COP",
             f"{tag}{i}.000", [], [], f"{tag}-round-{i}", now - timedelta(days=3 * i + 1))
            for i in range(max(1, size.meetings // 4)))))  # fmt: skip
    round_ids = list(session.scalars(select(Round.id).where(Round.source_key.like(f"{tag}-r%"))))
    session.execute(insert(RoundContribution), rows(
        "round_id phase_index member_id text anonymous created_at", (
            (r, 0, member_ids[(r * 11 + k) % n], "An idea.", k % 4 == 0, now - timedelta(days=2))
            for r in round_ids for k in range(10))))  # fmt: skip
    session.execute(insert(PairingPreference), rows("member_id opted_in", (
        (m, True) for m in member_ids)))  # fmt: skip
    number = session.scalar(select(func.coalesce(func.max(PairingRound.number), 0)).where(
        PairingRound.community_id == cid)) or 0  # fmt: skip
    session.execute(insert(PairingRound), rows("community_id number starts_at", [
        (cid, number + 1, now - timedelta(days=3))]))  # fmt: skip
    pairing_round = session.scalar(select(PairingRound.id).where(
        PairingRound.community_id == cid, PairingRound.number == number + 1))  # fmt: skip
    session.execute(insert(PairingGroup), rows("round_id channel_id met introduced_at", (
        (pairing_round, f"G{tag}{i}", bool(i % 2), now - timedelta(days=3))
        for i in range(n // 2))))  # fmt: skip
    group_ids = list(session.scalars(select(PairingGroup.id).where(
        PairingGroup.round_id == pairing_round).order_by(PairingGroup.id)))  # fmt: skip
    session.execute(insert(PairingGroupMember), rows("group_id member_id", (
        (g, member_ids[2 * i + k]) for i, g in enumerate(group_ids) for k in range(2))))  # fmt: skip


# An IN list's placeholders, however many (SQLite's `?`, psycopg's `%(name)s`): one statement's
# text whatever the length of the list it was given.
_ONE = r"(?:\?|%\([^)]+\)s)(?:::[A-Z]+(?:\(\d+\))?)?"  # a placeholder, maybe with a cast
_IN_LIST = re.compile(rf"\({_ONE}(?:,\s*{_ONE})*\)")


class StatementCounter:
    """The SQL statements an engine runs, counted while `counting()` is open."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.count = 0
        self.statements: list[str] = []
        self._lock = threading.Lock()
        self._on = False
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self._on:
            with self._lock:
                self.count += 1
                self.statements.append(_IN_LIST.sub("(…)", statement))

    @contextmanager
    def counting(self) -> Iterator[StatementCounter]:
        with self._lock:
            self.count = 0
            self.statements = []
        self._on = True
        try:
            yield self
        finally:
            self._on = False

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)
