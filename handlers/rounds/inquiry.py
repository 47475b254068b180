"""Appreciative inquiry's own presses besides the votes (handlers/rounds/choices.py): asking for
an interview, retelling a partner's story and the partner's yes, joining someone's commitment,
and saying yes or no to the story library."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot.builders import rounds as builders
from bot.builders.ids import RoundIds
from bot.db import unit_of_work
from bot.errors import InvalidInput
from bot.models import Member, RoundPostKind
from bot.schedules import rounds as runner
from bot.services import rounds as svc
from handlers.forms import for_cop, input_value, metadata, number_in
from handlers.middleware import tell, viewer_of
from handlers.rounds.common import answer_form, button_id, member_of, round_and_phase


def on_interview(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    viewer = viewer_of(context)
    round_id, _ = round_and_phase(body)
    words = svc.prompts_()["ai"]["interview"]
    with unit_of_work(context["db"]) as session:
        round_ = svc.get_round(session, round_id, community_id=viewer.community_id)
        paired = (round_.settings or {}).get("pairs") is not None
        added = svc.opt_in(session, round_, member_of(session, viewer))
    tell(body, client, context, words["opted_in" if added else "closed" if paired else "already"])


def on_retell(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        round_ = svc.get_round(session, button_id(body), community_id=viewer.community_id)
        ids = svc.partners(round_, viewer.member_id)
        people = [session.get_one(Member, i) for i in ids]
        if not people or round_.status not in svc.LIVE:
            tell(body, client, context, svc.prompts_()["messages"]["closed"])
            return
        view = builders.retell_modal(round_, [(m.id, m.name or "your partner") for m in people])
    client.views_open(
        trigger_id=body["trigger_id"], view=for_cop(view, viewer_of(context).community_id)
    )


def on_retell_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    viewer = viewer_of(context)
    values = view["state"]["values"]

    def retell() -> tuple[int, bool, str]:
        """The retelling this submission made (a retry of it finds the same one), whether it
        still waits for the partner's yes, and the partner's name."""
        with unit_of_work(context["db"]) as session:
            round_ = svc.get_round(
                session, int(metadata(view).get("round_id") or 0), community_id=viewer.community_id
            )
            raw = input_value(values, RoundIds.PARTNER)
            partner = session.get(Member, number_in(str(raw))) if raw else None
            said, _created = svc.retell(
                session,
                round_,
                member_of(session, viewer),
                partner,
                text=input_value(values, RoundIds.TEXT) or "",
                source_key=f"view:{view['id']}",
            )
            return said.id, said.awaiting, svc.who(partner)

    done = answer_form(ack, retell)
    if done is not None and done[1]:
        # Both are ledgered by the retelling, so a retry of this submission finishes what an
        # interrupted first attempt left undone and repeats nothing.
        contribution_id, _, partner_name = done
        runner.ask_partner(context["sender"], context["db"], contribution_id)
        words = svc.prompts_()["ai"]["interview"]
        context["sender"].deliver(
            f"round-retell:{contribution_id}:waiting",
            viewer.user_id,
            text=str(words["retell_waiting"]).format(partner=partner_name),
        )


def on_retell_answer(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """The partner's own yes (posted in the thread) or no (never posted)."""
    ack()
    viewer = viewer_of(context)
    yes = (body.get("actions") or [{}])[0].get("action_id") == RoundIds.RETELL_YES
    contribution_id = button_id(body)
    words = svc.prompts_()["ai"]["interview"]
    with unit_of_work(context["db"]) as session:
        outcome, teller = svc.answer_retelling(
            session, contribution_id, member_of(session, viewer), yes=yes
        )
        line = round_id = None
        if outcome == "yes":
            said = svc.post_content_of(session, contribution_id)
            if said is not None:
                round_id = said.round_id
                line = builders.retold_text(svc.who(said.member), svc.who(said.about), said.text)
    if outcome == "answered":
        tell(body, client, context, words["retell_answered"])
        return
    if round_id is not None and line is not None:
        kind = RoundPostKind.CONTRIBUTION
        runner.post_line(context["sender"], context["db"], round_id, kind, contribution_id, line)
    tell(body, client, context, words["retell_posted" if yes else "retell_declined"])
    if teller:
        key = f"round-retell:{contribution_id}:{outcome}"
        text = words["retell_teller_yes" if yes else "retell_teller_no"]
        context["sender"].deliver(key, teller, text=text)


def on_join(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """*I'm joining* on a Destiny commitment (pressed again, they step back)."""
    ack()
    viewer = viewer_of(context)
    with unit_of_work(context["db"]) as session:
        joined = svc.join_commitment(session, button_id(body), member_of(session, viewer))
        if joined is not None:
            svc.restale(session, RoundPostKind.COMMITMENT, button_id(body))
    if joined is None:
        tell(body, client, context, "It's your own commitment: you're in it already.")
        return
    runner.refresh_posts(context["sender"], context["db"])


def on_library_answer(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    ack()
    viewer = viewer_of(context)
    yes = (body.get("actions") or [{}])[0].get("action_id") == RoundIds.LIBRARY_YES
    words = svc.prompts_()["ai"]["library"]
    with unit_of_work(context["db"]) as session:
        outcome, _story = svc.answer_offer(
            session, button_id(body), member_of(session, viewer), yes=yes
        )
    text = words["answered"] if outcome == "answered" else words[f"thanks_{outcome}"]
    tell(body, client, context, text)


def ai_form_errors(values: dict[str, Any]) -> tuple[str, int]:
    """The mode and the minutes per phase an AI set-up form asks for (hours, over days)."""
    mode = str(input_value(values, RoundIds.MODE) or "live")
    block = RoundIds.HOURS if mode == "async" else RoundIds.MINUTES
    raw = input_value(values, block)
    try:
        amount = int(str(raw).strip())
    except (TypeError, ValueError) as exc:
        raise InvalidInput("Time", {block: "A whole number."}) from exc
    if mode == "async":
        if not 1 <= amount <= svc.MAX_ASYNC_MINUTES // 60:
            raise InvalidInput("Hours", {block: "Between 1 and 336 hours (two weeks)."})
        return mode, amount * 60
    if not 0 <= amount <= svc.MAX_PHASE_MINUTES:
        raise InvalidInput("Minutes", {block: "Between 0 and 1440 minutes."})
    return mode, amount
