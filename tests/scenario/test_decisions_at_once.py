"""Two convenors deciding the same thing at the same moment: one decision is made, the person it
is about hears one outcome, and the convenor who came second is told who decided first.

To make "the same moment" certain rather than likely, the test holds the database's write lock
(SQLite) or an exclusive lock on the tables being decided (PostgreSQL) while both requests run,
so both have read the undecided state before either can write; then it lets go.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, func, select, text

from bot.builders.ids import KnowledgeIds, MembershipIds
from bot.models import (
    Application,
    ApplicationStatus,
    Decision,
    DecisionKind,
    Member,
    Publication,
    PublicationStatus,
    Role,
)
from tests.conftest import CONVENOR, MEMBER, MEMBER2, MOVEMENT, OUTSIDER
from tests.fakeslack.signing import build_state_values
from tests.harness import Kettle, Reply
from tests.scenario.test_knowledge import add_story, button
from tests.scenario.test_membership import application_id, apply, member_of, open_review

MEMBERSHIP = (Application, Member, Decision)


@contextmanager
def writes_held(
    engine: Engine, tables: tuple[type, ...] = MEMBERSHIP
) -> Iterator[Callable[[int, Callable[[], bool]], None]]:
    """Hold every write to the tables in play; yields `wait(n, ready)`: returns once `n` requests
    are stuck behind the hold (PostgreSQL shows who waits; on SQLite, once `ready()` and a moment
    for them to reach their write)."""
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()
        raw.cursor().execute("BEGIN IMMEDIATE")

        def wait_sqlite(n: int, ready: Callable[[], bool]) -> None:
            until(ready)
            time.sleep(0.5)

        try:
            yield wait_sqlite
        finally:
            raw.rollback()
            raw.close()
        return
    with engine.connect() as conn, engine.connect() as watcher:
        names = ", ".join(model.__tablename__ for model in tables)  # type: ignore[attr-defined]
        conn.execute(text(f"LOCK TABLE {names} IN EXCLUSIVE MODE"))

        def waiting() -> int:
            count = watcher.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
            watcher.rollback()
            return int(count)

        def wait_postgres(n: int, ready: Callable[[], bool]) -> None:
            until(lambda: ready() and waiting() >= n)

        try:
            yield wait_postgres
        finally:
            conn.rollback()


def until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the requests never got that far")
        time.sleep(0.02)


def at_once(
    kettle: Kettle,
    engine: Engine,
    sends: list[Callable[[], Reply]],
    ready: Callable[[], bool] = lambda: True,
    tables: tuple[type, ...] = MEMBERSHIP,
) -> list[Reply]:
    """Run the requests in threads, all against the same undecided state."""
    with ThreadPoolExecutor(len(sends)) as pool:
        with writes_held(engine, tables) as wait:
            futures = [pool.submit(send) for send in sends]
            wait(len(sends), ready)
        replies = [f.result(timeout=60) for f in futures]
    kettle.settle()
    return replies


def two_convenors(kettle: Kettle) -> None:
    kettle.command(CONVENOR, "/cop", f"convenor appoint <@{MEMBER2}>")
    with kettle.db() as session:
        roles = session.scalars(select(Member).where(Member.role == Role.CONVENOR)).all()
        assert {m.user_id for m in roles} == {CONVENOR, MEMBER2}


def dm_texts(kettle: Kettle, user: str) -> list[str]:
    return [m.get("text", "") for m in kettle.fake.dm_messages(user)]


def outcome_dms(kettle: Kettle, user: str) -> list[str]:
    keys = [
        ((m.get("metadata") or {}).get("event_payload") or {}).get("key", "")
        for m in kettle.fake.dm_messages(user)
    ]
    return [k for k in keys if k.startswith("application-outcome:")]


def submit_decision(kettle: Kettle, user: str, view: dict[str, Any], choice: str, reason: str):
    values = build_state_values(
        view, {MembershipIds.DECISION: choice, MembershipIds.REASON: reason}
    )
    return lambda: kettle.submit(user, view, values, settle=False)


def test_two_convenors_deciding_one_application_at_once_make_one_decision(
    kettle: Kettle, engine: Engine
) -> None:
    two_convenors(kettle)
    apply(kettle)
    app_id = application_id(kettle)
    esther_view = open_review(kettle, app_id, CONVENOR)
    rohan_view = open_review(kettle, app_id, MEMBER2)
    kettle.fake.reset_calls()

    def both_fetched_the_applicant() -> bool:
        return [c.get("user") for c in kettle.fake.calls_to("users.info")].count(OUTSIDER) >= 2

    replies = at_once(
        kettle,
        engine,
        [
            submit_decision(kettle, CONVENOR, esther_view, "approved", "Welcome!"),
            submit_decision(kettle, MEMBER2, rohan_view, "declined", "Not this time."),
        ],
        ready=both_fetched_the_applicant,
    )
    assert [r.status for r in replies] == [200, 200]

    with kettle.db() as session:
        decided = session.scalars(
            select(Decision).where(
                Decision.application_id == app_id, Decision.kind != DecisionKind.APPLIED
            )
        ).all()
        assert len(decided) == 1, [(d.kind, d.actor_name) for d in decided]
        status = session.get_one(Application, app_id).status
    first, second = (
        (CONVENOR, MEMBER2) if decided[0].kind == DecisionKind.APPROVED else (MEMBER2, CONVENOR)
    )
    assert status == (
        ApplicationStatus.APPROVED if first == CONVENOR else ApplicationStatus.DECLINED
    )
    assert len(outcome_dms(kettle, OUTSIDER)) == 1
    name = {CONVENOR: "Esther", MEMBER2: "Rohan"}[first]
    told = [t for t in dm_texts(kettle, second) if "already decided" in t]
    assert told == [f"{name} has already decided this application: {status.value}."]
    assert (member_of(kettle, OUTSIDER) is not None) == (status == ApplicationStatus.APPROVED)


def test_a_review_opened_before_another_convenor_waitlisted_cannot_decide_again(
    kettle: Kettle,
) -> None:
    two_convenors(kettle)
    apply(kettle)
    app_id = application_id(kettle)
    esther_view = open_review(kettle, app_id, CONVENOR)
    rohan_view = open_review(kettle, app_id, MEMBER2)
    submit_decision(kettle, CONVENOR, esther_view, "waitlisted", "")()
    kettle.settle()
    reply = submit_decision(kettle, MEMBER2, rohan_view, "approved", "")()
    assert reply.json == {
        "response_action": "errors",
        "errors": {
            MembershipIds.DECISION: "Esther has already decided this application: waitlisted."
        },
    }
    assert len(outcome_dms(kettle, OUTSIDER)) == 1
    # A review opened now shows the waitlist, and may approve.
    fresh = open_review(kettle, app_id, MEMBER2)
    submit_decision(kettle, MEMBER2, fresh, "approved", "")()
    kettle.settle()
    assert len(outcome_dms(kettle, OUTSIDER)) == 2 and member_of(kettle, OUTSIDER) is not None


def test_two_convenors_standing_each_other_down_at_once_leave_one(
    kettle: Kettle, engine: Engine
) -> None:
    two_convenors(kettle)
    replies = at_once(
        kettle,
        engine,
        [
            lambda: kettle.command(CONVENOR, "/cop", f"convenor standdown <@{MEMBER2}>"),
            lambda: kettle.command(MEMBER2, "/cop", f"convenor standdown <@{CONVENOR}>"),
        ],
    )
    with kettle.db() as session:
        convenors = session.scalars(
            select(Member.user_id).where(Member.role == Role.CONVENOR)
        ).all()
        stood_down = session.scalar(
            select(func.count())
            .select_from(Decision)
            .where(Decision.kind == DecisionKind.STOOD_DOWN)
        )
    assert len(convenors) == 1 and stood_down == 1
    said = sorted(r.json["text"] for r in replies)
    assert any("has stood down" in t for t in said)
    assert any("Only a convenor" in t or "At least one convenor" in t for t in said)


def test_two_convenors_removing_one_member_at_once_tell_them_once(
    kettle: Kettle, engine: Engine
) -> None:
    two_convenors(kettle)
    replies = at_once(
        kettle,
        engine,
        [
            lambda: kettle.command(CONVENOR, "/cop", f"remove <@{MEMBER}> moved on"),
            lambda: kettle.command(MEMBER2, "/cop", f"remove <@{MEMBER}> new role"),
        ],
    )
    with kettle.db() as session:
        removed = session.scalar(
            select(func.count()).select_from(Decision).where(Decision.kind == DecisionKind.REMOVED)
        )
    assert removed == 1
    assert len([t for t in dm_texts(kettle, MEMBER) if "ended your membership" in t]) == 1
    said = sorted(r.json["text"] for r in replies)
    assert any("has been removed" in t for t in said)
    assert any("aren't a member" in t for t in said)


def test_forget_me_pressed_twice_at_once_forgets_once_and_opens_one_place(
    kettle: Kettle, engine: Engine
) -> None:
    kettle.command(CONVENOR, "/cop", "capacity 2")
    apply(kettle)
    submit_decision(kettle, CONVENOR, open_review(kettle, application_id(kettle)), "approved", "")()
    kettle.settle()
    with kettle.db() as session:
        assert session.scalars(select(Application)).one().status == ApplicationStatus.WAITLISTED
    press = lambda: kettle.click(  # noqa: E731
        MEMBER, MembershipIds.FORGET_DELETE_BUTTON, channel="D1", settle=False
    )
    at_once(kettle, engine, [press, press])
    told = [r["text"] for r in kettle.fake.responses]
    # The press that forgets says so; one that comes after it has finished finds nothing left.
    done = [t for t in told if t.startswith("Done: Kettle has forgotten you.")]
    assert len(done) >= 1, told
    assert all(t in done or t == "Kettle holds nothing about you." for t in told), told
    with kettle.db() as session:
        forgotten = session.scalar(
            select(func.count())
            .select_from(Decision)
            .where(Decision.kind == DecisionKind.FORGOTTEN)
        )
    assert forgotten == 1
    opened = [t for t in dm_texts(kettle, CONVENOR) if "A place has opened" in t]
    assert len(opened) == 1


# -- publishing to the movement: the author's yes or no, a convenor's withdrawal ------------------


def proposed(kettle: Kettle) -> tuple[dict[str, Any], str]:
    """A story of MEMBER's proposed by the convenor: the author's preview DM and the proposal id."""
    story_id = add_story(kettle)
    kettle.click(CONVENOR, KnowledgeIds.PROPOSE, value=str(story_id))
    preview = kettle.fake.dm_messages(MEMBER)[-1]
    return preview, button(preview, KnowledgeIds.APPROVE)["value"]


def press(
    kettle: Kettle, user: str, action_id: str, value: str, message: dict[str, Any] | None = None
):
    """A button on a message Kettle sent `user` (or, with no message, on a surface of their own)."""
    where: dict[str, Any] = {}
    if message is not None:
        where = {"message": message, "channel_id": kettle.fake.dm_channel_for(user)}
    request = kettle.signer.block_actions(
        user,
        actions=[{"action_id": action_id, "value": value}],
        trigger_id=kettle.fake.issue_trigger_id(),
        response_url=kettle.fake.new_response_url(),
        **where,
    )
    return lambda: kettle.send(request, settle=False)


def publication_now(kettle: Kettle) -> PublicationStatus:
    with kettle.db() as session:
        return session.scalars(select(Publication)).one().status


def test_the_author_pressing_yes_and_no_at_once_gets_one_answer(
    kettle: Kettle, engine: Engine
) -> None:
    preview, value = proposed(kettle)
    at_once(
        kettle,
        engine,
        [
            press(kettle, MEMBER, KnowledgeIds.APPROVE, value, preview),
            press(kettle, MEMBER, KnowledgeIds.DECLINE, value, preview),
        ],
        tables=(Publication,),
    )
    status = publication_now(kettle)
    posts = kettle.fake.messages(MOVEMENT)
    told = [
        t for t in dm_texts(kettle, CONVENOR) if "approved by its author" in t or "rather keep" in t
    ]
    if status == PublicationStatus.PUBLISHED:
        assert len(posts) == 1 and len(told) == 1 and "approved by its author" in told[0]
    else:
        assert status == PublicationStatus.DECLINED
        assert posts == [] and len(told) == 1 and "rather keep" in told[0]


def test_a_withdrawal_while_the_author_approves_leaves_nothing_in_public(
    kettle: Kettle, engine: Engine
) -> None:
    preview, value = proposed(kettle)
    at_once(
        kettle,
        engine,
        [
            press(kettle, MEMBER, KnowledgeIds.APPROVE, value, preview),
            press(kettle, CONVENOR, KnowledgeIds.WITHDRAW, value),
        ],
        tables=(Publication,),
    )
    assert publication_now(kettle) == PublicationStatus.WITHDRAWN
    assert kettle.fake.messages(MOVEMENT) == []
