"""Lines in a round's thread that are remembered where they went: a contribution, a
commitment, a steering note. Each is posted once; after a forget-me (or a join) its recorded
post is edited to say what it should say now, or taken down."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot import runtime
from bot.builders import rounds as builders
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
)
from bot.schedules.rounds import inquiry
from bot.services import rounds as svc

log = logging.getLogger(__name__)


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
