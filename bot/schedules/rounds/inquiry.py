"""What rounds send beyond their thread, on the clock or right after a press: in asynchronous
mode each member's prompt for a phase at a sensible hour of their own day (any kind of round);
for appreciative inquiry the interview pairs with their protocol, the partner's yes to a
retelling, and the offer to the story library. Every message has a stable ledger key, so a
repeated tick or a restart never sends it twice."""

from __future__ import annotations

import logging
from datetime import datetime

from bot import runtime
from bot.builders import rounds as builders
from bot.builders.rounds.parts import slack_time
from bot.db import SessionFactory, unit_of_work
from bot.delivery import Sender
from bot.models import Round, RoundCommitment, RoundContribution
from bot.schedules.rounds.marking import marked_for
from bot.services import rounds as svc
from bot.text import escape, truncate

log = logging.getLogger(__name__)


def contribution_line(round_: Round, item: RoundContribution) -> str:
    if item.about_id is not None or (item.member_id and item.awaiting):
        return builders.retold_text(svc.who(item.member), svc.who(item.about), item.text)
    who = svc.who(item.member, item.anonymous)
    return builders.contribution_text(round_, who, item.text, phase_index=item.phase_index)


def commitment_line(item: RoundCommitment) -> str:
    """A commitment as its post says it: in Destiny, the proposition and who joins it."""
    text = builders.commitment_text(svc.who(item.member), item.what, svc.local_due(item))
    if item.choice is not None:
        text += svc.prompts_()["ai"]["findings"]["serves"].format(
            proposition=escape(item.choice.text)
        )
    joining = [svc.who(j.member) for j in item.joiners]
    if joining:
        text += svc.prompts_()["ai"]["findings"]["joining"].format(names=", ".join(joining))
    return text


def send_prompts(
    route: runtime.Routing, session_factory: SessionFactory, now: datetime, workspace_tz: str | None
) -> None:
    """Each member of an asynchronous round, once a phase, at a sensible local hour."""
    words = svc.prompts_()["asynchronous"]
    with unit_of_work(session_factory) as session:
        due = []
        for round_, people in svc.due_prompts(session, now, workspace_tz=workspace_tz):
            ph = svc.phase(round_) or {}
            questions = "\n".join(f"• {q}" for q in ph.get("questions", []))
            until = slack_time(round_.phase_deadline, day=True) if round_.phase_deadline else "—"
            args = {
                "emoji": ph.get("emoji", ""),
                "name": ph.get("name", ""),
                "topic": escape(truncate(round_.topic, 200)),
                "until": until,
                "questions": questions,
            }
            targets = [(m.id, m.user_id) for m in people]
            due.append(
                (round_.id, round_.phase_index, round_.channel_id, round_.thread_ts, args, targets)
            )
    for sender, (round_id, index, channel, thread_ts, args, targets) in runtime.routed(route, due):
        try:
            link = sender.client.chat_getPermalink(channel=channel, message_ts=thread_ts or "")[
                "permalink"
            ]
            text = truncate(str(words["prompt"]).format(link=link, **args), 3000)
            for member_id, user_id in targets:
                sender.deliver(f"round:{round_id}:prompt:{index}:{user_id}", user_id, text=text)
                with unit_of_work(session_factory) as session:
                    svc.note_once(session, session.get_one(Round, round_id), member_id, svc.PROMPT)
        except Exception:
            log.exception("could not prompt members of round %s", round_id)


def pair_for_interviews(sender: Sender, session_factory: SessionFactory, round_id: int) -> int:
    """A group DM for each pair (or trio) of members who asked for an interview, with the
    protocol; a kind word to anyone left without a partner. Returns how many interviews."""
    with unit_of_work(session_factory) as session:
        round_ = session.get_one(Round, round_id)
        groups, alone = svc.interview_groups(session, round_)
        pairs = [[m.user_id for m in g] for g in groups]
        messages = [builders.interview_message(round_, g) for g in pairs]
        messages = [(text, marked_for(session, blocks, round_)) for text, blocks in messages]
        lonely = [m.user_id for m in alone]
        kind_text, kind_blocks = builders.interview_message(round_, [], alone=True)
        kind_word = kind_text, marked_for(session, kind_blocks, round_)
    for group, (text, blocks) in zip(pairs, messages, strict=True):
        try:
            channel = sender.client.conversations_open(users=",".join(group))["channel"]["id"]
            key = f"round:{round_id}:pair:{'-'.join(group)}"
            sender.deliver(key, channel, text=text, blocks=blocks)
        except Exception:
            log.exception("could not pair %s for round %s", group, round_id)
    for user_id in lonely:
        text, blocks = kind_word
        sender.deliver(f"round:{round_id}:alone:{user_id}", user_id, text=text, blocks=blocks)
    return len(pairs)


def pair_due(route: runtime.Routing, session_factory: SessionFactory, now: datetime) -> None:
    """Rounds over days pair their interviews themselves, some hours into Discover."""
    with unit_of_work(session_factory) as session:
        due = [(r.id,) for r in svc.due_pairings(session, now)]
    for sender, (round_id,) in runtime.routed(route, due):
        try:
            pair_for_interviews(sender, session_factory, round_id)
        except Exception:
            log.exception("could not pair round %s for interviews", round_id)


def ask_partner(sender: Sender, session_factory: SessionFactory, contribution_id: int) -> None:
    """The partner whose story was retold is asked, privately, before it is posted."""
    with unit_of_work(session_factory) as session:
        said = session.get(RoundContribution, contribution_id)
        if said is None or not said.awaiting or said.about is None:
            return
        text, blocks = builders.retell_ask(said.round, svc.who(said.member), said.text, said.id)
        blocks = marked_for(session, blocks, said.round)
        partner = said.about.user_id
    sender.deliver(f"round-retell:{contribution_id}:ask", partner, text=text, blocks=blocks)


def offer_library(route: runtime.Routing, session_factory: SessionFactory) -> None:
    """Each contributor of a closed AI round is asked once whether their part may go into the
    story library; nothing goes in without their yes."""
    with unit_of_work(session_factory) as session:
        due = [
            (r, m.id, m.user_id, builders.library_ask(r, svc.own_words(session, r, m.id)))
            for r, people in svc.due_offers(session)
            for m in people
        ]
        due_marked = [
            (r.id, member_id, user_id, (text, marked_for(session, blocks, r)))
            for r, member_id, user_id, (text, blocks) in due
        ]
    for sender, (round_id, member_id, user_id, (text, blocks)) in runtime.routed(route, due_marked):
        try:
            sender.deliver(f"round:{round_id}:library:{user_id}", user_id, text=text, blocks=blocks)
            with unit_of_work(session_factory) as session:
                svc.mark_offered(session, round_id, member_id)
        except Exception:
            log.exception("could not offer round %s to the library", round_id)
