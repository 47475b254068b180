"""What a member can ask of rounds: forget-me (their words go, or stay without their name, as
they chose; every post that carries them is marked to be edited) and a copy of their data."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.models import (
    LearningSet,
    Member,
    Round,
    RoundChoice,
    RoundCommitment,
    RoundContribution,
    RoundJoiner,
    RoundNote,
    RoundOptOut,
    RoundShare,
    RoundStatus,
    RoundVote,
    SetOffer,
    utcnow,
)
from bot.services import membership
from bot.services.rounds.method import prompts_
from bot.services.rounds.moves import leave_sets
from bot.services.rounds.posts import mark_posts
from bot.services.rounds.setup import call_off
from bot.services.rounds.standing import report_back_note
from bot.services.rounds.synthesis import synthesis


def forget_member(session: Session, member: Member) -> None:
    """Forget-me: what they said in rounds and their commitments go, or stay without their
    name, as they chose for their stories (a report of how one went stays only if they had
    shared it: nobody else may ever read a private one); their opt-out and notes go; they leave
    each set; a
    set they presented loses their report-back (and, unless they keep their words, its
    challenge); a proposal waiting on them, or made by them, is withdrawn. Every post that
    carries their words or name is marked to be edited (or taken down) in Slack."""
    keep = membership.forget_scope(session).keep_stories
    removed = str(prompts_()["messages"]["removed"])
    touched: set[int] = set()
    said = _let_go(
        session,
        session.scalars(select(RoundContribution).where(RoundContribution.member_id == member.id)),
        keep=keep,
        touched=touched,
    )
    committed = _let_go(
        session,
        session.scalars(select(RoundCommitment).where(RoundCommitment.member_id == member.id)),
        keep=keep,
        touched=touched,
    )
    said += _let_go_inquiry(session, member, keep=keep, touched=touched)
    committed += _leave_commitments(session, member, touched=touched)
    session.execute(delete(RoundNote).where(RoundNote.member_id == member.id))
    presented = set(
        session.scalars(
            select(SetOffer.round_id).where(
                SetOffer.member_id == member.id, SetOffer.round_id.is_not(None)
            )
        )
    )
    session.execute(delete(SetOffer).where(SetOffer.member_id == member.id))
    leave_sets(session, member)  # and each set goes on in a new group DM without them
    for set_ in session.scalars(
        select(LearningSet).where(LearningSet.community_id == member.community_id)
    ):
        if set_.created_by_id == member.id:
            set_.created_by_id = None
    session.execute(delete(RoundOptOut).where(RoundOptOut.member_id == member.id))
    named: set[int] = {r for r in presented if r is not None}  # openings that name them
    for round_ in session.scalars(select(Round).where(Round.community_id == member.community_id)):
        if member.user_id in (round_.set_members or []):
            round_.set_members = [u for u in round_.set_members if u != member.user_id]
            named.add(round_.id)
        if round_.facilitator_id == member.id:
            if round_.status == RoundStatus.PROPOSED:
                call_off(round_, utcnow(), withdrawn=True)  # who asked is gone
            round_.facilitator_id = None
            named.add(round_.id)
        if round_.presenter_id == member.id:
            if round_.status == RoundStatus.PROPOSED:
                call_off(round_, utcnow(), withdrawn=True)  # nobody is left to say yes
            round_.presenter_id = None
            round_.opening_note = ""
            if not keep and round_.topic and round_.set_id is None:
                round_.topic = removed  # a set's meeting is named for the set, not by them
            named.add(round_.id)
    session.flush()
    named |= _retell_report_backs(session, member, touched)
    for round_ in session.scalars(select(Round).where(Round.id.in_(touched))):
        if round_.synthesis is not None:
            session.expire(round_, ["contributions", "commitments"])
            round_.synthesis = synthesis(round_, session)
    mark_posts(session, member, rounds=touched | named, said=said, committed=committed)
    session.flush()


def _retell_report_backs(session: Session, member: Member, touched: set[int]) -> set[int]:
    """A set's meeting opens with the last one's actions and learning review, copied into its
    opening: where the last meeting held their words, the opening is written again from what
    is left of them (and its post marked to be edited). Returns those meetings' ids."""
    retold: set[int] = set()
    last: dict[int, Round] = {}
    meetings = session.scalars(
        select(Round)
        .where(Round.community_id == member.community_id, Round.set_id.is_not(None))
        .order_by(Round.id)
    )
    for round_ in meetings:
        assert round_.set_id is not None
        previous = last.get(round_.set_id)
        last[round_.set_id] = round_
        if previous is None or previous.id not in touched or round_.learning_set is None:
            continue
        session.expire(previous, ["contributions", "commitments", "offers"])
        round_.opening_note = report_back_note(session, previous, round_.learning_set)
        retold.add(round_.id)
    return retold


def _let_go_inquiry(
    session: Session, member: Member, *, keep: bool, touched: set[int]
) -> list[int]:
    """Their appreciative-inquiry choices and votes: votes go; a topic, theme or proposition
    they proposed stays without their name or goes, as they chose; a retelling of their story
    by their partner goes, or stays without their name. Returns the retellings' ids."""
    session.execute(delete(RoundVote).where(RoundVote.member_id == member.id))
    for choice in session.scalars(select(RoundChoice).where(RoundChoice.member_id == member.id)):
        if keep:
            choice.member_id = None
        else:
            session.delete(choice)
    ids = []
    for row in session.scalars(
        select(RoundContribution).where(RoundContribution.about_id == member.id)
    ):
        touched.add(row.round_id)
        ids.append(row.id)
        if keep and not row.awaiting:
            row.about_id = None
        else:
            session.delete(row)
    return ids


def _leave_commitments(session: Session, member: Member, *, touched: set[int]) -> list[int]:
    """They no longer join anyone's commitment; returns those commitments' ids (their posts
    name who joins)."""
    rows = list(session.scalars(select(RoundJoiner).where(RoundJoiner.member_id == member.id)))
    ids = [j.commitment_id for j in rows]
    for joiner in rows:
        commitment = session.get(RoundCommitment, joiner.commitment_id)
        if commitment is not None:
            touched.add(commitment.round_id)
        session.delete(joiner)
    return ids


def _let_go(
    session: Session,
    rows: Iterable[RoundContribution | RoundCommitment],
    *,
    keep: bool,
    touched: set[int],
) -> list[int]:
    """Each of the member's contributions or commitments: kept without their name (a
    contribution then reads as anonymous), or deleted. Returns their ids; notes their rounds."""
    ids = []
    for row in rows:
        touched.add(row.round_id)
        ids.append(row.id)
        if not keep:
            session.delete(row)
            continue
        row.member_id = None
        if isinstance(row, RoundContribution):
            row.anonymous = True
        elif row.report_visibility != RoundShare.COP:
            row.report = None  # only its owner could read it, and they are gone
    return ids


def member_data(session: Session, member: Member) -> dict[str, object]:
    said = session.execute(
        select(Round.kind, Round.topic, RoundContribution)
        .join(Round, Round.id == RoundContribution.round_id)
        .where(RoundContribution.member_id == member.id)
        .order_by(RoundContribution.id)
    )
    committed = session.execute(
        select(Round.topic, RoundCommitment)
        .join(Round, Round.id == RoundCommitment.round_id)
        .where(RoundCommitment.member_id == member.id)
        .order_by(RoundCommitment.id)
    )
    return {
        "contributions": [
            {
                "round": f"{kind.value}: {topic}",
                "phase": c.phase_index,
                "text": c.text,
                "anonymous": c.anonymous,
                "created_at": c.created_at.isoformat(),
            }
            for kind, topic, c in said
        ],
        "commitments": [
            {
                "round": topic,
                "what": c.what,
                "due_at": c.due_at.isoformat(),
                "report": c.report,
                "report_visibility": c.report_visibility.value,
            }
            for topic, c in committed
        ],
        "proposed": [
            {"kind": c.kind.value, "text": c.text}
            for c in session.scalars(select(RoundChoice).where(RoundChoice.member_id == member.id))
        ],
        "votes": [
            {"kind": c.kind.value, "text": c.text}
            for c in session.scalars(
                select(RoundChoice)
                .join(RoundVote, RoundVote.choice_id == RoundChoice.id)
                .where(RoundVote.member_id == member.id)
            )
        ],
        "my_story_retold": [
            {"text": c.text, "posted": not c.awaiting}
            for c in session.scalars(
                select(RoundContribution).where(RoundContribution.about_id == member.id)
            )
        ],
        "joining": [
            c.what
            for c in session.scalars(
                select(RoundCommitment)
                .join(RoundJoiner, RoundJoiner.commitment_id == RoundCommitment.id)
                .where(RoundJoiner.member_id == member.id)
            )
        ],
        "private_invitations": session.get(RoundOptOut, member.id) is None,
        "rounds_facilitated": list(
            session.scalars(select(Round.topic).where(Round.facilitator_id == member.id))
        ),
        "learning_sets": [
            s.name
            for s in session.scalars(
                select(LearningSet).where(LearningSet.community_id == member.community_id)
            )
            if member.user_id in (s.members or [])
        ],
        "offers_to_present": [
            {"problem": o.problem, "help": o.help_wanted, "status": o.status.value}
            for o in session.scalars(select(SetOffer).where(SetOffer.member_id == member.id))
        ],
        "rounds_presented": list(
            session.scalars(select(Round.topic).where(Round.presenter_id == member.id))
        ),
    }
