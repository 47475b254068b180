"""Starting a round: an appreciative-inquiry round opens at once; an action-learning set opens
at once for a member presenting their own challenge, and otherwise waits for the named
presenter's own yes. Both run only in the CoP's private channel."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.errors import InvalidInput, NotFound
from bot.models import Community, Member, Round, RoundKind, RoundMode, RoundStatus
from bot.services import meetings, membership
from bot.services.rounds.choices import mark_chosen, take_topic
from bot.services.rounds.commitments import report_back
from bot.services.rounds.method import (
    MAX_PHASE_MINUTES,
    TOPIC_MAX,
    by_source_key,
    one_off_phases,
    phases,
    written,
)
from bot.services.rounds.phases import deadline_from, max_minutes


def _minutes(values: list[int], count: int, limit: int = MAX_PHASE_MINUTES) -> list[int]:
    out = [max(0, min(int(v), limit)) for v in values[:count]]
    return out + [0] * (count - len(out))


def round_channel(community: Community, requested: str | None, *, field: str) -> str:
    """Rounds run only in the CoP's private channel, so what is said in them stays among
    members; a form (or a forged payload) asking for any other channel is refused."""
    channel = community.channel_id
    if not channel:
        raise InvalidInput(
            "No CoP channel", {field: "This CoP has no private channel yet, so rounds can't run."}
        )
    if requested and requested != channel:
        raise InvalidInput(
            "Not the CoP channel",
            {"channel": "Rounds run only in the CoP's private channel, among members."},
        )
    return channel


def default_mode(session: Session, community_id: int, now: datetime) -> RoundMode:
    """Live when one of the CoP's meetings is under way now; otherwise asynchronous, so that
    members from Auckland to Los Angeles each take part in their own day."""
    for _meeting, occ in meetings.upcoming(session, community_id, now=now, limit=50):
        if occ.starts_at <= now < occ.ends_at:
            return RoundMode.LIVE
    return RoundMode.ASYNC


def start_ai(
    session: Session,
    *,
    community: Community,
    facilitator: Member,
    topic: str,
    minutes_per_phase: int,
    allow_anonymous: bool,
    now: datetime,
    channel_id: str | None = None,
    source_key: str | None = None,
    mode: RoundMode = RoundMode.LIVE,
    topic_id: int | None = None,
) -> tuple[Round, bool]:
    """Open an appreciative-inquiry round in its first phase, in the CoP's private channel
    (`channel_id` is the one a form asked for); the same submission opens one. Started from
    the topic members chose (`topic_id`), that topic is marked chosen and its votes counted."""
    topic = written(
        topic, field="topic", refusal="Name the topic.", hint="Name what you want more of."
    )
    channel = round_channel(community, channel_id, field="topic")
    existing = by_source_key(session, Round, source_key)
    if existing is not None:
        return existing, False
    chosen = take_topic(session, topic_id, community.id) if topic_id else None
    count = len(phases(RoundKind.AI))
    round_ = Round(
        community_id=community.id,
        kind=RoundKind.AI,
        topic=topic[:TOPIC_MAX],
        facilitator_id=facilitator.id,
        channel_id=channel,
        mode=mode,
        phase_minutes=_minutes([minutes_per_phase] * count, count, max_minutes(mode)),
        phase_index=0,
        phase_started_at=now,
        allow_anonymous=allow_anonymous,
        started_at=now,
        source_key=source_key,
        set_members=[],
        settings={},
    )
    round_.phase_deadline = deadline_from(round_, now)
    session.add(round_)
    session.flush()
    if chosen is not None:
        mark_chosen(session, chosen, round_)
    return round_, True


def set_people(
    session: Session, community_id: int, presenter_id: str, member_ids: list[str]
) -> Member:
    """The presenter a set-up form names, once it and every set member are current members of
    the CoP; a field error names which is not."""
    presenter = membership.get_member(session, community_id, presenter_id)
    if presenter is None or not presenter.is_active:
        raise InvalidInput("Presenter", {"presenter": "Pick a member of the CoP."})
    found = {u: membership.get_member(session, community_id, u) for u in member_ids}
    outsiders = [u for u, m in found.items() if m is None or not m.is_active]
    if outsiders or not member_ids:
        raise InvalidInput("Members", {"members": "Pick members of the CoP."})
    return presenter


def start_als(
    session: Session,
    *,
    community: Community,
    facilitator: Member,
    presenter: Member,
    challenge: str,
    set_member_ids: list[str],
    minutes: list[int],
    now: datetime,
    channel_id: str | None = None,
    source_key: str | None = None,
) -> tuple[Round, bool]:
    """An action-learning set in the CoP's private channel. A member presenting their own
    challenge opens it at once; anyone else named as presenter is asked first, and the set
    waits (proposed) for their yes."""
    challenge = written(
        challenge,
        field="challenge",
        refusal="Describe the challenge.",
        hint="A sentence or two, please.",
    )
    channel = round_channel(community, channel_id, field="challenge")
    existing = by_source_key(session, Round, source_key)
    if existing is not None:
        return existing, False
    steps = [[i, presenter.id] for i in one_off_phases()]
    count = len(steps)
    members = [u for u in dict.fromkeys(set_member_ids) if u and u != presenter.user_id]
    own = presenter.id == facilitator.id
    round_ = Round(
        community_id=community.id,
        kind=RoundKind.ALS,
        topic=challenge[:TOPIC_MAX],
        facilitator_id=facilitator.id,
        presenter_id=presenter.id,
        set_members=members,
        channel_id=channel,
        phase_minutes=_minutes(minutes, count),
        phase_index=0,
        phase_started_at=now,
        started_at=now,
        source_key=source_key,
        status=RoundStatus.RUNNING if own else RoundStatus.PROPOSED,
        settings={"plan": steps},
    )
    if own:
        _begin(session, round_, presenter, now)
    session.add(round_)
    session.flush()
    return round_, True


# -- the named presenter's yes -----------------------------------------------------------------


def _begin(session: Session, round_: Round, presenter: Member, now: datetime) -> None:
    """The set starts now, opening with the presenter's report-back from last time."""
    round_.status = RoundStatus.RUNNING
    round_.phase_index = 0
    round_.phase_started_at = now
    round_.started_at = now
    round_.phase_deadline = deadline_from(round_, now)
    round_.opening_note = report_back(session, presenter)


def answer_presenter(
    session: Session, round_: Round, member: Member, *, yes: bool, now: datetime
) -> bool:
    """The named presenter's own answer: yes starts the set, no means it never runs (and what
    was written about them goes). False when the set is no longer waiting for an answer."""
    if round_.kind != RoundKind.ALS or round_.presenter_id != member.id:
        raise NotFound("That request isn't yours to answer.")
    if round_.status != RoundStatus.PROPOSED:
        return False
    if yes:
        _begin(session, round_, member, now)
    else:
        call_off(round_, now)
    session.flush()
    return True


def call_off(round_: Round, now: datetime, *, withdrawn: bool = False) -> None:
    """The set never runs: declined by its presenter, or withdrawn because who asked (or who
    was asked) is gone; what was written about the presenter goes with it."""
    if withdrawn:
        round_.settings = {**(round_.settings or {}), "withdrawn": True}
    round_.status = RoundStatus.DECLINED
    round_.closed_at = now
    round_.topic = ""
    round_.set_members = []
    round_.opening_note = ""


def mark_presenter_asked(session: Session, round_id: int) -> None:
    round_ = session.get(Round, round_id)
    if round_ is not None:
        round_.settings = {**(round_.settings or {}), "presenter_asked": True}
        session.flush()


def awaiting_ask(round_: Round) -> bool:
    """A proposed set whose presenter has not been asked yet."""
    return round_.status == RoundStatus.PROPOSED and not (round_.settings or {}).get(
        "presenter_asked"
    )
