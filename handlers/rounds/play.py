"""Taking part in a round: contributing to a phase, and reporting back on a commitment."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot.builders import rounds as builders
from bot.builders.ids import RoundIds
from bot.db import unit_of_work
from bot.errors import InvalidInput, NotFound
from bot.models import RoundCommitment, RoundPostKind, RoundShare, RoundStatus, utcnow
from bot.schedules import rounds as runner
from bot.services import membership
from bot.services import rounds as svc
from handlers.forms import action_value, input_value, metadata
from handlers.middleware import tell, viewer_of


def round_and_phase(body: dict[str, Any]) -> tuple[int, int]:
    raw = action_value(body)
    round_id, _, index = raw.partition(":")
    try:
        return int(round_id), int(index)
    except ValueError as exc:
        raise InvalidInput("That button is out of date.") from exc


def on_contribute(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    viewer = viewer_of(context)
    round_id, _ = round_and_phase(body)
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
    meta = metadata(view)
    values = view["state"]["values"]
    text = input_value(values, RoundIds.TEXT) or ""
    key = f"view:{view['id']}"
    try:
        with unit_of_work(context["db"]) as session:
            round_ = svc.get_round(session, int(meta["round_id"]), community_id=viewer.community_id)
            member = membership.get_member(session, round_.community_id, viewer.user_id)
            if member is None or not svc.may_contribute(round_, viewer):
                raise InvalidInput("closed", {RoundIds.TEXT: "This phase has moved on or closed."})
            # The form's own phase: the round may have moved on while the member was writing.
            all_phases = svc.phases(round_.kind)
            index = int(meta.get("phase", round_.phase_index))
            if not 0 <= index < len(all_phases):
                index = round_.phase_index
            ph = all_phases[index] if all_phases else {}
            if ph.get("commitments"):
                due = svc.parse_due(
                    input_value(values, RoundIds.WHEN),
                    member.tz,
                    today=svc.local_today(member.tz, utcnow()),
                )
                item, created = svc.add_commitment(
                    session, round_, member, what=text, due_at=due, source_key=key
                )
                line = builders.commitment_text(svc.who(member), item.what, svc.local_due(item))
                kind, ref = RoundPostKind.COMMITMENT, item.id
            else:
                anon = bool(input_value(values, RoundIds.ANONYMOUS))
                said, created = svc.add_contribution(
                    session,
                    round_,
                    member,
                    text=text,
                    anonymous=anon,
                    source_key=key,
                    phase_index=index,
                )
                line = builders.contribution_text(
                    round_, svc.who(member, said.anonymous), said.text, phase_index=said.phase_index
                )
                kind, ref = RoundPostKind.CONTRIBUTION, said.id
            round_id = round_.id
    except InvalidInput as exc:
        ack(response_action="errors", errors=exc.field_errors)
        return
    ack()
    if created:
        runner.post_line(context["sender"], context["db"], round_id, kind, ref, line)


def on_report(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    viewer = viewer_of(context)
    commitment_id = int(action_value(body) or "0")
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
    meta = metadata(view)
    values = view["state"]["values"]
    text = input_value(values, RoundIds.TEXT) or ""
    shared = input_value(values, RoundIds.SHARE) == RoundShare.COP.value
    try:
        with unit_of_work(context["db"]) as session:
            svc.record_report(
                session,
                int(meta.get("commitment_id") or 0),
                viewer.member_id or 0,
                text=text,
                shared=shared,
                now=utcnow(),
            )
    except InvalidInput as exc:
        ack(response_action="errors", errors=exc.field_errors)
        return
    ack()
    thanks = "thanks_report_shared" if shared else "thanks_report"
    client.chat_postMessage(channel=viewer.user_id, text=svc.prompts_()["messages"][thanks])
