"""A set proposed for someone else: the presenter's private ask, the starter's word that it
waits, and, once the presenter answers, the starter's kind word of how it went."""

from __future__ import annotations

from bot.builders import rounds as builders
from bot.builders.common import for_community
from bot.db import SessionFactory, unit_of_work
from bot.delivery import Sender
from bot.models import Round, RoundPostKind, RoundStatus
from bot.services import membership
from bot.services import rounds as svc


def ask_presenter(sender: Sender, session_factory: SessionFactory, round_id: int) -> None:
    """A set proposed for someone else: ask them privately, and tell the starter it waits."""
    als = svc.prompts_()["als"]
    with unit_of_work(session_factory) as session:
        round_ = session.get_one(Round, round_id)
        presenter, starter = round_.presenter, round_.facilitator
        if presenter is None:
            return
        text, blocks = builders.presenter_ask(
            round_,
            starter=svc.who(starter),
            report_back=bool(svc.previous_actions(session, presenter)),
        )
        if membership.several(session):  # a DM: its buttons say which CoP they are for
            blocks = for_community(blocks, round_.community_id)
        presenter_id = presenter.user_id
        starter_id = starter.user_id if starter is not None else None
        starter_member = starter.id if starter is not None else None
        waiting = str(als["asked_starter"]).format(channel=f"<#{round_.channel_id}>")
    outcome = sender.deliver(f"round:{round_id}:ask", presenter_id, text=text, blocks=blocks)
    if outcome.ts:
        dm = sender.resolve_channel(presenter_id)
        with unit_of_work(session_factory) as session:
            svc.record_post(
                session, round_id, RoundPostKind.ASK, dm, outcome.ts, member_id=starter_member
            )
    if starter_id:
        sender.deliver(f"round:{round_id}:proposed", starter_id, text=waiting)
    with unit_of_work(session_factory) as session:
        svc.mark_presenter_asked(session, round_id)


def tell_starter(sender: Sender, session_factory: SessionFactory, round_id: int) -> None:
    """The starter hears the presenter's answer, kindly and without a reason."""
    als = svc.prompts_()["als"]
    with unit_of_work(session_factory) as session:
        round_ = session.get_one(Round, round_id)
        if round_.facilitator is None or round_.status == RoundStatus.PROPOSED:
            return
        yes = round_.status != RoundStatus.DECLINED
        starter_id = round_.facilitator.user_id
        text = str(als["accepted_starter" if yes else "declined_starter"]).format(
            channel=f"<#{round_.channel_id}>"
        )
    sender.deliver(f"round:{round_id}:answered", starter_id, text=text)
