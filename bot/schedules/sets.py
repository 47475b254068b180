"""Standing action-learning sets on their rhythm: one tick a minute opens each new set's group
DM, calls for presenters before each meeting (each member reads the time in their own zone),
asks each volunteer to confirm, reminds every member shortly before, opens the meeting in the
set's group DM, and sends the adviser process prompts privately while it runs. Each set is sent
for by its own CoP's workspace, and one whose workspace has no Kettle is left until it has.

Every message goes through the delivery ledger with a key that names the set and the meeting's
time, so a restart, a double tick or a second replica never sends it twice; a meeting is one
round keyed the same way.
"""

from __future__ import annotations

import logging
from datetime import datetime

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.exc import IntegrityError

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


def open_space(sender: Sender, session_factory: SessionFactory, set_id: int) -> None:
    """The set's own group DM (conversations.open with its members), and a welcome in it that
    says what is said in the set stays in the set."""
    with unit_of_work(session_factory) as session:
        set_ = session.get_one(LearningSet, set_id)
        users, channel = list(set_.members), set_.channel_id
    if not channel:
        opened = sender.client.conversations_open(users=",".join(users))
        channel = str(opened["channel"]["id"])
        with unit_of_work(session_factory) as session:
            svc.note_space(session, set_id, channel)
    with unit_of_work(session_factory) as session:
        set_ = session.get_one(LearningSet, set_id)
        first = set_.next_meeting_at
        when = f"{svc.local_when(first, set_.tz)} ({set_.tz})" if first else ""
        text = builders.welcome(set_, when)
    sender.deliver(f"set:{set_id}:welcome", channel, text=text)


def _spaces(route: runtime.Routing, session_factory: SessionFactory) -> None:
    with unit_of_work(session_factory) as session:
        ids = [(s.id,) for s in svc.due_spaces(session)]
    for sender, (set_id,) in runtime.routed(route, ids):
        try:
            open_space(sender, session_factory, set_id)
        except Exception:
            log.exception("could not open the group DM of set %s", set_id)


def _calls(route: runtime.Routing, session_factory: SessionFactory, now: datetime) -> None:
    """Before each meeting, each member is asked privately whether they'd like to present."""
    with unit_of_work(session_factory) as session:
        due = []
        several = membership.several(session)
        for set_ in svc.due_calls(session, now):
            meeting_at = set_.next_meeting_at
            assert meeting_at is not None
            for user_id in set_.members:
                member = membership.get_member(session, set_.community_id, user_id)
                if member is None or not member.is_active:
                    continue
                text, blocks = builders.call_blocks(set_, member, meeting_at)
                blocks = runner.marked(blocks, set_.community_id if several else None)
                key = f"set:{set_.id}:{meeting_at.isoformat()}:call:{user_id}"
                due.append((set_.id, meeting_at, key, user_id, text, blocks))
    done: set[tuple[int, datetime]] = set()
    for sender, (set_id, meeting_at, key, user_id, text, blocks) in runtime.routed(route, due):
        try:
            sender.deliver(key, user_id, text=text, blocks=blocks)
            done.add((set_id, meeting_at))
        except Exception:
            log.exception("could not call for presenters of set %s", set_id)
    for set_id, meeting_at in done:
        with unit_of_work(session_factory) as session:
            svc.mark_called(session, set_id, meeting_at)


def _reminders(route: runtime.Routing, session_factory: SessionFactory, now: datetime) -> None:
    """Shortly before each meeting, each member is reminded of it in their own zone."""
    with unit_of_work(session_factory) as session:
        due = []
        for set_ in svc.due_set_reminders(session, now):
            meeting_at = set_.next_meeting_at
            assert meeting_at is not None
            for user_id in set_.members:
                member = membership.get_member(session, set_.community_id, user_id)
                if member is not None and member.is_active:
                    text = builders.reminder_text(set_, member, meeting_at)
                    key = f"set:{set_.id}:{meeting_at.isoformat()}:remind:{user_id}"
                    due.append((set_.id, meeting_at, key, user_id, text))
    done: set[tuple[int, datetime]] = set()
    for sender, (set_id, meeting_at, key, user_id, text) in runtime.routed(route, due):
        try:
            sender.deliver(key, user_id, text=text)
            done.add((set_id, meeting_at))
        except Exception:
            log.exception("could not remind members of set %s", set_id)
    for set_id, meeting_at in done:
        with unit_of_work(session_factory) as session:
            svc.mark_reminded(session, set_id, meeting_at)


def _confirmations(route: runtime.Routing, session_factory: SessionFactory, now: datetime) -> None:
    with unit_of_work(session_factory) as session:
        due = []
        several = membership.several(session)
        for offer in svc.due_confirmations(session, now):
            text, blocks = builders.confirm_blocks(offer)
            cop = offer.learning_set.community_id
            blocks = runner.marked(blocks, cop if several else None)
            due.append((offer.set_id, offer.id, offer.member.user_id, text, blocks))
    for sender, (_, offer_id, user_id, text, blocks) in runtime.routed(route, due):
        try:
            sender.deliver(f"set-offer:{offer_id}:confirm", user_id, text=text, blocks=blocks)
            with unit_of_work(session_factory) as session:
                svc.mark_asked(session, offer_id, now)
        except Exception:
            log.exception("could not ask offer %s for its confirmation", offer_id)


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
                due.append((round_.id, round_.phase_index, adviser.id, adviser.user_id, text))
    for sender, (round_id, index, member_id, user_id, text) in runtime.routed(route, due):
        try:
            sender.deliver(f"round:{round_id}:process:{index}", user_id, text=f":compass: {text}")
            with unit_of_work(session_factory) as session:
                svc.note_once(
                    session,
                    svc.get_round(session, round_id, community_id=None),
                    member_id,
                    "process",
                )
        except Exception:
            log.exception("could not prompt the adviser of round %s", round_id)


def tick(now: datetime | None = None) -> None:
    """Everything standing sets need at `now`; safe to run twice or after a long pause."""
    rt = runtime.current()
    now = now or utcnow()
    route = rt.router(LearningSet)  # each set's CoP's workspace's sender
    _spaces(route, rt.session_factory)
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
