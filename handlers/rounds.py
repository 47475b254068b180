"""/round: set up appreciative-inquiry rounds and action-learning sets, steer them, take part."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.builders import rounds as builders
from bot.builders.ids import Command, RoundIds
from bot.db import unit_of_work
from bot.errors import InvalidInput, NotAMember, NotFound
from bot.models import Round, RoundCommitment, RoundKind, RoundStatus, utcnow
from bot.schedules import rounds as runner
from bot.services import membership
from bot.services import rounds as svc
from bot.services.membership import Viewer
from bot.text import escape
from handlers import home, registry
from handlers.middleware import convenors_only, members_only, tell, viewer_of

log = logging.getLogger(__name__)

USAGE = {
    "ai": "<topic>: start an appreciative-inquiry round",
    "als": ": set up an action-learning set",
    "guide": "ai|als: how the technique works",
    "list": ": recent rounds",
    "invites": "on|off: private invitations to join in",
}


def _state(values: dict[str, Any], block_id: str) -> dict[str, Any]:
    return dict((values.get(block_id) or {}).get(RoundIds.INPUT) or {})


def _minutes(values: dict[str, Any], block_id: str) -> int:
    raw = _state(values, block_id).get("value")
    try:
        minutes = int(str(raw).strip())
    except (TypeError, ValueError) as exc:
        raise InvalidInput("Minutes", {block_id: "A whole number of minutes."}) from exc
    if not 0 <= minutes <= svc.MAX_PHASE_MINUTES:
        raise InvalidInput("Minutes", {block_id: "Between 0 and 1440 minutes."})
    return minutes


def _cop_channel(context: BoltContext) -> str | None:
    return context["settings"].cop_channel


# -- /round words --------------------------------------------------------------------------


def on_ai(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    ack()
    view = builders.ai_modal(topic=args, channel_id=_cop_channel(context))
    client.views_open(trigger_id=body["trigger_id"], view=view)


def on_als(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    ack()
    view = builders.als_modal(presenter=body["user_id"], channel_id=_cop_channel(context))
    client.views_open(trigger_id=body["trigger_id"], view=view)


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
    wanted = args.strip().lower() != "off"
    _set_invites(context, wanted)
    messages = svc.prompts_()["messages"]
    ack(response_type="ephemeral", text=messages["opted_in" if wanted else "opted_out"])


def _set_invites(context: BoltContext, wanted: bool) -> None:
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        member = membership.get_member(session, viewer.community_id or 0, viewer.user_id)
        if member is None:
            raise NotAMember()
        svc.set_invitations(session, member, wanted=wanted)


# -- set-up forms --------------------------------------------------------------------------


def on_ai_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    viewer = viewer_of(context)
    values = view["state"]["values"]
    try:
        minutes = _minutes(values, RoundIds.MINUTES)
        channel = _state(values, RoundIds.CHANNEL).get("selected_conversation")
        anonymous = bool(_state(values, RoundIds.ANONYMOUS).get("selected_options"))
        with unit_of_work(context["db"]) as session:
            community = membership.community_by_id(session, viewer.community_id or 0)
            me = membership.get_member(session, viewer.community_id or 0, viewer.user_id)
            if community is None or me is None:
                raise NotAMember()
            round_, created = svc.start_ai(
                session,
                community=community,
                facilitator=me,
                topic=_state(values, RoundIds.TOPIC).get("value") or "",
                channel_id=channel or community.channel_id or "",
                minutes_per_phase=minutes,
                allow_anonymous=anonymous,
                now=utcnow(),
                source_key=f"view:{view['id']}",
            )
            round_id = round_.id
    except InvalidInput as exc:
        ack(response_action="errors", errors=exc.field_errors)
        return
    ack()
    if created:
        runner.publish(context["sender"], context["db"], round_id)


def on_als_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    viewer = viewer_of(context)
    values = view["state"]["values"]
    try:
        count = len(svc.phases(RoundKind.ALS))
        minutes = [_minutes(values, f"{RoundIds.MINUTES}_{i}") for i in range(count)]
        presenter_id = _state(values, RoundIds.PRESENTER).get("selected_user") or ""
        set_ids = list(_state(values, RoundIds.MEMBERS).get("selected_users") or [])
        channel = _state(values, RoundIds.CHANNEL).get("selected_conversation")
        with unit_of_work(context["db"]) as session:
            cid = viewer.community_id or 0
            community = membership.community_by_id(session, cid)
            me = membership.get_member(session, cid, viewer.user_id)
            presenter = membership.get_member(session, cid, presenter_id)
            if community is None or me is None:
                raise NotAMember()
            if presenter is None or not presenter.is_active:
                raise InvalidInput("Presenter", {RoundIds.PRESENTER: "Pick a member of the CoP."})
            outsiders = [u for u in set_ids if membership.get_member(session, cid, u) is None]
            if outsiders or not set_ids:
                raise InvalidInput("Members", {RoundIds.MEMBERS: "Pick members of the CoP."})
            round_, created = svc.start_als(
                session,
                community=community,
                facilitator=me,
                presenter=presenter,
                challenge=_state(values, RoundIds.CHALLENGE).get("value") or "",
                set_member_ids=set_ids,
                minutes=minutes,
                channel_id=channel or community.channel_id or "",
                now=utcnow(),
                source_key=f"view:{view['id']}",
            )
            round_id = round_.id
    except InvalidInput as exc:
        ack(response_action="errors", errors=exc.field_errors)
        return
    ack()
    if created:
        runner.publish(context["sender"], context["db"], round_id)


# -- taking part ---------------------------------------------------------------------------


def _round_and_phase(body: dict[str, Any]) -> tuple[int, int]:
    raw = str((body.get("actions") or [{}])[0].get("value") or "")
    round_id, _, index = raw.partition(":")
    try:
        return int(round_id), int(index)
    except ValueError as exc:
        raise InvalidInput("That button is out of date.") from exc


def on_contribute(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    viewer = viewer_of(context)
    round_id, _ = _round_and_phase(body)
    with unit_of_work(context["db"]) as session:
        round_ = svc.get_round(session, round_id, community_id=viewer.community_id)
        if not svc.may_contribute(round_, viewer):
            message = svc.prompts_()["messages"]
            closed = round_.status == RoundStatus.CLOSED
            tell(body, client, context, message["closed" if closed else "not_your_turn"])
            return
        view = builders.contribute_modal(round_)
    client.views_open(trigger_id=body["trigger_id"], view=view)


def on_contribution_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    viewer = viewer_of(context)
    meta = json.loads(view.get("private_metadata") or "{}")
    values = view["state"]["values"]
    text = _state(values, RoundIds.TEXT).get("value") or ""
    key = f"view:{view['id']}"
    try:
        with unit_of_work(context["db"]) as session:
            round_ = svc.get_round(session, int(meta["round_id"]), community_id=viewer.community_id)
            member = membership.get_member(session, round_.community_id, viewer.user_id)
            if member is None or not svc.may_contribute(round_, viewer):
                raise InvalidInput("closed", {RoundIds.TEXT: "This phase has moved on or closed."})
            ph = svc.phase(round_) or {}
            if ph.get("commitments"):
                due = svc.parse_due(
                    _state(values, RoundIds.WHEN).get("selected_date"),
                    member.tz,
                    today=utcnow().date(),
                )
                item, created = svc.add_commitment(
                    session, round_, member, what=text, due_at=due, source_key=key
                )
                line = builders.commitment_text(svc.who(member), item.what, item.due_at)
            else:
                anon = bool(_state(values, RoundIds.ANONYMOUS).get("selected_options"))
                said, created = svc.add_contribution(
                    session, round_, member, text=text, anonymous=anon, source_key=key
                )
                line = builders.contribution_text(
                    round_, svc.who(member, said.anonymous), said.text, phase_index=said.phase_index
                )
            channel, thread_ts = round_.channel_id, round_.thread_ts
    except InvalidInput as exc:
        ack(response_action="errors", errors=exc.field_errors)
        return
    ack()
    if created:
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=line)


# -- steering (convenor or facilitator only) -----------------------------------------------


def _steer(action: Callable[..., Any], note: str | None) -> Callable[..., None]:
    def listener(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        ack()
        viewer = viewer_of(context)
        round_id, index = _round_and_phase(body)
        now = utcnow()
        with unit_of_work(context["db"]) as session:
            round_ = svc.get_round(session, round_id, community_id=viewer.community_id)
            svc.require_control(round_, viewer)
            changed = action(session, round_, now=now, expected_phase=index)
            minutes = svc.minutes_left(round_, now)
            channel, thread_ts = round_.channel_id, round_.thread_ts
        if changed and note:
            text = svc.prompts_()["messages"][note].format(
                who=escape(viewer.name or "the facilitator"), minutes=minutes or 5
            )
            client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text)
        runner.publish(context["sender"], context["db"], round_id)

    listener.__name__ = f"on_{note or action.__name__}"
    return listener


def _advance(session: Any, round_: Round, *, now: Any, expected_phase: int) -> bool:
    return svc.advance(session, round_, now=now, expected_phase=expected_phase)


def _pause(session: Any, round_: Round, *, now: Any, expected_phase: int) -> bool:
    return svc.pause(session, round_, now=now)


def _resume(session: Any, round_: Round, *, now: Any, expected_phase: int) -> bool:
    return svc.resume(session, round_, now=now)


def _extend(session: Any, round_: Round, *, now: Any, expected_phase: int) -> bool:
    if expected_phase != round_.phase_index:
        return False
    svc.extend(session, round_, minutes=5, now=now)
    return True


def _end(session: Any, round_: Round, *, now: Any, expected_phase: int) -> bool:
    svc.close(session, round_, now=now)
    return True


def on_pair(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    viewer = viewer_of(context)
    round_id, _ = _round_and_phase(body)
    with unit_of_work(context["db"]) as session:
        round_ = svc.get_round(session, round_id, community_id=viewer.community_id)
        svc.require_control(round_, viewer)
    count = runner.pair_for_interviews(context["sender"], context["db"], round_id)
    tell(body, client, context, f"Paired the group into {count} interviews.")


# -- follow-ups ----------------------------------------------------------------------------


def on_report(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    viewer = viewer_of(context)
    commitment_id = int(str((body.get("actions") or [{}])[0].get("value") or "0"))
    with unit_of_work(context["db"]) as session:
        commitment = session.get(RoundCommitment, commitment_id)
        if commitment is None or commitment.member_id != viewer.member_id:
            raise NotFound()
        view = builders.report_modal(commitment.id, commitment.what)
    client.views_open(trigger_id=body["trigger_id"], view=view)


def on_report_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    viewer = viewer_of(context)
    meta = json.loads(view.get("private_metadata") or "{}")
    text = _state(view["state"]["values"], RoundIds.TEXT).get("value") or ""
    try:
        with unit_of_work(context["db"]) as session:
            svc.record_report(
                session,
                int(meta.get("commitment_id") or 0),
                viewer.member_id or 0,
                text=text,
                now=utcnow(),
            )
    except InvalidInput as exc:
        ack(response_action="errors", errors=exc.field_errors)
        return
    ack()
    client.chat_postMessage(
        channel=viewer.user_id, text=svc.prompts_()["messages"]["thanks_report"]
    )


def on_opt_out(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    _set_invites(context, False)
    tell(body, client, context, svc.prompts_()["messages"]["opted_out"])


# -- advice detection in action-learning threads -------------------------------------------


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
        if viewer.member_id == round_.presenter_id or viewer.member_id is None:
            return
        if not svc.looks_like_advice(event.get("text") or ""):
            return
        if not svc.note_once(session, round_, viewer.member_id, "coaching"):
            return
        tip = svc.coaching_tip(round_.id, viewer.member_id)
    client.chat_postEphemeral(
        channel=event["channel"], user=viewer.user_id, thread_ts=event["thread_ts"], text=tip
    )


def rounds_home_section(session: Session, viewer: Viewer) -> list[dict[str, Any]]:
    return builders.home_section(svc.list_rounds(session, viewer.community_id or 0))


def register(app: App) -> None:
    sub = registry.subcommand
    sub(app, Command.ROUND, "ai", on_ai, access=registry.CONVENOR, usage=USAGE["ai"])
    sub(app, Command.ROUND, "als", on_als, access=registry.MEMBER, usage=USAGE["als"])
    sub(app, Command.ROUND, "guide", on_guide, access=registry.MEMBER, usage=USAGE["guide"])
    sub(app, Command.ROUND, "list", on_list, access=registry.MEMBER, usage=USAGE["list"])
    sub(app, Command.ROUND, "invites", on_invites, access=registry.MEMBER, usage=USAGE["invites"])
    app.view(RoundIds.AI_MODAL, middleware=[convenors_only])(on_ai_submitted)
    app.view(RoundIds.ALS_MODAL, middleware=[members_only])(on_als_submitted)
    app.view(RoundIds.CONTRIBUTE_MODAL, middleware=[members_only])(on_contribution_submitted)
    app.view(RoundIds.REPORT_MODAL, middleware=[members_only])(on_report_submitted)
    app.action(RoundIds.CONTRIBUTE, middleware=[members_only])(on_contribute)
    app.action(RoundIds.NEXT, middleware=[members_only])(_steer(_advance, None))
    app.action(RoundIds.PAUSE, middleware=[members_only])(_steer(_pause, "paused"))
    app.action(RoundIds.RESUME, middleware=[members_only])(_steer(_resume, "resumed"))
    app.action(RoundIds.EXTEND, middleware=[members_only])(_steer(_extend, "extended"))
    app.action(RoundIds.END, middleware=[members_only])(_steer(_end, "ended"))
    app.action(RoundIds.PAIR, middleware=[members_only])(on_pair)
    app.action(RoundIds.REPORT, middleware=[members_only])(on_report)
    app.action(RoundIds.OPT_OUT, middleware=[members_only])(on_opt_out)
    registry.event(
        app, "message", on_round_message, middleware=[members_only], matchers=[in_active_round]
    )
    home.add_section(30, "rounds", rounds_home_section)
