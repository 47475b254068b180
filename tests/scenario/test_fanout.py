"""Fan-out at Slack's floor: DMs posted to user ids with no conversations.open, the DM ids Slack
answers with kept on member rows and used for what needs a channel id, and one pace per
workspace and method shared by jobs and replicas, Retry-After included."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from bot import runtime
from bot.delivery import Sender, queue
from bot.models import ApiPace, Community, Delivery, Member
from bot.pacing import PostRateLimiter, SharedSlots
from bot.schedules import outbox
from bot.schedules.checkins import run_tick
from bot.schedules.knowledge import take_down
from bot.slack import make_client
from tests.conftest import CONVENOR, MEMBER, MEMBER2
from tests.fakeslack import FakeSlack
from tests.harness import Kettle

MONDAY = datetime(2026, 3, 30, 18, 0, tzinfo=UTC)  # Monday everywhere the fixture's members live
USERS = [CONVENOR, MEMBER, MEMBER2]


def keys_in_dms(fake: FakeSlack, users: list[str]) -> Counter[str]:
    return Counter(
        ((m.get("metadata") or {}).get("event_payload") or {}).get("key", "")
        for user in users
        for m in fake.dm_messages(user)
    )


def paced_sender(kettle: Kettle, limits: dict[str, tuple[int, float]], **kw: object) -> Sender:
    """A sender as another replica would have: its own client, limiter and process-local
    leases, sharing only the database's slots."""
    limiter = PostRateLimiter(0, per_method=limits, slots=SharedSlots(kettle.session_factory))
    client = make_client(kettle.settings.bot_token, kettle.fake.api_url, limiter=limiter)
    return Sender(client, kettle.session_factory, limiter=limiter, **kw)  # type: ignore[arg-type]


def until(condition: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the condition never came true"
        time.sleep(0.01)


def test_a_weeks_fan_out_opens_no_conversation_and_keeps_each_dm_id(kettle: Kettle) -> None:
    rt = runtime.current()
    report = run_tick(rt, now=MONDAY)
    assert report.sent == 3
    assert kettle.fake.calls_to("conversations.open") == []
    assert sorted(p["channel"] for p in kettle.fake.calls_to("chat.postMessage")) == sorted(USERS)
    with kettle.db() as session:
        kept = {u: d for u, d in session.execute(select(Member.user_id, Member.dm_channel_id))}
    assert kept == {u: kettle.fake.dm_channel_for(u) for u in USERS}
    assert all(dm.startswith("D") for dm in kept.values())

    # After a restart (nothing in memory) what needs a channel id gets the kept DM id: taking a
    # post out of a member's DM deletes it by its D… id, with no conversations.open.
    restarted = Sender(kettle.client, kettle.session_factory, limiter=PostRateLimiter(0))
    (checkin,) = kettle.fake.dm_messages(MEMBER)
    kettle.fake.reset_calls()
    take_down(
        kettle.session_factory,
        kettle.client,
        restarted,
        posts=[(MEMBER, checkin["ts"])],
        digests=[],
    )
    assert [p["channel"] for p in kettle.fake.calls_to("chat.delete")] == [kept[MEMBER]]
    assert kettle.fake.dm_messages(MEMBER) == []
    assert restarted.resolve_channel(MEMBER2) == kept[MEMBER2]

    # The next week: the same, still no conversations.open, and the DM ids stay as they were.
    run_tick(
        runtime.Runtime(rt.settings, rt.engine, rt.session_factory, rt.client, restarted),
        now=MONDAY + timedelta(days=7),
    )
    assert kettle.fake.calls_to("conversations.open") == []
    posted = [
        p["metadata"]["event_payload"]["key"] for p in kettle.fake.calls_to("chat.postMessage")
    ]
    assert len([k for k in posted if k.startswith("checkin:") and k.endswith(":2026-W15")]) == 3
    with kettle.db() as session:
        again = {u: d for u, d in session.execute(select(Member.user_id, Member.dm_channel_id))}
    assert again == kept


def add_members(kettle: Kettle, n: int) -> list[str]:
    users = [f"UPACE{i:03d}" for i in range(n)]
    with kettle.db() as session:
        community = session.scalars(select(Community)).one()
        for i, user in enumerate(users):
            kettle.fake.add_user(user, f"Pace {i}", tz="Europe/London")
            session.add(Member(community_id=community.id, user_id=user, name=f"Pace {i}"))
    return users


def test_two_jobs_due_together_keep_within_the_tier_between_them(kettle: Kettle) -> None:
    """The check-in tick and the outbox sweeper, each in its own replica, fall due at once.
    Each paces itself a fifth under a ceiling of 4 posts a second; only because they share
    their slots do the two together stay under it (alone, each would post 3.2 a second)."""
    rt = runtime.current()
    users = add_members(kettle, 5)
    queued = [f"pace-test:{u}" for u in USERS + users]
    with kettle.db() as session:
        for key, user in zip(queued, USERS + users, strict=True):
            queue(session, key, user, text="A word from the convenors")
        session.execute(
            update(Delivery)
            .where(Delivery.key.in_(queued))
            .values(created_at=datetime.now(UTC) - timedelta(minutes=5))
        )
    kettle.fake.enforce_rate_limits(per_method={"chat.postMessage": (4, 1.0)})
    limits = {"chat.postMessage": (4, 1.25)}
    checkin_replica, outbox_replica = paced_sender(kettle, limits), paced_sender(kettle, limits)
    start = threading.Barrier(2)

    def checkins() -> None:
        start.wait()
        r = runtime.Runtime(rt.settings, rt.engine, rt.session_factory, rt.client, checkin_replica)
        run_tick(r, now=MONDAY, workers=4)

    def sweeper() -> None:
        start.wait()
        outbox.sweep()

    runtime.install(
        runtime.Runtime(rt.settings, rt.engine, rt.session_factory, rt.client, outbox_replica)
    )
    try:
        jobs = [threading.Thread(target=checkins), threading.Thread(target=sweeper)]
        for job in jobs:
            job.start()
        for job in jobs:
            job.join(timeout=60)
    finally:
        runtime.install(rt)
        kettle.fake.enforce_rate_limits()
    assert kettle.fake.ratelimited_count == 0
    counts = keys_in_dms(kettle.fake, USERS + users)
    assert {k: v for k, v in counts.items() if k.startswith("pace-test:")} == dict.fromkeys(
        queued, 1
    )
    assert sorted(v for k, v in counts.items() if k.startswith("checkin:")) == [1] * 8


def test_a_retry_after_seen_by_one_sender_holds_back_another_sharing_the_database(
    kettle: Kettle,
) -> None:
    """Two replicas that think the ceiling is far higher than it is: the first trips it, and
    the second, sharing only the database, waits out the first one's Retry-After instead of
    tripping it too."""
    kettle.fake.enforce_rate_limits(per_method={"chat.postMessage": (2, 1.0)})

    def held_in_the_database() -> bool:
        with kettle.db() as session:
            slot = session.scalar(
                select(ApiPace.next_at).where(ApiPace.method == "chat.postMessage")
            )
        return slot is not None and slot > time.time() + 0.5

    generous = {"chat.postMessage": (100, 1.0)}
    first, second = paced_sender(kettle, generous), paced_sender(kettle, generous)
    try:

        def burst() -> None:
            for n, user in enumerate(USERS):
                first.deliver(f"burst:{n}", user, text="one of three")

        tripping = threading.Thread(target=burst)
        tripping.start()
        until(held_in_the_database)  # the third post was refused, and its sender said so
        outcome = second.deliver("burst:other", MEMBER, text="from the other replica")
        tripping.join(timeout=30)
    finally:
        kettle.fake.enforce_rate_limits()
    assert outcome.sent
    assert kettle.fake.ratelimited_count == 1  # neither the retry nor the other replica's post
    counts = keys_in_dms(kettle.fake, USERS)
    assert {k: v for k, v in counts.items() if k.startswith("burst:")} == {
        "burst:0": 1,
        "burst:1": 1,
        "burst:2": 1,
        "burst:other": 1,
    }
