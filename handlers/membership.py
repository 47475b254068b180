"""Curating the group: applying, reviewing, profiles, leaving, forgetting, and keeping the CoP
channel in step with membership."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

import prompts
from bot.builders import membership as builders
from bot.builders.ids import MembershipIds
from bot.db import SessionFactory, unit_of_work
from bot.delivery import Sender
from bot.errors import InvalidInput, KettleError, NotFound
from bot.models import ApplicationStatus, Community, Story, utcnow
from bot.services import membership
from bot.services.membership import Viewer
from bot.slack import fetch_profile
from bot.text import escape
from handlers import home, registry
from handlers.middleware import convenors_only, members_only, tell, viewer_of

log = logging.getLogger(__name__)


def _values(view: dict[str, Any]) -> dict[str, Any]:
    """Each input block's value by block id (selected option value, text, or list of options)."""
    out: dict[str, Any] = {}
    for block_id, elements in (view.get("state") or {}).get("values", {}).items():
        state = elements.get(MembershipIds.INPUT) or {}
        if "selected_option" in state:
            out[block_id] = (state.get("selected_option") or {}).get("value")
        elif "selected_options" in state:
            out[block_id] = [o.get("value") for o in state.get("selected_options") or []]
        else:
            out[block_id] = state.get("value")
    return out


def _answers(values: dict[str, Any]) -> dict[str, Any]:
    prefix = MembershipIds.QUESTION_PREFIX.value
    return {k[len(prefix) :]: v for k, v in values.items() if k.startswith(prefix)}


def _community(session: Session, viewer: Viewer) -> Community:
    community = membership.community_by_id(session, viewer.community_id or 0)
    if community is None:
        raise NotFound("Kettle isn't set up for a Community of Practice yet.")
    return community


def _kick(client: WebClient, channel: str | None, user_id: str) -> None:
    if not channel:
        return
    try:
        client.conversations_kick(channel=channel, user=user_id)
    except SlackApiError as exc:
        if exc.response.get("error") != "not_in_channel":
            log.warning("could not remove %s from %s: %s", user_id, channel, exc.response)


def _refresh_homes(client: WebClient, session_factory: SessionFactory, *users: str) -> None:
    for user_id in dict.fromkeys(users):
        try:
            home.publish_home(client, session_factory, user_id)
        except SlackApiError:
            log.exception("could not publish the home of %s", user_id)


def _convenor_ids(session_factory: SessionFactory, community_id: int) -> list[str]:
    with unit_of_work(session_factory) as session:
        return [m.user_id for m in membership.convenors(session, community_id)]


# -- applying ------------------------------------------------------------------------------------


def open_apply_form(client: WebClient, trigger_id: str, context: BoltContext) -> None:
    """Open the form, unless they're already a member or waiting (refused before the ack)."""
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        community = _community(session, viewer)
        membership.check_may_apply(session, community, viewer.user_id)
        view = builders.apply_modal(community.name, membership.questions(), membership.criteria())
    client.views_open(trigger_id=trigger_id, view=view)


def on_apply_button(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    ack()
    open_apply_form(client, body["trigger_id"], context)


def on_apply_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    viewer = viewer_of(context)
    values = _values(view)
    agreed = MembershipIds.NORMS_YES.value in (values.get(MembershipIds.NORMS) or [])
    errors: dict[str, str] = {} if agreed else {"norms": "Please accept the norms to join."}
    try:
        answers = membership.validate_answers(_answers(values))
    except InvalidInput as exc:
        errors.update(exc.field_errors)
    if errors:
        ack(response_action="errors", errors=builders.block_errors(errors))
        return
    profile = fetch_profile(client, viewer.user_id)
    session_factory = context["db"]
    with unit_of_work(session_factory) as session:
        community = _community(session, viewer)
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
    convenor_ids = _convenor_ids(session_factory, community_id)
    for convenor in convenor_ids:
        sender.deliver(
            f"application-new:{app_id}:{convenor}",
            convenor,
            text=p["convenor_new_application"].format(
                community=escape(community_name), applicant=f"<@{viewer.user_id}> ({escape(name)})"
            ),
        )
    _refresh_homes(client, session_factory, viewer.user_id, *convenor_ids)


# -- reviewing -----------------------------------------------------------------------------------


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
        view = review_view(session, _community(session, viewer), application_id)
    client.views_open(trigger_id=body["trigger_id"], view=view)


def on_review_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    viewer = viewer_of(context)
    values = _values(view)
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
    application_id = int(json.loads(view.get("private_metadata") or "{}").get("application_id", 0))
    session_factory = context["db"]
    with unit_of_work(session_factory) as session:
        community = _community(session, viewer)
        application = membership.get_application(session, community.id, application_id)
        if not application.status.open:
            ack(
                response_action="errors",
                errors={MembershipIds.DECISION: "Another convenor has already decided."},
            )
            return
        applicant = application.user_id
    ack()
    profile = fetch_profile(client, applicant)
    with unit_of_work(session_factory) as session:
        community = _community(session, viewer)
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
        )
        community_name, channel = community.name, community.channel_id
        convenor_ids = [m.user_id for m in membership.convenors(session, community.id)]
    tell_outcome(context["sender"], client, outcome, applicant, community_name, channel)
    if outcome.full:
        client.chat_postMessage(
            channel=viewer.user_id,
            text="The group is full, so the applicant went on the waitlist instead. "
            "Raise the capacity with `/cop capacity N` to make room.",
        )
    _refresh_homes(client, session_factory, applicant, *convenor_ids)


def tell_outcome(
    sender: Sender,
    client: WebClient,
    outcome: membership.DecisionOutcome,
    user_id: str,
    community_name: str,
    channel: str | None,
) -> None:
    """Tell the applicant, with the reason; on approval invite them and welcome them."""
    p = prompts.load("membership")
    status = outcome.status.value
    reason = f"\n\n_{escape(outcome.reason)}_" if outcome.reason else ""
    if outcome.status == ApplicationStatus.APPROVED and channel:
        try:
            client.conversations_invite(channel=channel, users=user_id)
        except SlackApiError as exc:
            if exc.response.get("error") != "already_in_channel":
                log.warning("could not invite %s to %s: %s", user_id, channel, exc.response)
    sender.deliver(
        f"application-outcome:{outcome.application_id}:{status}",
        user_id,
        text=p[status].format(community=escape(community_name), reason=reason),
    )
    if outcome.status == ApplicationStatus.APPROVED:
        sender.deliver(
            f"welcome:{outcome.application_id}",
            user_id,
            text=builders.welcome_text(community_name, channel),
        )


# -- profile -------------------------------------------------------------------------------------


def open_profile_form(client: WebClient, trigger_id: str, context: BoltContext) -> None:
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        member = membership.get_member(session, viewer.community_id or 0, viewer.user_id)
        profile = membership.get_profile(session, member) if member else None
        answers = dict(profile.answers) if profile else {}
        show = bool(profile and profile.show_in_directory)
    view = builders.profile_modal(membership.questions(), answers, show)
    client.views_open(trigger_id=trigger_id, view=view)


def on_profile_button(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    ack()
    open_profile_form(client, body["trigger_id"], context)


def on_profile_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    viewer = viewer_of(context)
    values = _values(view)
    try:
        answers = membership.validate_answers(_answers(values))
    except InvalidInput as exc:
        ack(response_action="errors", errors=builders.block_errors(exc.field_errors))
        return
    show = MembershipIds.SHOW_YES.value in (values.get(MembershipIds.SHOW) or [])
    with unit_of_work(context["db"]) as session:
        member = membership.get_member(session, viewer.community_id or 0, viewer.user_id)
        if member is None:
            raise NotFound()
        membership.save_profile(session, member, answers, show=show)
    ack()
    _refresh_homes(client, context["db"], viewer.user_id)


# -- leaving and forgetting ----------------------------------------------------------------------


def on_leave_button(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    ack()
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        community = _community(session, viewer)
        member = membership.get_member(session, community.id, viewer.user_id)
        if member is None:
            raise NotFound()
        membership.leave(session, community, member, now=utcnow())
        channel, name = community.channel_id, community.name
    _kick(client, channel, viewer.user_id)
    tell(body, client, context, prompts.load("membership")["left"].format(community=escape(name)))
    _refresh_homes(client, context["db"], viewer.user_id)


def _forget(keep: bool) -> Any:
    def on_forget(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        """Only ever forgets the person who pressed the button (Slack signs who that is)."""
        ack()
        viewer = viewer_of(context)
        with unit_of_work(context["db"]) as session:
            community = _community(session, viewer)
            was_member = viewer.is_member
            result = membership.forget(
                session, community, viewer.user_id, keep_stories=keep, now=utcnow()
            )
            channel = community.channel_id
        for post_channel, ts in result.deleted_story_posts:
            try:
                client.chat_delete(channel=post_channel, ts=ts)
            except SlackApiError:
                log.warning("could not take down a forgotten story's post %s", ts)
        if was_member:
            _kick(client, channel, viewer.user_id)
        stories = (
            f" {result.stories_kept} stories stay in the library without your name."
            if keep
            else f" {result.stories_deleted} stories were deleted."
        )
        tell(body, client, context, "Done: Kettle has forgotten you." + stories)
        _refresh_homes(client, context["db"], viewer.user_id)

    on_forget.__name__ = f"on_forget_{'keep' if keep else 'delete'}"
    return on_forget


def story_count(session: Session, community_id: int, user_id: str) -> int:
    member = membership.get_member(session, community_id, user_id)
    if member is None:
        return 0
    from sqlalchemy import func, select

    return session.scalar(select(func.count()).where(Story.author_id == member.id)) or 0


# -- the CoP channel and the App Home -------------------------------------------------------------


def on_member_joined(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """Before anyone applies, joining the channel makes a member; after, only approval does."""
    session_factory = context["db"]
    user_id = event["user"]
    with unit_of_work(session_factory) as session:
        community = membership.community_for_channel(session, event.get("channel"))
        if community is None:
            return
    profile = fetch_profile(client, user_id)
    if profile.is_bot:
        return
    with unit_of_work(session_factory) as session:
        community = membership.community_for_channel(session, event.get("channel"))
        if community is None:
            return
        member = membership.get_member(session, community.id, user_id)
        if (member is not None and member.is_active) or not membership.is_curated(community):
            membership.admit(session, community, profile)
            unapproved = False
        else:
            pending = membership.record_unapproved_join(
                session, community, user_id, profile.name, now=utcnow()
            )
            unapproved = True
            community_id, name, channel = community.id, community.name, community.channel_id
    if unapproved:
        note = " They have an application waiting." if pending else " They haven't applied."
        text = prompts.load("membership")["unapproved_join"].format(
            person=f"<@{user_id}> ({escape(profile.name)})",
            channel=channel,
            community=escape(name),
            application=note,
        )
        key = f"unapproved-join:{community_id}:{user_id}:{event.get('event_ts', '')}"
        for convenor in _convenor_ids(session_factory, community_id):
            context["sender"].deliver(f"{key}:{convenor}", convenor, text=text)
    home.publish_home(client, session_factory, user_id)


def on_member_left(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    session_factory = context["db"]
    with unit_of_work(session_factory) as session:
        community = membership.community_for_channel(session, event.get("channel"))
        if community is None:
            return
        membership.left_channel(session, community, event["user"], now=utcnow())
    home.publish_home(client, session_factory, event["user"])


def membership_home_section(session: Session, viewer: Viewer) -> list[dict[str, Any]]:
    community = _community(session, viewer)
    member = membership.get_member(session, community.id, viewer.user_id)
    has_profile = member is not None and membership.get_profile(session, member) is not None
    members = len(membership.active_members(session, community.id))
    blocks = builders.member_section(
        membership.group_mix(session, community.id), members, has_profile
    )
    if viewer.is_convenor:
        blocks = convenor_blocks(session, community) + blocks
    return blocks


def convenor_blocks(session: Session, community: Community) -> list[dict[str, Any]]:
    open_apps = membership.open_applications(session, community.id)
    cards = [application_card(session, community, a) for a in open_apps]
    return builders.convenor_section(
        cards,
        waiting=len(open_apps),
        members=membership.member_count(session, community.id),
        capacity=membership.capacity(community),
    )


def application_card(session: Session, community: Community, application: Any) -> list[dict]:
    met = membership.criteria_met(application.answers)
    checkable = [ok for _c, ok in met if ok is not None]
    met_text = f"meets {sum(1 for ok in checkable if ok)} of {len(checkable)} criteria"
    mix = membership.group_mix(session, community.id, application.answers)
    return builders.application_card(application, mix, met_text)


def outsider_home_section(session: Session, viewer: Viewer) -> list[dict[str, Any]]:
    if not viewer.community_id:
        return []
    return builders.outsider_section(
        membership.open_application(session, viewer.community_id, viewer.user_id)
    )


def register(app: App) -> None:
    registry.event(app, "member_joined_channel", on_member_joined)
    registry.event(app, "member_left_channel", on_member_left)
    app.action(MembershipIds.APPLY_BUTTON)(on_apply_button)
    app.view(MembershipIds.APPLY_MODAL)(on_apply_submitted)
    app.action(MembershipIds.REVIEW_BUTTON, middleware=[convenors_only])(on_review_button)
    app.view(MembershipIds.REVIEW_MODAL, middleware=[convenors_only])(on_review_submitted)
    app.action(MembershipIds.PROFILE_BUTTON, middleware=[members_only])(on_profile_button)
    app.view(MembershipIds.PROFILE_MODAL, middleware=[members_only])(on_profile_submitted)
    app.action(MembershipIds.LEAVE_BUTTON, middleware=[members_only])(on_leave_button)
    app.action(MembershipIds.FORGET_DELETE_BUTTON)(_forget(keep=False))
    app.action(MembershipIds.FORGET_KEEP_BUTTON)(_forget(keep=True))
    home.add_section(10, "membership", membership_home_section)
    home.add_outsider_section("membership", outsider_home_section)
    from handlers import cop

    cop.register(app)


__all__ = ["KettleError", "register"]
