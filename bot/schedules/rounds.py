"""Rounds on the clock: one tick a minute advances phases, posts what is due, and follows up.

Every post goes through the delivery ledger with a stable key, so a double tick, a restart or a
second replica never posts twice, and a round carries on from where the database says it is.
Handlers call `publish` too, right after they change a round.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot import runtime
from bot.builders import rounds as builders
from bot.builders.common import for_community
from bot.db import SessionFactory, unit_of_work
from bot.delivery import Sender
from bot.models import (
    Member,
    Round,
    RoundCommitment,
    RoundContribution,
    RoundPost,
    RoundPostKind,
    RoundStatus,
    utcnow,
)
from bot.schedules import rounds_inquiry as inquiry
from bot.schedules import setup
from bot.services import membership
from bot.services import rounds as svc
from bot.text import escape

log = logging.getLogger(__name__)


def publish(sender: Sender, session_factory: SessionFactory, round_id: int) -> None:
    """Post whatever of this round is not yet in Slack: its opening, current phase, synthesis.
    A set that has not started posts nothing in the channel: its presenter is asked first."""
    with unit_of_work(session_factory) as session:
        round_ = session.get(Round, round_id)
        if round_ is None:
            return
        started, ask = round_.status in svc.STARTED, svc.awaiting_ask(round_)
        channel, thread_ts = round_.channel_id, round_.thread_ts
        text, blocks = builders.opening(round_) if started else ("", [])
    if not started:
        if ask:
            ask_presenter(sender, session_factory, round_id)
        return
    if thread_ts is None:
        outcome = sender.deliver(f"round:{round_id}:opening", channel, text=text, blocks=blocks)
        if not outcome.ts:
            return  # another worker is posting it; the next tick carries on
        thread_ts = outcome.ts
        with unit_of_work(session_factory) as session:
            session.get_one(Round, round_id).thread_ts = thread_ts
            svc.record_post(session, round_id, RoundPostKind.OPENING, channel, thread_ts)
    with unit_of_work(session_factory) as session:
        round_ = session.get_one(Round, round_id)
        index = round_.phase_index
        phase_due = round_.status != RoundStatus.CLOSED and round_.announced_phase < index
        text, blocks = builders.phase_post(round_) if phase_due else ("", [])
        if phase_due and round_.set_id is not None and membership.several(session):
            # a set's group DM is no CoP's channel: its buttons say which CoP they are for
            blocks = for_community(blocks, round_.community_id)
    if phase_due:
        key = f"round:{round_id}:phase:{index}"
        sender.deliver(key, channel, text=text, blocks=blocks, thread_ts=thread_ts)
        with unit_of_work(session_factory) as session:
            round_ = session.get_one(Round, round_id)
            round_.announced_phase = max(round_.announced_phase, index)
    with unit_of_work(session_factory) as session:
        round_ = session.get_one(Round, round_id)
        closing = round_.status == RoundStatus.CLOSED and not round_.synthesis_posted
        text, blocks = builders.synthesis_post(round_) if closing else ("", [])
    if closing:
        outcome = sender.deliver(
            f"round:{round_id}:synthesis",
            channel,
            text=text,
            blocks=blocks,
            thread_ts=thread_ts,
            reply_broadcast=True,
        )
        with unit_of_work(session_factory) as session:
            session.get_one(Round, round_id).synthesis_posted = True
            if outcome.ts:
                svc.record_post(session, round_id, RoundPostKind.SYNTHESIS, channel, outcome.ts)


def ask_presenter(sender: Sender, session_factory: SessionFactory, round_id: int) -> None:
    """A set proposed for someone else: ask them privately, and tell the starter it waits."""
    als = svc.prompts_()["als"]
    with unit_of_work(session_factory) as session:
        round_ = session.get_one(Round, round_id)
        presenter, starter = round_.presenter, round_.facilitator
        if presenter is None:
            return
        text, blocks = builders.presenter_ask(
            round_,
            starter=svc.who(starter),
            report_back=bool(svc.previous_actions(session, presenter)),
        )
        if membership.several(session):  # a DM: its buttons say which CoP they are for
            blocks = for_community(blocks, round_.community_id)
        presenter_id = presenter.user_id
        starter_id = starter.user_id if starter is not None else None
        starter_member = starter.id if starter is not None else None
        waiting = str(als["asked_starter"]).format(channel=f"<#{round_.channel_id}>")
    outcome = sender.deliver(f"round:{round_id}:ask", presenter_id, text=text, blocks=blocks)
    if outcome.ts:
        dm = sender.resolve_channel(presenter_id)
        with unit_of_work(session_factory) as session:
            svc.record_post(
                session, round_id, RoundPostKind.ASK, dm, outcome.ts, member_id=starter_member
            )
    if starter_id:
        sender.deliver(f"round:{round_id}:proposed", starter_id, text=waiting)
    with unit_of_work(session_factory) as session:
        svc.mark_presenter_asked(session, round_id)


def tell_starter(sender: Sender, session_factory: SessionFactory, round_id: int) -> None:
    """The starter hears the presenter's answer, kindly and without a reason."""
    als = svc.prompts_()["als"]
    with unit_of_work(session_factory) as session:
        round_ = session.get_one(Round, round_id)
        if round_.facilitator is None or round_.status == RoundStatus.PROPOSED:
            return
        yes = round_.status != RoundStatus.DECLINED
        starter_id = round_.facilitator.user_id
        text = str(als["accepted_starter" if yes else "declined_starter"]).format(
            channel=f"<#{round_.channel_id}>"
        )
    sender.deliver(f"round:{round_id}:answered", starter_id, text=text)


def post_line(
    sender: Sender,
    session_factory: SessionFactory,
    round_id: int,
    kind: RoundPostKind,
    ref_id: int,
    text: str,
    blocks: list[dict[str, Any]] | None = None,
) -> None:
    """A contribution or commitment in the round's thread, once, remembered for forget-me."""
    with unit_of_work(session_factory) as session:
        round_ = session.get_one(Round, round_id)
        channel, thread_ts = round_.channel_id, round_.thread_ts
    outcome = sender.deliver(
        f"round:{round_id}:{kind.value}:{ref_id}",
        channel,
        text=text,
        blocks=blocks,
        thread_ts=thread_ts,
    )
    if outcome.ts:
        with unit_of_work(session_factory) as session:
            svc.record_post(session, round_id, kind, channel, outcome.ts, ref_id=ref_id)


def post_note(
    sender: Sender,
    session_factory: SessionFactory,
    round_id: int,
    *,
    key: str,
    note: str,
    minutes: int,
    member_id: int | None,
    who: str,
) -> None:
    """A steering note that names who pressed ("Paused by …"), remembered for forget-me."""
    text = str(svc.prompts_()["messages"][note]).format(who=who, minutes=minutes)
    with unit_of_work(session_factory) as session:
        round_ = session.get_one(Round, round_id)
        channel, thread_ts = round_.channel_id, round_.thread_ts
    outcome = sender.deliver(key, channel, text=text, thread_ts=thread_ts)
    if outcome.ts:
        with unit_of_work(session_factory) as session:
            svc.record_post(
                session,
                round_id,
                RoundPostKind.NOTE,
                channel,
                outcome.ts,
                member_id=member_id,
                detail={"note": note, "minutes": minutes},
            )


def render_post(session: Session, post: RoundPost) -> tuple[str, list[Any] | None] | None:
    """What a recorded post should say now; None when it should be taken down."""
    round_ = session.get_one(Round, post.round_id)
    messages = svc.prompts_()["messages"]
    if post.kind == RoundPostKind.OPENING:
        return builders.opening(round_)
    if post.kind == RoundPostKind.SYNTHESIS:
        return builders.synthesis_post(round_)
    if post.kind == RoundPostKind.ASK:
        if round_.status == RoundStatus.PROPOSED and round_.presenter is not None:
            return builders.presenter_ask(
                round_,
                starter=svc.who(round_.facilitator),
                report_back=bool(svc.previous_actions(session, round_.presenter)),
            )
        return builders.presenter_answered(round_, yes=round_.status != RoundStatus.DECLINED)
    if post.kind == RoundPostKind.NOTE:
        member = session.get(Member, post.member_id) if post.member_id else None
        detail = post.detail or {}
        text = str(messages[str(detail.get("note", "paused"))]).format(
            who=svc.who(member) if member else messages["former"],
            minutes=int(detail.get("minutes") or 5),
        )
        return text, None
    item = svc.post_content(session, post)
    if isinstance(item, RoundContribution):
        return inquiry.contribution_line(round_, item), None
    if isinstance(item, RoundCommitment):
        text = inquiry.commitment_line(item)
        return text, builders.commitment_blocks(text, item.id) if item.choice_id else None
    return None


def refresh_posts(sender: runtime.Routing, session_factory: SessionFactory) -> None:
    """Edit (or take down) every round post marked stale, e.g. after a forget-me: chat.update
    on its recorded ts. One that fails stays marked for the next tick."""
    with unit_of_work(session_factory) as session:
        stale = svc.stale_posts(session)
        due = [(p.round_id, p.id, p.channel_id, p.ts, render_post(session, p)) for p in stale]
    for poster, (_, post_id, channel, ts, content) in runtime.routed(sender, due):
        try:
            if content is None:
                poster.client.chat_delete(channel=channel, ts=ts)
            else:
                text, blocks = content
                poster.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
        except SlackApiError as exc:
            if exc.response.get("error") != "message_not_found":
                log.warning("could not edit round post %s: %s", ts, exc.response.get("error"))
                continue
        except Exception:
            log.exception("could not edit round post %s; the next tick tries again", ts)
            continue
        with unit_of_work(session_factory) as session:
            svc.settle_post(session, post_id, taken_down=content is None)


def _advance_due(session_factory: SessionFactory, now: datetime) -> None:
    with unit_of_work(session_factory) as session:
        due = [r.id for r in svc.due_to_advance(session, now)]
    for round_id in due:
        try:
            with unit_of_work(session_factory) as session:
                round_ = session.get_one(Round, round_id)
                if round_.phase_deadline is not None and round_.phase_deadline <= now:
                    svc.advance(session, round_, now=now, expected_phase=round_.phase_index)
        except Exception:
            log.exception("could not advance round %s", round_id)


def _publish_all(route: runtime.Routing, session_factory: SessionFactory) -> None:
    with unit_of_work(session_factory) as session:
        ids = [(r.id,) for r in svc.unannounced(session)]
    for sender, (round_id,) in runtime.routed(route, ids):
        try:
            publish(sender, session_factory, round_id)
        except Exception:
            log.exception("could not publish round %s", round_id)


def _invite(
    route: runtime.Routing, session_factory: SessionFactory, now: datetime, tz: str
) -> None:
    messages = svc.prompts_()["messages"]
    with unit_of_work(session_factory) as session:
        due = []
        for round_, people in svc.due_invitations(session, now, workspace_tz=tz):
            ph = svc.phase(round_) or {}
            text_args = {
                "kind": "appreciative-inquiry round",
                "topic": escape(round_.topic),
                "phase": ph.get("name", ""),
            }
            skip = {round_.facilitator.user_id} if round_.facilitator else set()
            targets = [(m.id, m.user_id) for m in people if m.user_id not in skip]
            cop = round_.community_id if membership.several(session) else None
            due.append(
                (
                    round_.id,
                    round_.phase_index,
                    round_.channel_id,
                    round_.thread_ts,
                    text_args,
                    targets,
                    cop,
                )
            )
    for sender, row in runtime.routed(route, due):
        round_id, index, channel, thread, args, targets, cop = row
        try:
            link = sender.client.chat_getPermalink(channel=channel, message_ts=thread or "")[
                "permalink"
            ]
            for member_id, user_id in targets:
                with unit_of_work(session_factory) as session:
                    if not svc.wants_invitations(session, member_id):
                        continue  # said no while the others were being invited
                text = messages["invite"].format(link=link, **args)
                sender.deliver(
                    f"round:{round_id}:invite:{user_id}",
                    user_id,
                    text=text,
                    blocks=marked(builders.invite_blocks(text), cop),
                )
                with unit_of_work(session_factory) as session:
                    svc.note_once(session, session.get_one(Round, round_id), member_id, "invite")
            with unit_of_work(session_factory) as session:
                svc.mark_invited(session, round_id, index)
        except Exception:
            log.exception("could not invite members to round %s", round_id)


def marked(blocks: list[Any], community_id: int | None) -> list[Any]:
    """A DM's blocks, marked as one CoP's where the install has several."""
    return blocks if community_id is None else for_community(blocks, community_id)


def _tea_breaks(route: runtime.Routing, session_factory: SessionFactory, now: datetime) -> None:
    with unit_of_work(session_factory) as session:
        due = [(r.id, r.channel_id, r.thread_ts) for r in svc.due_tea_breaks(session, now)]
    for sender, (round_id, channel, thread_ts) in runtime.routed(route, due):
        try:
            with unit_of_work(session_factory) as session:
                text = svc.take_tea_break(session, round_id, now)  # the timer stops for tea
            sender.deliver(f"round:{round_id}:tea", channel, text=text, thread_ts=thread_ts)
            with unit_of_work(session_factory) as session:
                svc.mark_tea_break(session, round_id)
        except Exception:
            log.exception("could not nudge a tea break in round %s", round_id)


def _commitment_texts(
    template: str, commitments: list[RoundCommitment]
) -> list[tuple[int, int, str, str]]:
    """(its round, commitment id, its owner's user id, the message) for each commitment whose
    owner is still known, its date as they picked it."""
    return [
        (
            c.round_id,
            c.id,
            c.member.user_id,
            template.format(
                what=escape(c.what),
                when=f"{svc.local_due(c):%a %d %b}",
                topic=escape(c.round.topic),
            ),
        )
        for c in commitments
        if c.member is not None
    ]


def _follow_ups(route: runtime.Routing, session_factory: SessionFactory, now: datetime) -> None:
    messages = svc.prompts_()["messages"]
    with unit_of_work(session_factory) as session:
        reminders = _commitment_texts(messages["remind"], svc.due_reminders(session, now))
        due_asks = svc.due_asks(session, now)
        asks = _commitment_texts(messages["ask"], due_asks)
        several = membership.several(session)
        cops = {c.id: c.round.community_id if several else None for c in due_asks}
    for sender, (_, commitment_id, user_id, text) in runtime.routed(route, reminders):
        try:
            sender.deliver(f"round-commitment:{commitment_id}:remind", user_id, text=text)
            with unit_of_work(session_factory) as session:
                svc.mark_commitment(session, commitment_id, "reminded_at", now)
        except Exception:
            log.exception("could not remind about commitment %s", commitment_id)
    for sender, (_, commitment_id, user_id, text) in runtime.routed(route, asks):
        try:
            sender.deliver(
                f"round-commitment:{commitment_id}:ask",
                user_id,
                text=text,
                blocks=marked(builders.ask_blocks(text, commitment_id), cops.get(commitment_id)),
            )
            with unit_of_work(session_factory) as session:
                svc.mark_commitment(session, commitment_id, "asked_at", now)
        except Exception:
            log.exception("could not ask how commitment %s went", commitment_id)


def tick(now: datetime | None = None) -> None:
    """Everything rounds need doing at `now`; safe to run twice or after a long pause."""
    rt = runtime.current()
    now = now or utcnow()
    _advance_due(rt.session_factory, now)
    route = rt.router(Round)  # each round's workspace's sender
    _publish_all(route, rt.session_factory)
    tz = rt.settings.workspace_tz
    _invite(route, rt.session_factory, now, tz)
    inquiry.send_prompts(route, rt.session_factory, now, tz)
    inquiry.pair_due(route, rt.session_factory, now)
    inquiry.offer_library(route, rt.session_factory)
    _tea_breaks(route, rt.session_factory, now)
    _follow_ups(route, rt.session_factory, now)
    try:
        refresh_posts(route, rt.session_factory)
    except Exception:
        log.exception("could not refresh round posts")


@setup
def rounds_jobs(scheduler: BackgroundScheduler) -> None:
    scheduler.add_job(
        "bot.schedules.rounds:tick",
        trigger="interval",
        minutes=1,
        id="rounds:tick",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
    )
