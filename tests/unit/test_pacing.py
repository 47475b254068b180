"""The shared pacing on the real database: slots handed to different pacers (replicas) never
coincide, each workspace has its own, and a hold (a Retry-After) moves everyone's next slot."""

from __future__ import annotations

import time
from itertools import pairwise
from typing import Any

from bot.pacing import LocalSlots, Pacer, PostRateLimiter, SharedSlots


def spaced(slots: list[float], interval: float) -> bool:
    ordered = sorted(slots)
    return all(b - a >= interval * 0.999 for a, b in pairwise(ordered))


def test_two_replicas_share_one_ladder_of_slots(session_factory: Any) -> None:
    limits = {"chat.postMessage": (10, 1.0)}  # a slot every 0.1 s
    a = Pacer(SharedSlots(session_factory), limits=limits)
    b = Pacer(SharedSlots(session_factory), limits=limits)
    taken = []
    for _ in range(6):
        taken += [a.slot("T1", "chat.postMessage"), b.slot("T1", "chat.postMessage")]
    assert None not in taken
    assert spaced(taken, 0.1)  # type: ignore[arg-type]


def test_each_workspace_and_method_has_its_own_slots(session_factory: Any) -> None:
    pacer = Pacer(
        SharedSlots(session_factory),
        limits={"chat.postMessage": (1, 60.0), "conversations.open": (1, 60.0)},
    )
    first = pacer.slot("T1", "chat.postMessage")
    assert first is not None
    others = [pacer.slot("T2", "chat.postMessage"), pacer.slot("T1", "conversations.open")]
    assert all(s is not None and s < first + 1 for s in others)  # not a minute later
    later = pacer.slot("T1", "chat.postMessage")
    assert later is not None and later >= first + 60
    assert pacer.slot("T1", "views.open") is None  # not paced here


def test_a_hold_moves_every_pacers_next_slot_past_it(session_factory: Any) -> None:
    limits = {"chat.postMessage": (100, 1.0)}
    saw_429 = Pacer(SharedSlots(session_factory), limits=limits)
    other = Pacer(SharedSlots(session_factory), limits=limits, lease_seconds=0)
    before = other.slot("T1", "chat.postMessage")
    until = saw_429.hold("T1", "chat.postMessage", 30)
    assert before is not None and before < until
    after = [other.slot("T1", "chat.postMessage"), saw_429.slot("T1", "chat.postMessage")]
    assert all(s is not None and s >= until for s in after)


def test_a_slot_not_spent_in_time_is_dropped_not_saved_into_a_burst() -> None:
    pacer = Pacer(LocalSlots(), limits={"m": (100, 1.0)}, lease_seconds=1.0)
    first = pacer.slot("T", "m")
    assert first is not None
    time.sleep(0.3)  # the process fell behind its lease
    now = time.time()
    late = [pacer.slot("T", "m") for _ in range(3)]
    assert all(s is not None and s >= now - 0.01 - 1e-6 for s in late)
    assert spaced(late, 0.01)  # type: ignore[arg-type]


def test_a_channels_pace_is_kept_only_while_it_paces() -> None:
    """Posts to one channel are spaced; once its slot has passed, the channel (a person's user
    or DM id) is no longer held in memory."""
    limiter = PostRateLimiter(0.05, per_method={})
    first, second = limiter._channel_slot("U1"), limiter._channel_slot("U1")
    assert second - first >= 0.05 * 0.999
    time.sleep(0.15)
    limiter._channel_slot("C1")
    assert list(limiter._next) == ["C1"]
