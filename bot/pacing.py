"""One pace for the Web API calls Kettle makes, shared by every job and every replica.

Slack limits each method per app per workspace (docs.slack.dev/apis/web-api/rate-limits): Tier 2
about 20 calls a minute, Tier 3 about 50, Tier 4 about 100; chat.postMessage about one a second
per channel (short bursts allowed) under a workspace-wide ceiling Slack does not publish (Kettle
assumes 600 a minute). A `Pacer` hands out call slots evenly spaced per (workspace, method), so
that two jobs due together, or two replicas, never add up to more than the tier.

Where the slots come from is a `SlotStore`. `LocalSlots` keeps them in memory (one process).
`SharedSlots` keeps one row per (team id, method) in `api_pacing`: taking slots is one atomic
upsert (`INSERT … ON CONFLICT DO UPDATE … RETURNING`; a row lock on PostgreSQL, the single writer
on SQLite) that moves the row's next free slot on. To keep that cheap at high rates a pacer takes
a lease of slots at a time (a quarter of a second's worth, at least one) and spends them in order;
a slot it could not spend in time is dropped, never saved up into a burst.

A 429's Retry-After is a hold: the row's next free slot moves to the end of the wait, and the
replica that saw it drops its lease, so every replica's next slot for that method comes after it
(the others notice within one lease). Replicas compare slots by their wall clocks (NTP-synced).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import func
from sqlalchemy.dialects import postgresql, sqlite

from bot.db import SessionFactory, unit_of_work
from bot.models import ApiPace

TIER_1 = (1, 60.0)
TIER_2 = (20, 60.0)
TIER_3 = (50, 60.0)
TIER_4 = (100, 60.0)

#: (calls, per seconds) for each method Kettle calls, per workspace.
SLACK_TIERS: dict[str, tuple[int, float]] = {
    "chat.postMessage": (600, 60.0),  # special: the workspace-wide ceiling (assumed)
    "chat.postEphemeral": TIER_4,
    "chat.update": TIER_3,
    "chat.delete": TIER_3,
    "chat.getPermalink": TIER_4,
    "chat.scheduleMessage": TIER_3,
    "conversations.open": TIER_3,
    "conversations.info": TIER_3,
    "conversations.members": TIER_4,
    "conversations.history": TIER_3,
    "conversations.replies": TIER_3,
    "conversations.invite": TIER_3,
    "conversations.kick": TIER_3,
    "conversations.join": TIER_3,
    "reactions.add": TIER_3,
    "users.info": TIER_4,
    "users.list": TIER_2,
    "team.info": TIER_3,
    "views.open": TIER_4,
    "views.push": TIER_4,
    "views.update": TIER_4,
    "views.publish": TIER_4,
    "files.getUploadURLExternal": TIER_4,
    "files.completeUploadExternal": TIER_4,
    "files.info": TIER_4,
    "auth.test": TIER_4,
    "apps.connections.open": TIER_1,
}

LEASE_SECONDS = 0.25
POST = "chat.postMessage"  # the method PostRateLimiter.reserve paces, with each channel's pace


class SlotStore(Protocol):
    def take(self, team: str, method: str, count: int, interval: float, now: float) -> float:
        """Reserve `count` slots `interval` apart from the first free one at or after `now`;
        return the first slot's time (epoch seconds)."""
        ...

    def hold(self, team: str, method: str, until: float) -> None:
        """No slot before `until` (a Retry-After)."""
        ...


class LocalSlots:
    """Slots for one process only."""

    def __init__(self) -> None:
        self._next: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def take(self, team: str, method: str, count: int, interval: float, now: float) -> float:
        with self._lock:
            start = max(now, self._next.get((team, method), 0.0))
            self._next[(team, method)] = start + count * interval
        return start

    def hold(self, team: str, method: str, until: float) -> None:
        with self._lock:
            self._next[(team, method)] = max(until, self._next.get((team, method), 0.0))


class SharedSlots:
    """Slots kept in the database, shared by every process that uses it."""

    def __init__(self, session_factory: SessionFactory) -> None:
        self.session_factory = session_factory
        self.calls = 0  # how many times the table was written: the cost of sharing
        self.seconds = 0.0
        self._dialect_name: str | None = None

    def _upsert(self, team: str, method: str, *, fresh: float, moved: object) -> float:
        started = time.perf_counter()
        insert = postgresql.insert if self._dialect() == "postgresql" else sqlite.insert
        with unit_of_work(self.session_factory) as session:
            upsert = (
                insert(ApiPace)
                .values(team_id=team, method=method, next_at=fresh)
                .on_conflict_do_update(
                    index_elements=[ApiPace.team_id, ApiPace.method], set_={"next_at": moved}
                )
                .returning(ApiPace.next_at)
            )
            value = float(session.execute(upsert).scalar_one())
        self.calls += 1
        self.seconds += time.perf_counter() - started
        return value

    def take(self, team: str, method: str, count: int, interval: float, now: float) -> float:
        span = count * interval
        latest = func.greatest if self._dialect() == "postgresql" else func.max
        end = self._upsert(
            team, method, fresh=now + span, moved=latest(ApiPace.next_at, now) + span
        )
        return end - span

    def hold(self, team: str, method: str, until: float) -> None:
        latest = func.greatest if self._dialect() == "postgresql" else func.max
        self._upsert(team, method, fresh=until, moved=latest(ApiPace.next_at, until))

    def _dialect(self) -> str:
        if self._dialect_name is None:
            with unit_of_work(self.session_factory) as session:
                self._dialect_name = session.get_bind().dialect.name
        return self._dialect_name


@dataclass
class _Lease:
    next: float = 0.0
    end: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


class Pacer:
    """Evenly spaced slots per (workspace, method) from a store; `wait` sleeps until one."""

    def __init__(
        self,
        slots: SlotStore | None = None,
        *,
        limits: dict[str, tuple[int, float]] | None = None,
        lease_seconds: float = LEASE_SECONDS,
    ) -> None:
        self.slots: SlotStore = slots if slots is not None else LocalSlots()
        self.interval = {m: window / n for m, (n, window) in (limits or {}).items() if n > 0}
        self.lease_seconds = lease_seconds
        self._leases: dict[tuple[str, str], _Lease] = {}
        self._held: dict[tuple[str, str], float] = {}  # the latest Retry-After's end, per method
        self._lock = threading.Lock()
        #: Told of each hold this pacer is given (team, method, until): the call worker passes
        #: its holds on to the serving process (bot/call_worker.py).
        self.heard: Callable[[str, str, float], None] | None = None

    def _lease(self, team: str, method: str) -> _Lease:
        with self._lock:
            return self._leases.setdefault((team, method), _Lease())

    def slot(self, team: str, method: str) -> float | None:
        """The time of this caller's next slot for `method`, or None if it is not paced."""
        interval = self.interval.get(method)
        if not interval:
            return None
        lease = self._lease(team, method)
        with lease.lock:
            now = time.time()
            if lease.next < now - interval:  # a slot not spent in time is gone, not saved up
                lease.next += math.ceil((now - interval - lease.next) / interval) * interval
            if lease.next < lease.end - interval / 2:
                slot = lease.next
            else:
                count = max(1, int(self.lease_seconds / interval))
                slot = self.slots.take(team, method, count, interval, now)
                lease.end = slot + count * interval
            lease.next = slot + interval
            return slot

    def wait(self, team: str, method: str) -> None:
        slot = self.slot(team, method)
        if slot is not None:
            sleep_until(slot)

    def hold(self, team: str, method: str, seconds: float) -> float:
        """Slack said Retry-After `seconds`: no slot before then, here or in any replica."""
        until = time.time() + seconds
        self.slots.hold(team, method, until)
        self.note_held(team, method, until)
        if self.heard is not None:
            self.heard(team, method, until)
        return until

    def note_held(self, team: str, method: str, until: float) -> None:
        """A hold until `until` already in the slots (another process's, such as the call
        worker's): slots this process had leased go, and `held_until` tells of it."""
        with self._lock:
            self._held[(team, method)] = max(until, self._held.get((team, method), 0.0))
        lease = self._lease(team, method)
        with lease.lock:
            lease.next = lease.end = 0.0

    def held_until(self, team: str, method: str) -> float:
        """When the latest hold this process was told of for `method` ends (0 if none was)."""
        return self._held.get((team, method), 0.0)


class PostRateLimiter:
    """Paces calls so Slack rarely has to say 429: posts to one channel ≥1 s apart (in this
    process), and each method within its tier for the workspace, through a `Pacer` whose slots
    are shared by every job and, with `SharedSlots`, every replica (bot/pacing.py).

    `PostRateLimiter(0)` paces nothing (tests); the SDK's retry handlers still honour Retry-After.
    """

    def __init__(
        self,
        per_channel_interval: float = 1.0,
        *,
        per_method: dict[str, tuple[int, float]] | None = None,
        slots: SlotStore | None = None,
        team_id: str = "",
    ) -> None:
        self.interval = per_channel_interval
        if per_method is None:
            per_method = SLACK_TIERS if per_channel_interval > 0 else {}
        self.pacer = Pacer(slots, limits=per_method)
        self.team_id = team_id  # the workspace whose limits these are
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def _channel_slot(self, channel: str, not_before: float = 0.0) -> float:
        """The channel's next slot, not before `not_before`. A slot once passed is dropped: it
        paces nothing more, and the channel (a person's user or DM id) is kept in memory no
        longer than its pace."""
        now = time.time()
        with self._lock:
            for passed in [c for c, at in self._next.items() if at <= now]:
                del self._next[passed]
            slot = max(now, not_before, self._next.get(channel, 0.0))
            self._next[channel] = slot + self.interval
        return slot

    def for_team(self, team_id: str) -> PostRateLimiter:
        """The same slots and pace, for another workspace's own limits (Slack's are per app
        per workspace)."""
        twin = PostRateLimiter(self.interval, per_method={}, team_id=team_id)
        twin.pacer = self.pacer
        return twin

    def wait_method(self, method: str) -> None:
        self.pacer.wait(self.team_id, method)

    def reserve(self, channel: str) -> float:
        """Take the slots of a chat.postMessage to `channel` (the channel's and the method's
        for the workspace): the moment both allow it, which may be now or already past. While
        Slack's Retry-After for the method lasts, none inside it, nor at its very end: that
        moment is the retry's, of the post Slack refused."""
        held = self.held_until(POST)
        not_before = held + self.interval if held > time.time() else 0.0
        slots = [self._channel_slot(channel, not_before)] if self.interval > 0 else [not_before]
        method_slot = self.pacer.slot(self.team_id, POST)
        if method_slot is not None:
            slots.append(method_slot)
        return max(slots, default=0.0)

    def wait(self, channel: str) -> None:
        """Before a chat.postMessage to `channel`."""
        sleep_until(self.reserve(channel))

    def held_until(self, method: str) -> float:
        """When the latest Retry-After for `method` in this workspace ends, as this process
        heard it (epoch seconds; 0 if never): a slot taken before the hold may fall inside it."""
        return self.pacer.held_until(self.team_id, method)

    def hold(self, method: str, seconds: float) -> None:
        """Slack answered `method` with Retry-After `seconds`: every sender sharing the slots
        waits it out, then the retry takes a fresh slot."""
        until = self.pacer.hold(self.team_id, method, seconds)
        sleep_until(until)
        self.wait_method(method)


def sleep_until(moment: float) -> None:
    delay = moment - time.time()
    if delay > 0:
        time.sleep(delay)
