"""The set-up forms: an appreciative-inquiry round and an action-learning set."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext

from bot.builders.ids import RoundIds
from bot.db import unit_of_work
from bot.errors import InvalidInput, NotAMember
from bot.models import RoundKind, utcnow
from bot.schedules import rounds as runner
from bot.services import membership
from bot.services import rounds as svc
from bot.services.membership import Viewer
from handlers.forms import input_value
from handlers.middleware import viewer_of


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
    try:
        round_id, created = start()
    except InvalidInput as exc:
        ack(response_action="errors", errors=exc.field_errors)
        return
    ack()
    if created:
        runner.publish(context["sender"], context["db"], round_id)


def on_ai_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    viewer = viewer_of(context)
    _submit(ack, context, lambda: _start_ai(view, viewer, context))


def _start_ai(view: dict[str, Any], viewer: Viewer, context: BoltContext) -> tuple[int, bool]:
    values = view["state"]["values"]
    minutes = _minutes(values, RoundIds.MINUTES)
    channel = input_value(values, RoundIds.CHANNEL)
    anonymous = bool(input_value(values, RoundIds.ANONYMOUS))
    with unit_of_work(context["db"]) as session:
        community = membership.community_by_id(session, viewer.community_id or 0)
        me = membership.viewer_member(session, viewer)
        if community is None or me is None:
            raise NotAMember()
        round_, created = svc.start_ai(
            session,
            community=community,
            facilitator=me,
            topic=input_value(values, RoundIds.TOPIC) or "",
            channel_id=channel,
            minutes_per_phase=minutes,
            allow_anonymous=anonymous,
            now=utcnow(),
            source_key=f"view:{view['id']}",
        )
        return round_.id, created


def on_als_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    viewer = viewer_of(context)
    _submit(ack, context, lambda: _start_als(view, viewer, context))


def _start_als(view: dict[str, Any], viewer: Viewer, context: BoltContext) -> tuple[int, bool]:
    values = view["state"]["values"]
    count = len(svc.phases(RoundKind.ALS))
    minutes = [_minutes(values, f"{RoundIds.MINUTES}_{i}") for i in range(count)]
    presenter_id = input_value(values, RoundIds.PRESENTER) or ""
    set_ids = list(input_value(values, RoundIds.MEMBERS) or [])
    channel = input_value(values, RoundIds.CHANNEL)
    with unit_of_work(context["db"]) as session:
        cid = viewer.community_id or 0
        community = membership.community_by_id(session, cid)
        me = membership.viewer_member(session, viewer)
        presenter = membership.get_member(session, cid, presenter_id)
        if community is None or me is None:
            raise NotAMember()
        if presenter is None or not presenter.is_active:
            raise InvalidInput("Presenter", {RoundIds.PRESENTER: "Pick a member of the CoP."})
        found = {u: membership.get_member(session, cid, u) for u in set_ids}
        outsiders = [u for u, m in found.items() if m is None or not m.is_active]
        if outsiders or not set_ids:
            raise InvalidInput("Members", {RoundIds.MEMBERS: "Pick members of the CoP."})
        round_, created = svc.start_als(
            session,
            community=community,
            facilitator=me,
            presenter=presenter,
            challenge=input_value(values, RoundIds.CHALLENGE) or "",
            set_member_ids=set_ids,
            minutes=minutes,
            channel_id=channel,
            now=utcnow(),
            source_key=f"view:{view['id']}",
        )
        return round_.id, created
