"""Applying: the Apply button, `/cop join`, the form and `/cop norms`."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

import prompts
from bot.builders import membership as builders
from bot.builders.ids import MembershipIds
from bot.db import unit_of_work
from bot.delivery import Sender
from bot.errors import InvalidInput
from bot.models import utcnow
from bot.services import membership
from bot.slack import fetch_profile
from bot.text import escape
from handlers.forms import for_cop, input_values
from handlers.membership.common import (
    community_of,
    convenor_ids,
    question_answers,
    refresh_homes,
    say,
)
from handlers.middleware import viewer_of


def open_apply_form(client: WebClient, trigger_id: str, context: BoltContext) -> None:
    """Open the form, unless they're already a member or waiting (refused before the ack)."""
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        community = community_of(session, viewer)
        membership.check_may_apply(session, community, viewer.user_id)
        view = builders.apply_modal(community.name, membership.questions(), membership.criteria())
    client.views_open(trigger_id=trigger_id, view=for_cop(view, viewer_of(context).community_id))


def on_apply_button(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    ack()
    open_apply_form(client, body["trigger_id"], context)


def on_apply_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    viewer = viewer_of(context)
    values = input_values(view)
    agreed = MembershipIds.NORMS_YES.value in (values.get(MembershipIds.NORMS) or [])
    errors: dict[str, str] = {} if agreed else {"norms": "Please accept the norms to join."}
    try:
        answers = membership.validate_answers(question_answers(values))
    except InvalidInput as exc:
        errors.update(exc.field_errors)
    if errors:
        ack(response_action="errors", errors=builders.block_errors(errors))
        return
    profile = fetch_profile(client, viewer.user_id)
    session_factory = context["db"]
    with unit_of_work(session_factory) as session:
        community = community_of(session, viewer)
        application, created = membership.submit_application(
            session,
            community,
            user_id=viewer.user_id,
            name=profile.name,
            answers=answers,
            agreed_norms=agreed,
            source_key=f"view:{view['id']}",
            now=utcnow(),
        )
        app_id, name, community_name = application.id, application.name, community.name
        community_id = community.id
    ack()
    if not created:
        return
    p = prompts.load("membership")
    sender: Sender = context["sender"]
    sender.deliver(
        f"application-received:{app_id}",
        viewer.user_id,
        text=p["received"].format(community=escape(community_name)),
    )
    convenors = convenor_ids(session_factory, community_id)
    for convenor in convenors:
        sender.deliver(
            f"application-new:{app_id}:{convenor}",
            convenor,
            text=p["convenor_new_application"].format(
                community=escape(community_name), applicant=f"<@{viewer.user_id}> ({escape(name)})"
            ),
        )
    refresh_homes(client, session_factory, viewer.user_id, *convenors)


def cop_join(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    open_apply_form(client, body["trigger_id"], context)
    ack()


def cop_norms(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    text = (
        f"*Our norms*\n{builders.norms_text()}\n\n{builders.criteria_text(membership.criteria())}"
    )
    say(ack, text)
