"""The pairing tick: make this period's round once, introduce each group in a group DM, and ask
later whether they met. Every message goes through the ledger, so restarts never double them."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from bot import runtime
from bot.builders import pairing as builders
from bot.builders.common import for_community
from bot.db import unit_of_work
from bot.delivery import Sender
from bot.models import PairingGroup, utcnow
from bot.schedules import setup
from bot.services import membership, pairing

log = logging.getLogger(__name__)


def _mark(rt: runtime.Runtime, group_id: int, field: str, value: object) -> None:
    with unit_of_work(rt.session_factory) as session:
        pairing.mark_group(session, group_id, field, value)


def _introduce(rt: runtime.Runtime, sender: Sender, group_id: int, now: datetime) -> bool:
    with unit_of_work(rt.session_factory) as session:
        group = session.get(PairingGroup, group_id)
        if group is None or group.introduced_at is not None:
            return False
        people: list[tuple[str, str, str | None, str | None]] = [
            (
                gm.member.user_id,
                gm.member.name,
                gm.member.tz,
                pairing.profile_text(session, gm.member),
            )
            for gm in group.members
        ]
        channel = group.channel_id
        key = f"pairing:{group.round_id}:{group.id}:intro"
        seed = f"{group.round_id}:{group.id}"
    if channel is None:
        opened = sender.client.conversations_open(users=",".join(p[0] for p in people))
        channel = str(opened["channel"]["id"])
        _mark(rt, group_id, "channel_id", channel)
    text, blocks = builders.intro_blocks(people, seed=seed)
    outcome = sender.deliver(key, channel, text=text, blocks=blocks)
    if outcome.ts:
        _mark(rt, group_id, "introduced_at", now)
    return outcome.sent


def _follow_up(rt: runtime.Runtime, sender: Sender, group_id: int, now: datetime) -> bool:
    with unit_of_work(rt.session_factory) as session:
        group = session.get(PairingGroup, group_id)
        if group is None or group.channel_id is None or group.followed_up_at is not None:
            return False
        channel, key = group.channel_id, f"pairing:{group.round_id}:{group.id}:followup"
        community_id = group.round.community_id if membership.several(session) else None
    text, blocks = builders.followup_blocks(group_id)
    if community_id is not None:  # a group DM: its buttons say which CoP they are for
        blocks = for_community(blocks, community_id)
    outcome = sender.deliver(key, channel, text=text, blocks=blocks)
    if outcome.ts:
        _mark(rt, group_id, "followed_up_at", now)
    return outcome.sent


def run_tick(rt: runtime.Runtime, now: datetime) -> int:
    """Run what is due at `now`; returns how many messages this call posted."""
    config = pairing.config_from(rt.settings.extra)
    for community_id in _community_ids(rt):
        try:
            with unit_of_work(rt.session_factory) as session:
                community = membership.community_by_id(session, community_id)
                if community is not None:
                    pairing.run_round(session, community, now=now, config=config)
        except Exception:
            log.exception("pairing round failed for community %s", community_id)
    with unit_of_work(rt.session_factory) as session:
        intros = [
            (g.id, g.round.community_id)
            for g in pairing.groups_to_introduce(session, now=now, config=config)
        ]
        followups = [
            (g.id, g.round.community_id)
            for g in pairing.groups_to_follow_up(session, now=now, config=config)
        ]
    teams = rt.teams_of(c for _g, c in intros + followups)
    sent = 0
    steps: list[tuple[Any, int, int]] = [(_introduce, g, c) for g, c in intros] + [
        (_follow_up, g, c) for g, c in followups
    ]
    for step, group_id, community_id in steps:
        sender = rt.sender_for(teams.get(community_id))
        if sender is None:
            continue  # its workspace no longer has Kettle: said once in the log
        try:
            sent += int(step(rt, sender, group_id, now))
        except Exception:
            log.exception("pairing message failed for group %s", group_id)
    return sent


def _community_ids(rt: runtime.Runtime) -> list[int]:
    with unit_of_work(rt.session_factory) as session:
        return [c.id for c in membership.communities(session)]


def pairing_tick() -> None:
    run_tick(runtime.current(), utcnow())


@setup
def pairing_jobs(scheduler: BackgroundScheduler) -> None:
    scheduler.add_job(
        "bot.schedules.pairing:pairing_tick",
        trigger="interval",
        minutes=10,
        id="pairing:tick",
        replace_existing=True,
        timezone="UTC",
    )
