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
from collections.abc import Iterator
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


def _text(i: int, n: int) -> str:
    return " ".join(WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(n))


def populate(session: Session, community_id: int, size: Size = FULL, *, tag: str = "p") -> None:
    """Add a movement's worth of data to the community (ids are prefixed by `tag`)."""
    now = utcnow()
    session.execute(
        insert(Member),
        [
            {
                "community_id": community_id,
                "user_id": f"U{tag}{i:06}",
                "name": f"Member {i}",
                "tz": "Europe/London",
                "joined_at": now - timedelta(days=(i * 13) % 700),
            }
            for i in range(size.members)
        ],
    )
    member_ids = list(
        session.scalars(
            select(Member.id)
            .where(Member.community_id == community_id, Member.user_id.like(f"U{tag}%"))
            .order_by(Member.id)
        )
    )
    session.execute(
        insert(Profile),
        [
            {
                "member_id": m,
                "show_in_directory": i % 3 != 0,
                "answers": {"region": REGIONS[i % len(REGIONS)], "level": LEVELS[i % 3]},
            }
            for i, m in enumerate(member_ids)
        ],
    )
    session.execute(
        insert(Application),
        [
            {
                "community_id": community_id,
                "user_id": f"UA{tag}{i:05}",
                "name": f"Applicant {i}",
                "answers": {"region": REGIONS[i % len(REGIONS)], "level": "early"},
                "agreed_norms": True,
                "status": "pending" if i % 2 else "waitlisted",
                "created_at": now - timedelta(days=i % 40),
            }
            for i in range(max(1, size.members // 10))
        ],
    )
    session.execute(
        insert(Decision),
        [
            {
                "community_id": community_id,
                "kind": "approved",
                "subject_user_id": f"U{tag}{i:06}",
                "subject_name": f"Member {i}",
                "actor_name": "Esther",
                "reason": "A good fit.",
                "created_at": now - timedelta(days=(i * 13) % 700),
            }
            for i in range(size.members)
        ],
    )
    _stories(session, community_id, size, member_ids, tag, now)
    _meetings(session, community_id, size, member_ids, tag, now)
    _checkins(session, community_id, member_ids, now)
    _rounds_and_pairing(session, community_id, size, member_ids, tag, now)
    session.flush()


def _stories(
    session: Session, community_id: int, size: Size, member_ids: list[int], tag: str, now: Any
) -> None:
    answers = max(1, size.stories // 50)  # call-out answers: stories with no member author
    session.execute(
        insert(Story),
        [
            {
                "community_id": community_id,
                "author_id": None if i < answers else member_ids[i % len(member_ids)],
                "title": f"{_text(i, 4).capitalize()} {i}",
                "body": _text(i + 1, 60),
                "kind": KINDS[i % 4],
                "themes": [THEMES[i % 12], THEMES[(i * 5) % 12]],
                "consent": CONSENTS[i % 3],
                "source_key": f"{tag}-story-{i}",
                "created_at": now - timedelta(hours=3 * i + 1),
            }
            for i in range(size.stories)
        ],
    )
    story_ids = list(
        session.scalars(
            select(Story.id).where(Story.source_key.like(f"{tag}-story-%")).order_by(Story.id)
        )
    )
    session.execute(
        insert(Callout),
        [
            {
                "community_id": community_id,
                "question": "What helped?",
                "created_by": "UCONV",
                "status": "closed",
            }
        ],
    )
    callout_id = session.scalar(
        select(Callout.id).where(Callout.community_id == community_id).order_by(Callout.id.desc())
    )
    session.execute(
        insert(CalloutAnswer),
        [
            {
                "callout_id": callout_id,
                "story_id": s,
                "responder_user_id": f"UR{tag}{i}",
                "responder_name": f"Responder {i}",
            }
            for i, s in enumerate(story_ids[:answers])
        ],
    )
    session.execute(
        insert(Publication),
        [
            {
                "story_id": s,
                "status": "published" if i % 2 else "proposed",
                "proposed_by": "UCONV",
                "author_user_id": f"U{tag}{i:06}",
                "named": i % 3 == 2,
                "text_sha256": "0" * 64,
            }
            for i, s in enumerate(story_ids)
            if i % 5 == 1
        ],
    )
    session.execute(
        insert(Pick),
        [
            {"community_id": community_id, "story_id": s, "picked_by": "UCONV"}
            for i, s in enumerate(story_ids)
            if i % 10 == 3
        ],
    )
    session.execute(
        insert(Tip),
        [
            {
                "community_id": community_id,
                "story_id": s,
                "text": f"Tip {i}",
                "consent": "cop_only",
                "created_by": "UCONV",
            }
            for i, s in enumerate(story_ids)
            if i % 20 == 7
        ],
    )


def _meetings(
    session: Session, community_id: int, size: Size, member_ids: list[int], tag: str, now: Any
) -> None:
    today = now.date()
    session.execute(
        insert(Meeting),
        [
            {
                "community_id": community_id,
                "title": f"Meeting {i}",
                "first_date": today + timedelta(days=i - size.meetings // 2),
                "start_minute": 600,
                "tz": "Europe/London",
                "duration_minutes": 60,
                "repeat": "none",
                "video_url": "https://meet.example.org/x",
                "agenda": "Tea.",
                "channel_id": "C0COP",
                "status": "scheduled",
                "source_key": f"{tag}-meeting-{i}",
            }
            for i in range(size.meetings)
        ],
    )
    meetings = session.execute(
        select(Meeting.id, Meeting.first_date).where(Meeting.source_key.like(f"{tag}-meeting-%"))
    ).all()
    session.execute(
        insert(MeetingRsvp),
        [
            {
                "meeting_id": m,
                "occurrence": day,
                "member_id": member_ids[(m * 7 + k) % len(member_ids)],
                "response": "going" if k % 3 else "declined",
            }
            for m, day in meetings
            for k in range(5)
        ],
    )
    session.execute(
        insert(MeetingPulse),
        [
            {
                "meeting_id": m,
                "occurrence": day,
                "member_id": member_ids[(m * 7 + k) % len(member_ids)],
                "score": 3 + k % 3,
                "note": "Good tea.",
            }
            for m, day in meetings
            if day < today
            for k in range(4)
        ],
    )


def _weeks(today: date, n: int) -> list[str]:
    return [
        f"{(today - timedelta(weeks=w)).isocalendar()[0]}-W"
        f"{(today - timedelta(weeks=w)).isocalendar()[1]:02}"
        for w in range(n)
    ]


def _checkins(session: Session, community_id: int, member_ids: list[int], now: Any) -> None:
    weeks = _weeks(now.date(), 4)
    visibilities = ["private", "convenors", "cop"]
    session.execute(
        insert(Checkin),
        [
            {
                "community_id": community_id,
                "member_id": m,
                "week": week,
                "status": "answered",
                "mood": 1 + (i + w) % 5,
                "on_mind": "Tea.",
                "visibility": visibilities[i % 3],
            }
            for i, m in enumerate(member_ids)
            for w, week in enumerate(weeks)
        ],
    )
    session.execute(
        insert(Delivery),
        [
            {
                "key": f"checkin:{m}:{week}",
                "channel": f"D{m}",
                "status": DeliveryStatus.SENT,
                "created_at": now - timedelta(weeks=w),
                "sent_at": now - timedelta(weeks=w),
            }
            for m in member_ids
            for w, week in enumerate(weeks)
        ],
    )


def _rounds_and_pairing(
    session: Session, community_id: int, size: Size, member_ids: list[int], tag: str, now: Any
) -> None:
    rounds = max(1, size.meetings // 4)
    session.execute(
        insert(Round),
        [
            {
                "community_id": community_id,
                "kind": "als" if i % 2 else "ai",
                "status": "closed" if i else "running",
                "topic": f"Topic {i}",
                "channel_id": "C0COP",
                "thread_ts": f"{tag}{i}.000",
                "set_members": [],
                "phase_minutes": [],
                "source_key": f"{tag}-round-{i}",
                "started_at": now - timedelta(days=3 * i + 1),
            }
            for i in range(rounds)
        ],
    )
    round_ids = list(session.scalars(select(Round.id).where(Round.source_key.like(f"{tag}-r%"))))
    session.execute(
        insert(RoundContribution),
        [
            {
                "round_id": r,
                "phase_index": 0,
                "member_id": member_ids[(r * 11 + k) % len(member_ids)],
                "text": "An idea.",
                "anonymous": k % 4 == 0,
                "created_at": now - timedelta(days=2),
            }
            for r in round_ids
            for k in range(10)
        ],
    )
    session.execute(
        insert(PairingPreference),
        [{"member_id": m, "opted_in": True} for m in member_ids],
    )
    number = session.scalar(
        select(func.coalesce(func.max(PairingRound.number), 0)).where(
            PairingRound.community_id == community_id
        )
    )
    session.execute(
        insert(PairingRound),
        [
            {
                "community_id": community_id,
                "number": (number or 0) + 1,
                "starts_at": now - timedelta(days=3),
            }
        ],
    )
    pairing_round = session.scalar(
        select(PairingRound.id)
        .where(PairingRound.community_id == community_id)
        .order_by(PairingRound.id.desc())
    )
    groups = len(member_ids) // 2
    session.execute(
        insert(PairingGroup),
        [
            {
                "round_id": pairing_round,
                "channel_id": f"G{tag}{i}",
                "met": bool(i % 2),
                "introduced_at": now - timedelta(days=3),
            }
            for i in range(groups)
        ],
    )
    group_ids = list(
        session.scalars(
            select(PairingGroup.id)
            .where(PairingGroup.round_id == pairing_round)
            .order_by(PairingGroup.id)
        )
    )
    session.execute(
        insert(PairingGroupMember),
        [
            {"group_id": g, "member_id": member_ids[2 * i + k]}
            for i, g in enumerate(group_ids)
            for k in range(2)
        ],
    )


# An IN list's placeholders, however many (SQLite's `?`, psycopg's `%(name)s`): one statement's
# text whatever the length of the list it was given.
_IN_LIST = re.compile(r"\((?:\?|%\([^)]+\)s)(?:,\s*(?:\?|%\([^)]+\)s))*\)")


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
