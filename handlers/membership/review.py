"""Reviewing applications: the review modal, telling the applicant, `/cop review` and `/cop log`."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

import prompts
from bot import waiting
from bot.builders import membership as builders
from bot.builders.ids import MembershipIds
from bot.db import unit_of_work
from bot.delivery import Sender
from bot.errors import NotFound
from bot.models import ApplicationStatus, Community, utcnow
from bot.services import membership
from bot.slack import fetch_profile
from handlers.forms import for_cop, input_values, metadata
from handlers.membership.common import community_of, refresh_homes, say
from handlers.membership.home import convenor_blocks
from handlers.middleware import viewer_of

log = logging.getLogger(__name__)


def review_view(session: Session, community: Community, application_id: int) -> dict[str, Any]:
    application = membership.get_application(session, community.id, application_id)
    return builders.review_modal(
        application,
        membership.questions(),
        membership.criteria_met(application.answers),
        membership.group_mix(session, community.id, application.answers),
        members=membership.member_count(session, community.id),
        capacity=membership.capacity(community),
    )


def on_review_button(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    ack()
    action = body["actions"][0]
    viewer = viewer_of(context)
    try:
        application_id = int(action.get("value") or 0)
    except ValueError as exc:
        raise NotFound() from exc
    with unit_of_work(context["db"]) as session:
        community = community_of(session, viewer)
        if not membership.get_application(session, community.id, application_id).status.open:
            raise membership.AlreadyDecided()
        view = review_view(session, community, application_id)
    client.views_open(
        trigger_id=body["trigger_id"], view=for_cop(view, viewer_of(context).community_id)
    )


def on_review_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    viewer = viewer_of(context)
    values = input_values(view)
    choice = values.get(MembershipIds.DECISION) or ""
    reason = (values.get(MembershipIds.REASON) or "").strip()
    if choice == ApplicationStatus.DECLINED.value and not reason:
        ack(
            response_action="errors",
            errors={MembershipIds.REASON: "Please say why; the applicant will read it."},
        )
        return
    if choice not in builders.DECISION_LABELS:
        ack(response_action="errors", errors={MembershipIds.DECISION: "Please choose."})
        return
    meta = metadata(view)
    application_id = int(meta.get("application_id", 0))
    # The status the convenor saw: a decision made by someone else since then is theirs to see.
    try:
        expected: ApplicationStatus | None = ApplicationStatus(str(meta.get("status")))
    except ValueError:
        expected = None
    session_factory = context["db"]
    with unit_of_work(session_factory) as session:
        community = community_of(session, viewer)
        application = membership.get_application(session, community.id, application_id)
        if not application.status.open or (expected and application.status != expected):
            already = membership.AlreadyDecided.by(application).user_message
            ack(response_action="errors", errors={MembershipIds.DECISION: already})
            return
        applicant = application.user_id
    ack()
    profile = fetch_profile(client, applicant)
    with unit_of_work(session_factory) as session:
        community = community_of(session, viewer)
        application = membership.get_application(session, community.id, application_id)
        actor = membership.get_member(session, community.id, viewer.user_id)
        outcome = membership.decide(
            session,
            community,
            application,
            status=ApplicationStatus(choice),
            reason=reason,
            actor=actor,  # type: ignore[arg-type]
            profile=profile,
            now=utcnow(),
            expected=expected,
        )
        community_name, channel = community.name, community.channel_id
        community_id = community.id
        convenor_ids = membership.convenor_ids(session, community.id)
    tell_outcome(
        context["sender"],
        client,
        outcome,
        applicant,
        community_name,
        channel,
        community_id=community_id,
    )
    if outcome.full:
        client.chat_postMessage(
            channel=viewer.user_id,
            text="The group is full, so the applicant went on the waitlist instead. "
            "Raise the capacity with `/cop capacity N` to make room.",
        )
    refresh_homes(client, session_factory, applicant, *convenor_ids)


def tell_outcome(
    sender: Sender,
    client: WebClient,
    outcome: membership.DecisionOutcome,
    user_id: str,
    community_name: str,
    channel: str | None,
    *,
    community_id: int | None = None,
) -> None:
    """Tell the applicant, with the reason; on approval invite them and welcome them."""
    p = prompts.load("membership")
    status = outcome.status.value
    if outcome.status == ApplicationStatus.APPROVED and channel:
        try:
            client.conversations_invite(channel=channel, users=user_id)
        except SlackApiError as exc:
            if exc.response.get("error") != "already_in_channel":
                log.warning("could not invite %s to %s: %s", user_id, channel, exc.response)
            refused = waiting.mendable(exc)
            if refused and community_id is not None:
                # A guest, a deactivated account, Kettle not in its channel: the convenors hear
                # what stops it and how to mend it (and invite them by hand).
                waiting.tell_convenors(
                    sender,
                    sender.session_factory,
                    waiting.Waiting(f"invite:{outcome.application_id}", user_id, refused),
                    community_id=community_id,
                    what="",
                    channel=channel,
                )
    sender.deliver(
        f"application-outcome:{outcome.application_id}:{status}",
        user_id,
        text=builders.with_reason(p[status], community_name, outcome.reason),
    )
    if outcome.status == ApplicationStatus.APPROVED:
        sender.deliver(
            f"welcome:{outcome.application_id}",
            user_id,
            text=builders.welcome_text(community_name, channel),
        )


def cop_review(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        community = community_of(session, viewer)
        blocks = convenor_blocks(session, community)
    say(ack, "Applications", blocks[:50])


def cop_log(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        decisions = membership.decision_log(session, viewer.community_id or 0)
        text = builders.log_text(decisions)
    say(ack, text)
