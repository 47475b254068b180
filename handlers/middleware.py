"""Cross-cutting listener work: drop Slack's retries, resolve the viewer, gate by membership/role."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import partial
from typing import Any, cast

from slack_bolt import BoltContext, BoltResponse
from slack_sdk import WebClient
from sqlalchemy import Table
from sqlalchemy.orm import Session

from bot.builders.common import community_of_block, notice_modal
from bot.builders.ids import CommunityIds
from bot.db import SessionFactory, autocommitted, insert_once, read_connection, unit_of_work
from bot.errors import KettleError, NotAConvenor, NotAMember
from bot.models import ProcessedRequest
from bot.services import membership
from bot.services.membership import Viewer
from bot.text import escape

log = logging.getLogger(__name__)


_PROCESSED = cast(Table, ProcessedRequest.__table__)
# Returns the key only where this delivery of the event is the first.
_FIRST_DELIVERY = insert_once(_PROCESSED, "key", returning=[_PROCESSED.c.key])


def make_dedupe(session_factory: SessionFactory) -> Callable[..., Any]:
    """An event Slack retries (same event_id) is handled once, whichever replica gets it."""

    def dedupe_events(body: dict[str, Any], next: Callable[[], None]) -> BoltResponse | None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if not event_id:
            return next()  # type: ignore[func-returns-value]
        # Every first delivery is recorded (a retry may reach another replica): one statement,
        # which returns the key only where this delivery is the first.
        with autocommitted(session_factory) as session:
            stored = session.execute(
                _FIRST_DELIVERY[session.get_bind().dialect.name], {"key": f"event:{event_id}"}
            ).first()
        if stored is None:
            log.info("dropping repeated delivery of event %s", event_id)
            return BoltResponse(status=200, body="")
        return next()  # type: ignore[func-returns-value]

    return dedupe_events


def _channel_of(body: dict[str, Any], context: BoltContext) -> str | None:
    if context.channel_id:
        return context.channel_id
    event = body.get("event") or {}
    return event.get("channel")


def community_hint(body: dict[str, Any]) -> int | None:
    """The community a request names itself, if it does: the CoP chosen in a form's "which
    CoP?" select, a modal's private_metadata, or the CoP's part of a surface a button is in."""
    view = body.get("view") or {}
    chosen = (((view.get("state") or {}).get("values") or {}).get(CommunityIds.CHOICE) or {}).get(
        "value"
    ) or {}
    picked = (chosen.get("selected_option") or {}).get("value")
    if isinstance(picked, str) and picked.isdigit():
        return int(picked)
    for action in body.get("actions") or []:
        marked = community_of_block(action.get("block_id"))
        if marked is not None:
            return marked
    if view.get("type") == "modal":
        try:
            data = json.loads(view.get("private_metadata") or "{}")
        except ValueError:
            data = {}
        named = data.get("community_id") if isinstance(data, dict) else None
        if isinstance(named, int) and named > 0:
            return named
    return None


def make_viewer_loader(
    session_factory: SessionFactory, *, by_team: bool = False
) -> Callable[..., Any]:
    """Resolve the community and the person behind every request once, into `context`.

    `by_team` (several workspaces): only the request's own workspace's communities count, and
    what the request queues in the outbox is sent with that workspace's token."""

    def load_viewer(body: dict[str, Any], context: BoltContext, next: Callable[[], None]) -> None:
        team_id = context.team_id if by_team else None
        factory: SessionFactory = session_factory
        if team_id:
            # A sessionmaker's sessions take `info`; `delivery.queue` reads the team from it.
            factory = partial(cast(Any, session_factory), info={"team_id": team_id})
        context["db"] = factory
        user_id = context.user_id
        if user_id:
            # One statement, on every request before its ack (bot/services/membership/viewers.py).
            with read_connection(session_factory) as connection:
                context["viewer"] = membership.request_viewer(
                    connection,
                    user_id=user_id,
                    channel_id=_channel_of(body, context),
                    community_id=community_hint(body),
                    team_id=context.team_id,
                    by_team=by_team,
                )
        else:
            context["viewer"] = None
        next()

    return load_viewer


def viewer_of(context: BoltContext) -> Viewer:
    viewer = context.get("viewer")
    if not isinstance(viewer, Viewer):
        raise NotAMember()
    return viewer


def refusal(
    error: KettleError, body: dict[str, Any], client: WebClient, context: BoltContext
) -> BoltResponse:
    """Answer a refused request on the surface it came from, instead of running the listener."""
    kind = body.get("type")
    if kind == "view_submission":
        view = notice_modal("Kettle", error.user_message)
        payload = {"response_action": "update", "view": view}
        return BoltResponse(
            status=200, body=json.dumps(payload), headers={"content-type": "application/json"}
        )
    if body.get("command"):
        payload = {"response_type": "ephemeral", "text": error.user_message}
        return BoltResponse(
            status=200, body=json.dumps(payload), headers={"content-type": "application/json"}
        )
    if kind in ("block_actions", "shortcut", "message_action", "block_suggestion"):
        tell(body, client, context, error.user_message)
    return BoltResponse(status=200, body="")


def tell(body: dict[str, Any], client: WebClient, context: BoltContext, text: str) -> None:
    """Say something privately to the person behind a request, wherever they are."""
    user_id = context.user_id
    if not user_id:
        return
    response_url = body.get("response_url")
    try:
        if response_url:
            from slack_sdk.webhook import WebhookClient

            WebhookClient(response_url).send(
                text=text, response_type="ephemeral", replace_original=False
            )
            return
        channel = context.channel_id
        if channel and not channel.startswith("D"):
            client.chat_postEphemeral(channel=channel, user=user_id, text=text)
        else:
            client.chat_postMessage(channel=user_id, text=text)
    except Exception:
        log.exception("could not tell %s: %s", user_id, text)


def workspace_users(
    body: dict[str, Any], context: BoltContext, next: Callable[[], None]
) -> BoltResponse | None:
    """For what reaches beyond the CoP (answering a call-out, approving one's own story): anyone
    in the workspace may press; the service decides what their press may change."""
    if context.user_id:
        return next()  # type: ignore[func-returns-value]
    return BoltResponse(status=200, body="")


def members_only(
    body: dict[str, Any], client: WebClient, context: BoltContext, next: Callable[[], None]
) -> BoltResponse | None:
    viewer = context.get("viewer")
    if isinstance(viewer, Viewer) and viewer.is_member:
        return next()  # type: ignore[func-returns-value]
    return refusal(_not_a_member(context), body, client, context)


def members_or_choosing(
    body: dict[str, Any], client: WebClient, context: BoltContext, next: Callable[[], None]
) -> BoltResponse | None:
    """Members, and someone in several CoPs whose request cannot say which: the listener asks
    them to choose (the story form's "which CoP?")."""
    viewer = context.get("viewer")
    if isinstance(viewer, Viewer) and viewer.undecided:
        with unit_of_work(context["db"]) as session:
            several = len(membership.communities_of(session, viewer.user_id)) > 1
        if several:
            return next()  # type: ignore[func-returns-value]
    return members_only(body, client, context, next)


def convenors_only(
    body: dict[str, Any], client: WebClient, context: BoltContext, next: Callable[[], None]
) -> BoltResponse | None:
    viewer = context.get("viewer")
    if isinstance(viewer, Viewer) and viewer.is_convenor:
        return next()  # type: ignore[func-returns-value]
    if isinstance(viewer, Viewer) and viewer.is_member:
        return refusal(NotAConvenor(), body, client, context)
    return refusal(_not_a_member(context), body, client, context)


def which_community(context: BoltContext) -> KettleError:
    """A request that could be for more than one CoP: say which there are and how to choose."""
    viewer = context.get("viewer")
    session_factory = context.get("db")
    if session_factory is None or not isinstance(viewer, Viewer):
        return NotAMember()
    with unit_of_work(session_factory) as session:
        return ask_which(session, viewer)


def ask_which(session: Session, viewer: Viewer) -> KettleError:
    """The question put to someone whose request could be for any of `viewer.choices`."""
    import prompts

    names = []
    for community_id in viewer.choices:
        community = membership.community_by_id(session, community_id)
        if community is not None:
            names.append(f"*{escape(community.name)}*")
    mine = bool(membership.communities_of(session, viewer.user_id))
    key = "which_cop_member" if mine else "which_cop_outsider"
    return KettleError(prompts.load("kettle")[key].format(communities=", ".join(names)))


def _not_a_member(context: BoltContext) -> KettleError:
    import prompts

    session_factory = context.get("db")
    viewer = context.get("viewer")
    if isinstance(viewer, Viewer) and viewer.undecided:
        return which_community(context)
    names = ""
    if session_factory is not None and isinstance(viewer, Viewer) and viewer.community_id:
        with unit_of_work(session_factory) as session:
            ids = membership.convenor_ids(session, viewer.community_id)
        if ids:
            names = " (" + ", ".join(f"<@{u}>" for u in ids) + ")"
    return NotAMember(prompts.load("kettle")["not_a_member"].format(convenors=names))
