"""`/round` words (ai, als, guide, list, invites) and opting out of invitations."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot.builders import rounds as builders
from bot.db import unit_of_work
from bot.errors import NotAMember
from bot.models import utcnow
from bot.services import membership
from bot.services import rounds as svc
from handlers.forms import for_cop
from handlers.middleware import tell, viewer_of

SetupForm = Callable[..., dict[str, Any]]  # a set-up modal for `channel_id`


def cop_channel(context: BoltContext) -> str | None:
    """The private channel of the viewer's own CoP: the only place its rounds run."""
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        community = membership.community_by_id(session, viewer.community_id or 0)
        return community.channel_id if community is not None else None


def _open_setup(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, form: SetupForm
) -> None:
    """Open a set-up form for the CoP's own channel, or say why a round can't run here."""
    channel = cop_channel(context)
    if not channel:
        ack(response_type="ephemeral", text=svc.prompts_()["messages"]["no_channel"])
        return
    ack()
    view = for_cop(form(channel_id=channel), viewer_of(context).community_id)
    client.views_open(trigger_id=body["trigger_id"], view=view)


def on_ai(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    """The AI set-up form: over days unless one of the CoP's meetings is under way now."""
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        mode = svc.default_mode(session, viewer.community_id or 0, utcnow())
    _open_setup(ack, body, client, context, partial(builders.ai_modal, topic=args, mode=mode))


def on_als(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    _open_setup(ack, body, client, context, partial(builders.als_modal, presenter=body["user_id"]))


def on_guide(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    guides = svc.prompts_()["guides"]
    word = args.strip().lower()
    text = guides.get(word) or "Which guide? `/round guide ai` or `/round guide als`."
    ack(response_type="ephemeral", text=text)


def on_list(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        lines = svc.list_rounds(session, viewer.community_id or 0)
    ack(response_type="ephemeral", text=builders.round_list(lines))


def on_invites(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    """`on` or `off` changes the choice; anything else only says what it is, so that asking
    never undoes a "no more invitations"."""
    word = args.strip().lower()
    messages = svc.prompts_()["messages"]
    if word in ("on", "off"):
        set_invites(context, word == "on")
        ack(response_type="ephemeral", text=messages["opted_in" if word == "on" else "opted_out"])
        return
    wanted = set_invites(context, None)
    ack(response_type="ephemeral", text=messages["invites_on" if wanted else "invites_off"])


def set_invites(context: BoltContext, wanted: bool | None) -> bool:
    """Change the viewer's choice (None leaves it); returns whether they now want invitations."""
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        member = membership.viewer_member(session, viewer)
        if member is None:
            raise NotAMember()
        if wanted is not None:
            svc.set_invitations(session, member, wanted=wanted)
        return svc.wants_invitations(session, member.id)


def on_opt_out(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    set_invites(context, False)
    tell(body, client, context, svc.prompts_()["messages"]["opted_out"])
