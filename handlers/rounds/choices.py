"""Appreciative inquiry's proposing and voting: topics for the next round, and a round's
themes and propositions; a convenor starts the round on the topic most voted for."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.builders import rounds as builders
from bot.builders.ids import RoundIds
from bot.db import unit_of_work
from bot.models import ChoiceKind, RoundChoice, utcnow
from bot.services import membership
from bot.services import rounds as svc
from bot.services.membership import Viewer
from handlers.forms import for_cop, input_value, metadata, number_in
from handlers.middleware import tell, viewer_of
from handlers.rounds.common import answer_form, button_id, member_of, round_and_phase


def _choices_view(
    session: Session, viewer: Viewer, kind: ChoiceKind, round_id: int | None
) -> dict[str, Any]:
    """The votes form as this member sees it: counts for all, their own votes marked."""
    core: list[RoundChoice] = []
    if kind == ChoiceKind.TOPIC:
        choices = svc.open_topics(session, viewer.community_id or 0)
    else:
        round_ = svc.get_round(session, round_id or 0, community_id=viewer.community_id)
        choices = svc.round_choices(session, round_, kind)
        core = svc.core_themes(session, round_) if kind == ChoiceKind.PROPOSITION else []
    return builders.choices_modal(
        kind,
        choices,
        svc.tally(session, choices),
        svc.voted(session, choices, viewer.member_id),
        round_id=round_id,
        core=core,
        may_start=kind == ChoiceKind.TOPIC and viewer.is_convenor,
    )


def on_topics(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, args: str
) -> None:
    """`/round topics`: propose an affirmative topic, or give it your one vote."""
    ack()
    with unit_of_work(context["db"]) as session:
        view = _choices_view(session, viewer_of(context), ChoiceKind.TOPIC, None)
    client.views_open(
        trigger_id=body["trigger_id"], view=for_cop(view, viewer_of(context).community_id)
    )


def on_choices(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """The phase post's *Positive core* (Discover) or *Propositions* (Design) button."""
    ack()
    viewer = viewer_of(context)
    round_id, _ = round_and_phase(body)
    with unit_of_work(context["db"]) as session:
        round_ = svc.get_round(session, round_id, community_id=viewer.community_id)
        ph = svc.phase(round_) or {}
        if not ph.get("themes") and not ph.get("propositions"):
            tell(body, client, context, svc.prompts_()["messages"]["not_your_turn"])
            return
        kind = ChoiceKind.THEME if ph.get("themes") else ChoiceKind.PROPOSITION
        view = _choices_view(session, viewer, kind, round_id)
    client.views_open(
        trigger_id=body["trigger_id"], view=for_cop(view, viewer_of(context).community_id)
    )


def on_choice_vote(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """A vote pressed inside the form: counted, and the form shows the new counts."""
    ack()
    viewer = viewer_of(context)
    view = body.get("view") or {}
    with unit_of_work(context["db"]) as session:
        choice = svc.get_choice(session, button_id(body), community_id=viewer.community_id)
        svc.vote(session, choice, member_of(session, viewer))
        kind, round_id = choice.kind, choice.round_id
        fresh = _choices_view(session, viewer, kind, None if kind == ChoiceKind.TOPIC else round_id)
    fresh["private_metadata"] = view.get("private_metadata") or fresh["private_metadata"]
    client.views_update(view_id=view.get("id"), hash=view.get("hash"), view=fresh)


def on_choices_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    """What the member typed into the form is proposed (a proposition is checked first)."""
    viewer = viewer_of(context)
    values = view["state"]["values"]
    meta = metadata(view)
    text = (input_value(values, RoundIds.TEXT) or "").strip()

    def propose() -> bool:
        if not text:
            return True  # they only voted
        kind = ChoiceKind(str(meta.get("kind") or "topic"))
        theme = input_value(values, RoundIds.THEME)
        with unit_of_work(context["db"]) as session:
            round_ = (
                svc.get_round(session, int(meta["round_id"]), community_id=viewer.community_id)
                if meta.get("round_id")
                else None
            )
            svc.propose(
                session,
                community_id=viewer.community_id or 0,
                member=member_of(session, viewer),
                kind=kind,
                text=text,
                round_=round_,
                theme_id=number_in(str(theme)) if theme else None,
                source_key=f"view:{view['id']}",
            )
        return True

    answer_form(ack, propose)


def on_start_topic(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """A convenor starts the round from the chosen topic: the set-up form, carrying it."""
    ack()
    viewer = viewer_of(context)
    if not viewer.is_convenor:
        tell(body, client, context, svc.prompts_()["messages"]["not_facilitator"])
        return
    with unit_of_work(context["db"]) as session:
        choice = svc.get_choice(session, button_id(body), community_id=viewer.community_id)
        community = membership.community_by_id(session, viewer.community_id or 0)
        mode = svc.default_mode(session, viewer.community_id or 0, utcnow())
        form = builders.ai_modal(
            topic=choice.text,
            channel_id=(community.channel_id if community else "") or "",
            mode=mode,
            topic_id=choice.id,
        )
    client.views_push(trigger_id=body["trigger_id"], view=for_cop(form, viewer.community_id))
