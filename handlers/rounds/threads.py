"""Advice detection in action-learning threads: a private coaching tip during the question phase."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient

from bot.db import unit_of_work
from bot.models import Member, RoundKind
from bot.services import membership
from bot.services import rounds as svc
from bot.text import escape, truncate
from handlers.middleware import viewer_of


def in_active_round(body: dict[str, Any], context: BoltContext) -> bool:
    """Only human, unedited replies in the thread of a running round reach the listener."""
    event = body.get("event") or {}
    thread_ts, channel = event.get("thread_ts"), event.get("channel")
    if event.get("bot_id") or event.get("subtype") or not thread_ts or not channel:
        return False
    if thread_ts == event.get("ts") or context.get("db") is None:
        return False
    with unit_of_work(context["db"]) as session:
        return svc.round_for_thread(session, channel, thread_ts) is not None


def on_round_message(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        round_ = svc.round_for_thread(session, event["channel"], event["thread_ts"])
        if round_ is None or round_.kind != RoundKind.ALS or not svc.is_question_phase(round_):
            return
        # The round's thread says which CoP it is (a set's group DM is no CoP's channel, so
        # someone in two CoPs is known there by the round's own): a member of that one only.
        me = membership.get_member(session, round_.community_id, viewer.user_id)
        if me is None or not me.is_active:
            return
        speaking = {svc.turn_of(round_), *(round_.settings or {}).get("reporting", [])}
        if me.id in speaking - {None}:
            return  # a presenter (or one reporting back) answers; they are not asking
        text = event.get("text") or ""
        if not svc.looks_like_advice(text):
            return
        if not svc.note_once(session, round_, me.id, "coaching"):
            return
        tip = svc.coaching_tip(round_.id, me.id)
        adviser = round_.facilitator if round_.set_id is not None else None
        note = None
        if adviser is not None and adviser.id != me.id:
            presenter = svc.who(session.get(Member, svc.turn_of(round_) or 0) or round_.presenter)
            note = str(svc.prompts_()["advice"]["adviser_tip"]).format(
                who=svc.who(session.get(Member, me.id)),
                phase=(svc.phase(round_) or {}).get("name", ""),
                text=escape(truncate(" ".join(text.split()), 300)),
                presenter=presenter,
            )
            key = f"round:{round_.id}:coach:{round_.phase_index}:{me.id}"
            to = adviser.user_id
    client.chat_postEphemeral(
        channel=event["channel"], user=viewer.user_id, thread_ts=event["thread_ts"], text=tip
    )
    if note is not None:
        context["sender"].deliver(key, to, text=note)  # the adviser hears it privately
