"""Standing action-learning sets on their rhythm: one tick a minute opens each new set's group
DM, calls for presenters before each meeting (each member reads the time in their own zone),
asks each volunteer to confirm, reminds every member shortly before, opens the meeting in the
set's group DM, and sends the adviser process prompts privately while it runs. A set someone
left (they left the CoP) moves to a new group DM of those who remain. Each set is sent for by
its own CoP's workspace, and one whose workspace has no Kettle is left until it has.

Every message goes through the delivery ledger with a key that names the set and the meeting's
time, so a restart, a double tick or a second replica never sends it twice; a meeting is one
round keyed the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import runtime
from bot.builders import rounds as builders
from bot.db import SessionFactory, unit_of_work
from bot.delivery import Sender
from bot.models import LearningSet, Member, Round, utcnow
from bot.schedules import rounds as runner
from bot.schedules import setup
from bot.services import membership
from bot.services import rounds as svc

log = logging.getLogger(__name__)


def _open(sender: Sender, session_factory: SessionFactory, set_id: int) -> str:
    """The set's group DM: conversations.open with its members (the same people, the same DM)."""
    with unit_of_work(session_factory) as session:
        set_ = session.get_one(LearningSet, set_id)
        users, channel = list(set_.members), set_.channel_id
    if not channel:
        opened = sender.client.conversations_open(users=",".join(users))
        channel = str(opened["channel"]["id"])
        with unit_of_work(session_factory) as session:
            svc.note_space(session, set_id, channel)
    return channel


def open_space(sender: Sender, session_factory: SessionFactory, set_id: int) -> None:
    """The set's own group DM, and a welcome in it that says what is said in the set stays in
    the set."""
    channel = _open(sender, session_factory, set_id)
    with unit_of_work(session_factory) as session:
        set_ = session.get_one(LearningSet, set_id)
        first = set_.next_meeting_at
        when = f"{svc.local_when(first, set_.tz)} ({set_.tz})" if first else ""
        text = builders.welcome(set_, when)
    sender.deliver(f"set:{set_id}:welcome", channel, text=text)


def move_space(sender: Sender, session_factory: SessionFactory, set_id: int) -> None:
    """Someone left the CoP, and so the set: it goes on in a new group DM of those who remain
    (Slack cannot take anyone out of a group DM). Each old group DM is told once that the set
    moved, and nothing else; the new one hears why it is there; if the set is now small, its
    adviser and convenor hear what they can do. Too few to go on, and it stops meeting."""
    with unit_of_work(session_factory) as session:
        set_ = session.get_one(LearningSet, set_id)
        left, going_on = list(set_.moved_from or []), svc.can_go_on(set_)
        if not going_on:
            svc.stop(session, set_id)
    if not left:
        return
    channel = _open(sender, session_factory, set_id) if going_on else None
    with unit_of_work(session_factory) as session:
        set_ = session.get_one(LearningSet, set_id)
        note = builders.moved(set_) if going_on else builders.ended(set_)
        here = builders.moved_here(set_)
        small = svc.too_small(set_)
        told = svc.to_tell_of_size(session, set_) if small else []
        options = builders.small(set_)
    for old in left:
        sender.deliver(f"set:{set_id}:moved:{old}", old, text=note)
    if channel is not None:
        sender.deliver(f"set:{set_id}:moved-here:{channel}", channel, text=here)
    for user_id in told:
        where = channel or "stopped"
        sender.deliver(f"set:{set_id}:small:{where}:{user_id}", user_id, text=options)
    with unit_of_work(session_factory) as session:
        svc.moved(session, set_id, left)


def move_spaces(
    route: runtime.Routing, session_factory: SessionFactory, community_id: int | None = None
) -> None:
    """Every set that has left a group DM and not yet said so (of one CoP: just after one of
    its members left)."""
    with unit_of_work(session_factory) as session:
        ids = [(s.id,) for s in svc.due_moves(session, community_id)]
    for sender, (set_id,) in runtime.routed(route, ids):
        try:
            move_space(sender, session_factory, set_id)
        except Exception:
            log.exception("could not move set %s to a new group DM", set_id)


def _spaces(route: runtime.Routing, session_factory: SessionFactory) -> None:
    with unit_of_work(session_factory) as session:
        ids = [(s.id,) for s in svc.due_spaces(session)]
    for sender, (set_id,) in runtime.routed(route, ids):
        try:
            open_space(sender, session_factory, set_id)
        except Exception:
            log.exception("could not open the group DM of set %s", set_id)


@dataclass(frozen=True)
class _Send:
    """One ledgered message of a set: `row` routes it (a set's or a round's id) and says,
    once it is out, what to mark."""

    row: int
    key: str
    channel: str
    text: str
    blocks: list[Any] | None = None
    done: tuple[Any, ...] = ()


def _send_each(route: runtime.Routing, sends: list[_Send], failed: str) -> list[_Send]:
    """Each message through its workspace's sender; the ones that went out (the rest are
    logged, and tried again next tick)."""
    sent = []
    for sender, (_, item) in runtime.routed(route, [(s.row, s) for s in sends]):
        try:
            sender.deliver(item.key, item.channel, text=item.text, blocks=item.blocks)
            sent.append(item)
        except Exception:
            log.exception(failed, item.row)
    return sent


def _to_members(
    session: Session,
    set_: LearningSet,
    kind: str,
    build: Callable[[Member, datetime], tuple[str, list[Any] | None]],
) -> list[_Send]:
    """One message to each active member of the set about its next meeting."""
    meeting_at = set_.next_meeting_at
    assert meeting_at is not None
    out = []
    for user_id in set_.members:
        member = membership.get_member(session, set_.community_id, user_id)
        if member is not None and member.is_active:
            text, blocks = build(member, meeting_at)
            key = f"set:{set_.id}:{meeting_at.isoformat()}:{kind}:{user_id}"
            out.append(_Send(set_.id, key, user_id, text, blocks, (set_.id, meeting_at)))
    return out


def _calls(route: runtime.Routing, session_factory: SessionFactory, now: datetime) -> None:
    """Before each meeting, each member is asked privately whether they'd like to present."""
    with unit_of_work(session_factory) as session:
        several = membership.several(session)
        due: list[_Send] = []
        for set_ in svc.due_calls(session, now):
            cop = set_.community_id if several else None

            def call(
                member: Member, at: datetime, set_: LearningSet = set_, cop: int | None = cop
            ) -> tuple[str, list[Any] | None]:
                text, blocks = builders.call_blocks(set_, member, at)
                return text, runner.marked(blocks, cop)

            due += _to_members(session, set_, "call", call)
    sent = _send_each(route, due, "could not call for presenters of set %s")
    for set_id, meeting_at in {s.done for s in sent}:
        with unit_of_work(session_factory) as session:
            svc.mark_called(session, set_id, meeting_at)


def _reminders(route: runtime.Routing, session_factory: SessionFactory, now: datetime) -> None:
    """Shortly before each meeting, each member is reminded of it in their own zone."""
    with unit_of_work(session_factory) as session:
        due: list[_Send] = []
        for set_ in svc.due_set_reminders(session, now):

            def remind(
                member: Member, at: datetime, set_: LearningSet = set_
            ) -> tuple[str, list[Any] | None]:
                return builders.reminder_text(set_, member, at), None

            due += _to_members(session, set_, "remind", remind)
    sent = _send_each(route, due, "could not remind members of set %s")
    for set_id, meeting_at in {s.done for s in sent}:
        with unit_of_work(session_factory) as session:
            svc.mark_reminded(session, set_id, meeting_at)


def _confirmations(route: runtime.Routing, session_factory: SessionFactory, now: datetime) -> None:
    """Each volunteer is asked, a little before the meeting, whether they still present."""
    with unit_of_work(session_factory) as session:
        several = membership.several(session)
        due = []
        for offer in svc.due_confirmations(session, now):
            text, blocks = builders.confirm_blocks(offer)
            cop = offer.learning_set.community_id
            blocks = runner.marked(blocks, cop if several else None)
            key = f"set-offer:{offer.id}:confirm"
            due.append(_Send(offer.set_id, key, offer.member.user_id, text, blocks, (offer.id,)))
    for item in _send_each(route, due, "could not ask for a confirmation in set %s"):
        with unit_of_work(session_factory) as session:
            svc.mark_asked(session, item.done[0], now)


def _openings(route: runtime.Routing, session_factory: SessionFactory, now: datetime) -> None:
    with unit_of_work(session_factory) as session:
        ids = [(s.id,) for s in svc.due_openings(session, now)]
    for sender, (set_id,) in runtime.routed(route, ids):
        try:
            with unit_of_work(session_factory) as session:
                opened = svc.open_meeting(session, session.get_one(LearningSet, set_id), now)
                round_id = opened.id if opened is not None else None
            if round_id is not None:
                runner.publish(sender, session_factory, round_id)
        except IntegrityError:
            log.info("meeting of set %s was opened by another worker", set_id)
        except Exception:
            log.exception("could not open the meeting of set %s", set_id)


def _adviser_prompts(route: runtime.Routing, session_factory: SessionFactory) -> None:
    """The adviser's process prompts, privately, as each phase of a meeting begins."""
    with unit_of_work(session_factory) as session:
        due = []
        for round_, text in svc.due_adviser_prompts(session):
            adviser = session.get(Member, round_.facilitator_id)
            if adviser is not None:
                key = f"round:{round_.id}:process:{round_.phase_index}"
                due.append(
                    _Send(round_.id, key, adviser.user_id, f":compass: {text}", None, (adviser.id,))
                )
    for item in _send_each(route, due, "could not prompt the adviser of round %s"):
        with unit_of_work(session_factory) as session:
            svc.note_once(
                session,
                svc.get_round(session, item.row, community_id=None),
                item.done[0],
                "process",
            )


def tick(now: datetime | None = None) -> None:
    """Everything standing sets need at `now`; safe to run twice or after a long pause."""
    rt = runtime.current()
    now = now or utcnow()
    route = rt.router(LearningSet)  # each set's CoP's workspace's sender
    _spaces(route, rt.session_factory)
    move_spaces(route, rt.session_factory)
    _calls(route, rt.session_factory, now)
    _confirmations(route, rt.session_factory, now)
    _reminders(route, rt.session_factory, now)
    _openings(route, rt.session_factory, now)
    _adviser_prompts(rt.router(Round), rt.session_factory)


@setup
def set_jobs(scheduler: BackgroundScheduler) -> None:
    scheduler.add_job(
        "bot.schedules.sets:tick",
        trigger="interval",
        minutes=1,
        id="sets:tick",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
    )
