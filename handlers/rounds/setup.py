"""The set-up forms: an appreciative-inquiry round and an action-learning set."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext
from sqlalchemy.orm import Session

from bot.builders.ids import RoundIds
from bot.db import unit_of_work
from bot.errors import InvalidInput, NotAMember
from bot.models import Community, Member, RoundMode, utcnow
from bot.schedules import rounds as runner
from bot.services import membership
from bot.services import rounds as svc
from bot.services.membership import Viewer
from handlers.forms import input_value, metadata
from handlers.middleware import viewer_of
from handlers.rounds.common import answer_form
from handlers.rounds.inquiry import ai_form_errors


def _minutes(values: dict[str, Any], block_id: str) -> int:
    raw = input_value(values, block_id)
    try:
        minutes = int(str(raw).strip())
    except (TypeError, ValueError) as exc:
        raise InvalidInput("Minutes", {block_id: "A whole number of minutes."}) from exc
    if not 0 <= minutes <= svc.MAX_PHASE_MINUTES:
        raise InvalidInput("Minutes", {block_id: "Between 0 and 1440 minutes."})
    return minutes


def _submit(ack: Ack, context: BoltContext, start: Callable[[], tuple[int, bool]]) -> None:
    """A set-up form's listener: `start` returns the round's id and whether it is new. A form
    error goes back to the form; a new round is posted once the form has closed."""
    opened = answer_form(ack, start)
    if opened is not None and opened[1]:
        runner.publish(context["sender"], context["db"], opened[0])


def _starter(session: Session, viewer: Viewer) -> tuple[Community, Member]:
    """The viewer's CoP and their member row: who starts the round, and where."""
    community = membership.community_by_id(session, viewer.community_id or 0)
    me = membership.viewer_member(session, viewer)
    if community is None or me is None:
        raise NotAMember()
    return community, me


def on_ai_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    _submit(ack, context, lambda: _start_ai(view, viewer_of(context), context))


def _start_ai(view: dict[str, Any], viewer: Viewer, context: BoltContext) -> tuple[int, bool]:
    values = view["state"]["values"]
    mode, minutes = ai_form_errors(values)
    topic_id = metadata(view).get("topic_id")
    with unit_of_work(context["db"]) as session:
        community, me = _starter(session, viewer)
        round_, created = svc.start_ai(
            session,
            community=community,
            facilitator=me,
            topic=input_value(values, RoundIds.TOPIC) or "",
            channel_id=input_value(values, RoundIds.CHANNEL),
            minutes_per_phase=minutes,
            allow_anonymous=bool(input_value(values, RoundIds.ANONYMOUS)),
            now=utcnow(),
            source_key=f"view:{view['id']}",
            mode=RoundMode(mode),
            topic_id=int(topic_id) if isinstance(topic_id, int) else None,
        )
        return round_.id, created


def on_als_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    _submit(ack, context, lambda: _start_als(view, viewer_of(context), context))


def _start_als(view: dict[str, Any], viewer: Viewer, context: BoltContext) -> tuple[int, bool]:
    values = view["state"]["values"]
    count = len(svc.one_off_phases())
    minutes = [_minutes(values, f"{RoundIds.MINUTES}_{i}") for i in range(count)]
    set_ids = list(input_value(values, RoundIds.MEMBERS) or [])
    with unit_of_work(context["db"]) as session:
        community, me = _starter(session, viewer)
        presenter = svc.set_people(
            session, community.id, input_value(values, RoundIds.PRESENTER) or "", set_ids
        )
        round_, created = svc.start_als(
            session,
            community=community,
            facilitator=me,
            presenter=presenter,
            challenge=input_value(values, RoundIds.CHALLENGE) or "",
            set_member_ids=set_ids,
            minutes=minutes,
            channel_id=input_value(values, RoundIds.CHANNEL),
            now=utcnow(),
            source_key=f"view:{view['id']}",
        )
        return round_.id, created
