"""Profiles: the form, `/cop profile` and the directory (`/cop members`)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot.builders import membership as builders
from bot.builders.ids import MembershipIds
from bot.db import unit_of_work
from bot.errors import InvalidInput, NotFound
from bot.services import membership
from handlers.forms import for_cop, input_values
from handlers.membership.common import question_answers, refresh_homes, say
from handlers.middleware import viewer_of


def open_profile_form(client: WebClient, trigger_id: str, context: BoltContext) -> None:
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        member = membership.viewer_member(session, viewer)
        profile = membership.get_profile(session, member) if member else None
        answers = dict(profile.answers) if profile else {}
        show = bool(profile and profile.show_in_directory)
    view = builders.profile_modal(membership.questions(), answers, show)
    client.views_open(trigger_id=trigger_id, view=for_cop(view, viewer_of(context).community_id))


def on_profile_button(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    ack()
    open_profile_form(client, body["trigger_id"], context)


def on_profile_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    viewer = viewer_of(context)
    values = input_values(view)
    try:
        answers = membership.validate_answers(question_answers(values))
    except InvalidInput as exc:
        ack(response_action="errors", errors=builders.block_errors(exc.field_errors))
        return
    show = MembershipIds.SHOW_YES.value in (values.get(MembershipIds.SHOW) or [])
    with unit_of_work(context["db"]) as session:
        member = membership.viewer_member(session, viewer)
        if member is None:
            raise NotFound()
        membership.save_profile(session, member, answers, show=show)
    ack()
    refresh_homes(client, context["db"], viewer.user_id)


def cop_profile(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    ack()
    open_profile_form(client, body["trigger_id"], context)


def cop_members(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        entries = membership.directory(session, viewer.community_id or 0)
        mix = membership.directory_mix(session, viewer.community_id or 0)
    say(ack, builders.directory_text(entries, mix), builders.directory_blocks(entries, mix))
