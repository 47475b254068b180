"""Knowledge's sends and schedules: digests, tips roundups, health reports (weekly and monthly).

One tick every 15 minutes asks "what is due at `now`?" per community; every post goes through
the delivery ledger with a stable key, so a restart, a retry or a second replica never repeats it.
The send functions here are also what the `/cop` commands use on demand.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

import prompts
from bot import runtime, waiting
from bot.builders import knowledge as kb
from bot.db import SessionFactory, unit_of_work
from bot.delivery import Sender
from bot.errors import NotFound
from bot.models import CalloutStatus, Community, Digest, PublicationStatus, utcnow
from bot.schedules import setup
from bot.services import knowledge, membership
from bot.services.stories import Place
from bot.text import escape

log = logging.getLogger(__name__)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _digest_view(
    session: Any, digest: Digest, community: Community
) -> tuple[str | None, str, list[dict[str, Any]], int]:
    """A digest as it stands now: (channel for a first post, header, blocks, stories in it)."""
    p = prompts.load("knowledge")
    if digest.audience == knowledge.COP:
        channel = community.channel_id
        place, header = Place.COP, p["digest_header"]
    else:
        channel = community.movement_channel_id
        place = Place.MOVEMENT
        header = p["digest_movement_header"].format(community=community.name)
    chosen = knowledge.digest_stories(session, digest)
    items = [(s, knowledge.author_name(session, s, place)) for s in chosen]
    return channel, header, kb.digest_message(header, items), len(items)


def post_digest(
    session_factory: SessionFactory, sender: Sender, digest_id: int
) -> tuple[int, str | None]:
    """Post a frozen digest to its audience's channel (once); returns (stories, channel)."""
    with unit_of_work(session_factory) as session:
        digest = knowledge.get_digest(session, digest_id)
        community = membership.community_by_id(session, digest.community_id) if digest else None
        if digest is None or community is None:
            return 0, None
        channel, header, blocks, count = _digest_view(session, digest, community)
        key = digest.key
    if not channel or not count:
        return 0, channel
    outcome = sender.deliver(key, channel, text=escape(header), blocks=blocks)
    if outcome.ts:
        with unit_of_work(session_factory) as session:
            digest = knowledge.get_digest(session, digest_id)
            if digest is not None:
                knowledge.record_digest_post(session, digest, channel=channel, ts=outcome.ts)
    return count, channel


def refresh_digest(session_factory: SessionFactory, client: WebClient, digest_id: int) -> None:
    """Post a digest again as it stands after stories left it; deleted when none is left."""
    with unit_of_work(session_factory) as session:
        digest = knowledge.get_digest(session, digest_id)
        community = membership.community_by_id(session, digest.community_id) if digest else None
        if digest is None or community is None or not digest.channel_id or not digest.message_ts:
            return
        _first, header, blocks, count = _digest_view(session, digest, community)
        channel, ts = digest.channel_id, digest.message_ts
    try:
        if count:
            client.chat_update(channel=channel, ts=ts, text=header, blocks=blocks)
            return
        client.chat_delete(channel=channel, ts=ts)
    except SlackApiError as exc:
        log.warning("could not post digest %s again: %s", digest_id, exc.response)
        if count or exc.response.get("error") != "message_not_found":
            return
    with unit_of_work(session_factory) as session:
        digest = knowledge.get_digest(session, digest_id)
        if digest is not None:
            knowledge.digest_taken_down(session, digest)


def take_down(
    session_factory: SessionFactory,
    client: WebClient,
    sender: Sender,
    *,
    posts: list[tuple[str, str]],
    digests: list[int],
) -> None:
    """Stories left a place: delete the posts that carried them (a DM's channel may be given
    as the user id) and post the digests that carried them again without them."""
    for channel, ts in dict.fromkeys(posts):
        try:
            client.chat_delete(channel=sender.resolve_channel(channel), ts=ts)
        except SlackApiError as exc:
            if exc.response.get("error") != "message_not_found":
                log.warning("could not take down post %s in %s: %s", ts, channel, exc.response)
    for digest_id in dict.fromkeys(digests):
        refresh_digest(session_factory, client, digest_id)


def _publication_wanted(session: Any, key: str) -> bool:
    """A post that waited is still wanted if its story is still published and may still go."""
    try:
        publication = knowledge.get_publication(session, int(key.rpartition(":")[2]))
    except (NotFound, ValueError):
        return False
    return publication.status == PublicationStatus.PUBLISHED and knowledge.may_go_to_movement(
        session, publication.story
    )


def publication_released(sender: Sender, key: str, _outcome: Any) -> None:
    """A story's post that waited (Kettle was not in the channel) is out: its author's preview
    becomes "Published" with its withdraw button, and the proposer hears, as when it goes out
    at once."""
    p = prompts.load("knowledge")
    pub_id = int(key.rpartition(":")[2])
    with unit_of_work(sender.session_factory) as session:
        publication = knowledge.get_publication(session, pub_id)
        title, channel = publication.story.title, publication.channel_id or ""
        author, proposer = publication.author_user_id, publication.proposed_by
        text = p["published"].format(title=escape(title), channel=f"<#{channel}>")
        blocks = kb.published_message(text, publication)
        preview = waiting.sent_ts(session, knowledge.message_key(knowledge.PREVIEW, pub_id))
    if preview:
        sender.client.chat_update(
            channel=sender.resolve_channel(author), ts=preview, text=text, blocks=blocks
        )
    if proposer:
        sender.deliver(
            knowledge.message_key(knowledge.TOLD_PUBLISHED, pub_id),
            proposer,
            text=p["told_convenor_published"].format(title=escape(title), channel=f"<#{channel}>"),
        )


def _callout_wanted(session: Any, key: str) -> bool:
    """A call-out that waited is still wanted while it is open."""
    try:
        callout = knowledge.get_callout(session, int(key.rpartition(":")[2]))
    except (NotFound, ValueError):
        return False
    return callout is not None and callout.status == CalloutStatus.OPEN


waiting.on_release(
    knowledge.PUBLICATION_POST, wanted=_publication_wanted, after=publication_released
)
waiting.on_release(knowledge.CALLOUT_POST, wanted=_callout_wanted)


def digest_now(
    session_factory: SessionFactory,
    sender: Sender,
    *,
    community_id: int,
    audience: str,
    key: str,
    user_id: str | None,
    now: datetime,
) -> tuple[int, str | None]:
    with unit_of_work(session_factory) as session:
        digest = knowledge.create_digest(
            session,
            community_id=community_id,
            audience=audience,
            key=key,
            created_by=user_id,
            now=now,
        )
        digest_id = digest.id if digest else None
    if digest_id is None:
        return 0, None
    return post_digest(session_factory, sender, digest_id)


def post_tips(
    session_factory: SessionFactory, sender: Sender, *, community_id: int, key: str
) -> tuple[int, str | None]:
    """The quick-fire tips roundup, in the CoP's channel."""
    with unit_of_work(session_factory) as session:
        community = membership.community_by_id(session, community_id)
        tips = knowledge.tips_for_roundup(session, community_id)
        channel = community.channel_id if community else None
        if not tips or not channel:
            return 0, channel
        header = prompts.load("knowledge")["tips_header"]
        blocks = kb.tips_message(header, tips)
        knowledge.mark_rounded_up(session, tips, key)
        count = len(tips)
    sender.deliver(key, channel, text=header, blocks=blocks)
    return count, channel


def upload_to(
    client: WebClient,
    sender: Sender,
    user_id: str,
    *,
    content: bytes | str,
    filename: str,
    title: str,
    comment: str,
) -> None:
    """Upload a file into someone's DM with Kettle (Slack's external upload flow)."""
    channel = sender.resolve_channel(user_id)
    client.files_upload_v2(
        channel=channel,
        content=content if isinstance(content, bytes) else content.encode("utf-8"),
        filename=filename,
        title=title,
        initial_comment=comment,
    )


def health_settings() -> dict[str, int]:
    return {k: int(v) for k, v in prompts.load("knowledge").get("health", {}).items()}


def send_health(
    session_factory: SessionFactory,
    sender: Sender,
    client: WebClient,
    *,
    community_id: int,
    user_ids: list[str],
    now: datetime,
    key_prefix: str | None = None,
) -> None:
    """The chart and summary to each convenor; with a key prefix, at most once per convenor."""
    if key_prefix is not None:
        with unit_of_work(session_factory) as session:
            sent = knowledge.sent_keys(session, [f"{key_prefix}:{u}" for u in user_ids])
        user_ids = [u for u in user_ids if f"{key_prefix}:{u}" not in sent]
        if not user_ids:
            return
    with unit_of_work(session_factory) as session:
        community = membership.community_by_id(session, community_id)
        if community is None:
            return
        report = knowledge.health_report(session, community, now=now, **health_settings())
    summary = kb.health_summary(report)
    chart = kb.health_chart(report)
    for user_id in user_ids:
        try:
            if key_prefix is not None:
                outcome = sender.deliver(f"{key_prefix}:{user_id}", user_id, text=summary)
                if not outcome.sent:
                    continue
                comment = "The chart for the summary above."
            else:
                comment = summary
            upload_to(
                client,
                sender,
                user_id,
                content=chart,
                filename=f"cop-health-{now:%Y-%m-%d}.png",
                title=f"CoP health {now:%B %Y}",
                comment=comment,
            )
        except Exception:
            log.exception("health report to %s failed", user_id)


def _schedule() -> dict[str, Any]:
    return dict(prompts.load("knowledge").get("schedule", {}))


def due_keys(community_id: int, now: datetime, tz: str) -> dict[str, str]:
    """What is due at `now` in the workspace's time zone: the weekly digest and monthly report."""
    s = _schedule()
    local = now.astimezone(ZoneInfo(tz))
    due: dict[str, str] = {}
    weekday = str(s.get("digest_weekday", "fri")).lower()[:3]
    if (
        weekday in WEEKDAYS
        and local.weekday() == WEEKDAYS.index(weekday)
        and local.hour >= int(s.get("digest_hour", 10))
    ):
        year, week, _ = local.isocalendar()
        due["digest"] = f"digest-weekly:{community_id}:{year}-W{week:02d}"
    if local.day == int(s.get("health_day", 1)) and local.hour >= int(s.get("health_hour", 9)):
        due["health"] = f"health-monthly:{community_id}:{local:%Y-%m}"
    return due


def tick(now: datetime | None = None) -> None:
    """Every 15 minutes: retry unsent digests, post the weekly digest, send the monthly report."""
    rt = runtime.current()
    now = now or utcnow()
    with unit_of_work(rt.session_factory) as session:
        unsent = [(d.id, d.community_id) for d in knowledge.unsent_digests(session)]
        plans = [
            (c.id, c.team_id, membership.convenor_ids(session, c.id))
            for c in membership.communities(session)
        ]
    teams = {community_id: team_id for community_id, team_id, _ in plans}
    for digest_id, community_id in unsent:
        sender = rt.sender_for(teams.get(community_id))
        if sender is None:
            continue  # its workspace no longer has Kettle: said once in the log
        try:
            post_digest(rt.session_factory, sender, digest_id)
        except Exception:
            log.exception("digest %s failed", digest_id)
    for community_id, team_id, convenor_ids in plans:
        due = due_keys(community_id, now, rt.settings.workspace_tz)
        sender = rt.sender_for(team_id) if due else None
        if sender is None:
            continue
        try:
            if "digest" in due:
                digest_now(
                    rt.session_factory,
                    sender,
                    community_id=community_id,
                    audience=knowledge.COP,
                    key=due["digest"],
                    user_id=None,
                    now=now,
                )
            if "health" in due:
                send_health(
                    rt.session_factory,
                    sender,
                    sender.client,
                    community_id=community_id,
                    user_ids=convenor_ids,
                    now=now,
                    key_prefix=due["health"],
                )
        except Exception:
            log.exception("knowledge schedule failed for community %s", community_id)


@setup
def knowledge_jobs(scheduler: BackgroundScheduler) -> None:
    scheduler.add_job(
        "bot.schedules.knowledge:tick",
        trigger="interval",
        minutes=15,
        id="knowledge:tick",
        replace_existing=True,
    )
