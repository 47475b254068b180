"""Taking part in a round: contributing to a phase, and reporting back on a commitment."""

from __future__ import annotations

from typing import Any, NamedTuple

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot.builders import rounds as builders
from bot.builders.ids import RoundIds
from bot.db import unit_of_work
from bot.errors import InvalidInput
from bot.models import ChoiceKind, RoundKind, RoundPostKind, RoundShare, RoundStatus, utcnow
from bot.schedules import rounds as runner
from bot.services import membership
from bot.services import rounds as svc
from handlers.forms import for_cop, input_value, metadata, number_in
from handlers.middleware import tell, viewer_of
from handlers.rounds.common import answer_form, button_id, round_and_phase


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
        ph = svc.phase(round_) or {}
        offered = (
            svc.round_choices(session, round_, ChoiceKind.PROPOSITION)
            if ph.get("commitments") and round_.kind == RoundKind.AI
            else []
        )
        view = builders.contribute_modal(round_, offered)
    client.views_open(
        trigger_id=body["trigger_id"], view=for_cop(view, viewer_of(context).community_id)
    )


class Posted(NamedTuple):
    """What a contribution form stored, and the line that says it in the round's thread."""

    created: bool
    round_id: int
    kind: RoundPostKind
    ref_id: int
    line: str
    blocks: list[dict[str, Any]] | None = None


def on_contribution_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    posted = answer_form(ack, lambda: _contribute(view, context))
    if posted is not None and posted.created:
        runner.post_line(
            context["sender"],
            context["db"],
            posted.round_id,
            posted.kind,
            posted.ref_id,
            posted.line,
            posted.blocks,
        )


def _contribute(view: dict[str, Any], context: BoltContext) -> Posted:
    """Store a contribution or (in a phase that asks for them) a commitment; the line to post."""
    viewer = viewer_of(context)
    meta = metadata(view)
    values = view["state"]["values"]
    text = input_value(values, RoundIds.TEXT) or ""
    key = f"view:{view['id']}"
    with unit_of_work(context["db"]) as session:
        round_ = svc.get_round(session, int(meta["round_id"]), community_id=viewer.community_id)
        member = membership.get_member(session, round_.community_id, viewer.user_id)
        if member is None or not svc.may_contribute(round_, viewer):
            raise InvalidInput("closed", {RoundIds.TEXT: "This phase has moved on or closed."})
        index, ph = svc.form_phase(round_, meta.get("phase"))
        if ph.get("commitments"):
            due = svc.parse_due(
                input_value(values, RoundIds.WHEN),
                member.tz,
                today=svc.local_today(member.tz, utcnow()),
            )
            chosen = input_value(values, RoundIds.PROPOSITION)
            offered = svc.round_choices(session, round_, ChoiceKind.PROPOSITION)
            if offered and not chosen:
                raise InvalidInput("Proposition", {RoundIds.PROPOSITION: "Which one it serves."})
            item, created = svc.add_commitment(
                session,
                round_,
                member,
                what=text,
                due_at=due,
                source_key=key,
                choice_id=number_in(str(chosen)) if chosen else None,
            )
            line = runner.commitment_line(item)
            blocks = builders.commitment_blocks(line, item.id) if item.choice_id else None
            return Posted(created, round_.id, RoundPostKind.COMMITMENT, item.id, line, blocks)
        anon = bool(input_value(values, RoundIds.ANONYMOUS))
        said, created = svc.add_contribution(
            session, round_, member, text=text, anonymous=anon, source_key=key, phase_index=index
        )
        line = builders.contribution_text(
            round_, svc.who(member, said.anonymous), said.text, phase_index=said.phase_index
        )
        return Posted(created, round_.id, RoundPostKind.CONTRIBUTION, said.id, line)


def on_report(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    viewer = viewer_of(context)
    commitment_id = button_id(body)
    with unit_of_work(context["db"]) as session:
        commitment = svc.own_commitment(session, commitment_id, viewer.member_id)
        in_set = commitment.round.set_id is not None
        view = builders.report_modal(commitment.id, commitment.what, in_set=in_set)
    client.views_open(
        trigger_id=body["trigger_id"], view=for_cop(view, viewer_of(context).community_id)
    )


def on_report_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    viewer = viewer_of(context)
    values = view["state"]["values"]
    shared = input_value(values, RoundIds.SHARE) == RoundShare.COP.value

    def report() -> bool:
        with unit_of_work(context["db"]) as session:
            done = svc.record_report(
                session,
                int(metadata(view).get("commitment_id") or 0),
                viewer.member_id or 0,
                text=input_value(values, RoundIds.TEXT) or "",
                shared=shared,
                now=utcnow(),
            )
            return done.round.set_id is not None

    in_set = answer_form(ack, report)
    if in_set is not None:
        thanks = (
            ("thanks_report_set" if in_set else "thanks_report_shared")
            if shared
            else "thanks_report"
        )
        text = svc.prompts_()["messages"][thanks]
        context["sender"].deliver(f"round-report:{view['id']}:thanks", viewer.user_id, text=text)
