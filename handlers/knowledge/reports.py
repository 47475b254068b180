"""What convenors send out of the library: the digest, a blog draft, the CoP's health."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot.db import unit_of_work
from bot.models import utcnow
from bot.schedules import knowledge as sends
from bot.services import knowledge, membership
from handlers.knowledge.story import prompts_
from handlers.middleware import tell, viewer_of


def cop_digest(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    """`/cop digest` to the CoP; `/cop digest movement` to the movement, consent permitting."""
    ack()
    viewer = viewer_of(context)
    audience = knowledge.MOVEMENT if args.strip().lower().startswith("movement") else knowledge.COP
    count, channel = sends.digest_now(
        context["db"],
        context["sender"],
        community_id=viewer.community_id or 0,
        audience=audience,
        key=f"digest:{viewer.community_id}:{audience}:{body.get('trigger_id')}",
        user_id=viewer.user_id,
        now=utcnow(),
    )
    p = prompts_()
    if not count:
        empty = p["digest_movement_empty"] if audience == knowledge.MOVEMENT else p["digest_empty"]
        tell(body, client, context, empty)
    else:
        tell(body, client, context, p["digest_posted"].format(count=count, channel=f"<#{channel}>"))


def cop_blog(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    """A Markdown blog draft of the picked stories, uploaded to the convenor as a file."""
    ack()
    viewer = viewer_of(context)
    p = prompts_()
    with unit_of_work(context["db"]) as session:
        community = membership.community_by_id(session, viewer.community_id or 0)
        if community is None:
            return
        draft = knowledge.blog_draft(session, community, now=utcnow())
    kept = p["blog_kept"].format(count=draft.kept_in_cop) if draft.kept_in_cop else ""
    sends.upload_to(
        client,
        context["sender"],
        viewer.user_id,
        content=draft.markdown,
        filename=draft.filename,
        title="Blog draft",
        comment=p["blog_comment"].format(count=draft.included, kept=kept),
    )


def cop_health(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    ack(
        response_type="ephemeral",
        text="Working out the CoP's health; the chart will arrive in our DM.",
    )
    viewer = viewer_of(context)
    sends.send_health(
        context["db"],
        context["sender"],
        client,
        community_id=viewer.community_id or 0,
        user_ids=[viewer.user_id],
        now=utcnow(),
    )
