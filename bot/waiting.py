"""Work that waits in the outbox until a person mends what stops it.

Some of Slack's refusals are nobody's bug: Kettle is not in the channel yet, the channel was
archived, a permission is missing from the install, an account was deactivated. A send refused so
keeps its ledger row pending with what to post (`deliver_or_wait`), the people who can mend it are
told in plain words (`tell_convenors`, wording in prompts/doctor.toml), and `release` sends it
once it can be done: when Kettle is invited (the member_joined_channel event for Kettle itself)
and on a periodic retry (`bot/schedules/outbox.py`). The ledger's key and claim keep it to once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

import prompts
from bot.db import SessionFactory, unit_of_work
from bot.delivery import Outcome, Sender
from bot.models import Community, Delivery, DeliveryStatus, Member, MemberStatus
from bot.services import membership

log = logging.getLogger(__name__)

# Refusals about a channel, the install, or a person: each mended by someone, never by retrying.
CHANNEL_ERRORS = frozenset(
    {"not_in_channel", "channel_not_found", "is_archived", "restricted_action"}
)
INSTALL_ERRORS = frozenset({"missing_scope", "account_inactive"})
PERSON_ERRORS = frozenset(
    {"user_disabled", "cant_invite", "user_is_restricted", "ura_max_channels"}
)
MENDABLE = CHANNEL_ERRORS | INSTALL_ERRORS | PERSON_ERRORS


@dataclass(frozen=True)
class Waiting:
    """A send Slack refused for a reason a person can mend; its ledger row waits."""

    key: str
    channel: str
    error: str
    scope: str | None = None


def mendable(exc: BaseException) -> str | None:
    """The error code of a Slack refusal a person can mend, or None."""
    if not isinstance(exc, SlackApiError):
        return None
    error = str(exc.response.get("error") or "")
    return error if error in MENDABLE else None


def _mark_waiting(session: Session, key: str, error: str) -> None:
    """The ledger row says what it waits on (the sender records it too; this keeps the outbox's
    notion of waiting independent of how a send records its failures)."""
    session.execute(
        update(Delivery)
        .where(Delivery.key == key, Delivery.status == DeliveryStatus.PENDING)
        .values(last_error=error)
    )


def deliver_or_wait(
    sender: Sender,
    key: str,
    channel: str,
    *,
    text: str,
    blocks: list[dict[str, Any]] | None = None,
    thread_ts: str | None = None,
) -> Outcome | Waiting:
    """`Sender.deliver`, except that a refusal a person can mend leaves the message waiting in
    the outbox (its payload kept on the ledger row) instead of raising."""
    try:
        return sender.deliver(key, channel, text=text, blocks=blocks, thread_ts=thread_ts)
    except SlackApiError as exc:
        error = mendable(exc)
        if error is None:
            raise
        payload: dict[str, Any] = {"text": text, "blocks": blocks}
        if thread_ts:
            payload["thread_ts"] = thread_ts
        with unit_of_work(sender.session_factory) as session:
            _mark_waiting(session, key, error)
            session.execute(
                update(Delivery)
                .where(Delivery.key == key, Delivery.payload.is_(None))
                .values(payload=payload)
            )
        log.info("%s waits in the outbox: %s in %s", key, error, channel)
        return Waiting(key, channel, error, exc.response.get("needed"))


def deliver_queued_or_wait(
    sender: Sender, key: str, *, community_id: int, what: str
) -> Outcome | Waiting | None:
    """`Sender.deliver_queued` (its payload is already on the ledger row), except that a
    refusal a person can mend leaves it waiting and tells the community's convenors."""
    try:
        return sender.deliver_queued(key)
    except SlackApiError as exc:
        error = mendable(exc)
        if error is None:
            raise
        with unit_of_work(sender.session_factory) as session:
            _mark_waiting(session, key, error)
            channel = session.scalar(select(Delivery.channel).where(Delivery.key == key)) or ""
        blocked = Waiting(key, channel, error, exc.response.get("needed"))
        tell_convenors(
            sender, sender.session_factory, blocked, community_id=community_id, what=what
        )
        return blocked


# -- what each capability says about its own waiting work ---------------------------------------
Wanted = Callable[[Session, str], bool]
After = Callable[[Sender, str, Outcome], None]
WANTED: dict[str, Wanted] = {}
AFTER: dict[str, After] = {}


def on_release(prefix: str, *, wanted: Wanted | None = None, after: After | None = None) -> None:
    """For keys `<prefix>:…`: `wanted(session, key)` says whether the work is still to be done
    (a story withdrawn meanwhile is not), `after(sender, key, outcome)` does what follows once
    it is out (each follow-up through the ledger, so twice is once)."""
    if wanted is not None:
        WANTED[prefix] = wanted
    if after is not None:
        AFTER[prefix] = after


def waiting_keys(session: Session, *, channel: str | None = None) -> list[str]:
    query = select(Delivery.key).where(
        Delivery.status == DeliveryStatus.PENDING,
        Delivery.payload.is_not(None),
        Delivery.last_error.in_(sorted(MENDABLE)),
    )
    if channel is not None:
        query = query.where(Delivery.channel == channel)
    return list(session.scalars(query.order_by(Delivery.id)))


def waiting_summary(session: Session, *, channels: list[str]) -> tuple[int, str, str] | None:
    """(how many wait, the first one's error, its channel) of what waits for these channels,
    for their convenors' App Home."""
    rows = session.execute(
        select(Delivery.last_error, Delivery.channel)
        .where(
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.payload.is_not(None),
            Delivery.last_error.in_(sorted(MENDABLE)),
            Delivery.channel.in_(channels),
        )
        .order_by(Delivery.id)
    ).all()
    if not rows:
        return None
    return len(rows), str(rows[0][0]), str(rows[0][1])


def sent_ts(session: Session, key: str) -> str | None:
    """Where a message under this key went (its ts), if it has gone."""
    return session.scalar(
        select(Delivery.message_ts).where(
            Delivery.key == key, Delivery.status == DeliveryStatus.SENT
        )
    )


def release(
    sender: Sender,
    *,
    channel: str | None = None,
    sender_for: Callable[[str | None], Sender | None] | None = None,
) -> int:
    """Try again what waits (in one channel, or everywhere); returns how many this call sent.
    What is still refused keeps waiting; what is no longer wanted is cancelled. `sender_for`
    (installed in several workspaces) gives each message its own workspace's sender."""
    with unit_of_work(sender.session_factory) as session:
        keys = waiting_keys(session, channel=channel)
    sent = 0
    base = sender
    for key in keys:
        if sender_for is not None:
            routed = sender_for(base.team_of(key))
            if routed is None:
                continue  # Kettle is not installed there (any more)
            sender = routed
        prefix = key.split(":", 1)[0]
        wanted = WANTED.get(prefix)
        if wanted is not None:
            with unit_of_work(sender.session_factory) as session:
                still = wanted(session, key)
            if not still:
                sender.cancel(key)
                continue
        try:
            outcome = sender.deliver_queued(key)
        except SlackApiError as exc:
            if mendable(exc) is None:
                log.warning("outbox: %s still cannot go: %s", key, exc.response.get("error"))
            continue
        except Exception:
            log.exception("outbox: could not send %s yet; will try again", key)
            continue
        if outcome is None or outcome.status != DeliveryStatus.SENT:
            continue
        sent += int(outcome.sent)
        after = AFTER.get(prefix)
        if after is not None:
            try:
                after(sender, key, outcome)
            except Exception:
                log.exception("outbox: what follows %s failed", key)
    if sent:
        log.info("outbox: %d message(s) that waited have gone out", sent)
    return sent


# -- telling the people who can mend it ----------------------------------------------------------
def _values(waiting: Waiting, what: str, channel: str | None = None) -> dict[str, str]:
    """The sentence's placeholders: a waiting DM is about a person, anything else a channel;
    `channel` names the channel when the work concerned a person in one (an invitation)."""
    target = waiting.channel
    is_person = target.startswith(("U", "W"))
    where = channel or ("" if is_person else target)
    return {
        "what": what or "a message from Kettle",
        "channel": f"<#{where}>" if where else f"<@{target}>'s DM",
        "person": f"<@{target}>" if is_person else "someone",
        "scope": waiting.scope or "?",
    }


def _communities_of(session: Session, channel: str) -> list[int]:
    """The communities a waiting message belongs to: the one whose channel it is, or, for a
    DM, each the person is a member of."""
    if channel.startswith(("U", "W")):
        return list(
            session.scalars(
                select(Member.community_id).where(
                    Member.user_id == channel, Member.status == MemberStatus.ACTIVE
                )
            )
        )
    return list(
        session.scalars(
            select(Community.id).where(
                or_(Community.channel_id == channel, Community.movement_channel_id == channel)
            )
        )
    )


def tell_whoever_can_mend(sender: Sender, *, limit: int = 200) -> int:
    """Whatever waits that nobody has been told about yet (a send from a schedule, a DM to an
    account since deactivated): the convenors of the community it belongs to hear, once.
    Returns how many waiting messages were told about."""
    with unit_of_work(sender.session_factory) as session:
        rows = session.execute(
            select(Delivery.key, Delivery.channel, Delivery.last_error)
            .where(
                Delivery.status == DeliveryStatus.PENDING,
                Delivery.last_error.in_(sorted(MENDABLE)),
                ~Delivery.key.startswith("mend:", autoescape=True),
            )
            .order_by(Delivery.id.desc())
            .limit(limit)
        ).all()
        untold = []
        for key, channel, error in rows:
            told = session.scalar(
                select(Delivery.id)
                .where(Delivery.key.startswith(f"mend:{key}:", autoescape=True))
                .limit(1)
            )
            if told is None:
                communities = _communities_of(session, channel)
                untold.append((key, channel, error, communities))
    whats = prompts.load("doctor").get("what", {})
    count = 0
    for key, channel, error, communities in untold:
        what = str(whats.get(key.split(":", 1)[0]) or whats.get("other") or "")
        for community_id in communities:
            tell_convenors(
                sender,
                sender.session_factory,
                Waiting(key, channel, str(error)),
                community_id=community_id,
                what=what,
            )
        count += 1
    return count


def _argument(exc: SlackApiError, name: str) -> str | None:
    """An argument of the refused call (`channel`, `users`), from the request Slack answered."""
    req_args = getattr(exc.response, "req_args", None) or {}
    for part in ("json", "data", "params"):
        value = (req_args.get(part) or {}).get(name)
        if value:
            return str(value).split(",")[0]
    return None


def refusal_sentence(exc: SlackApiError) -> str | None:
    """The plain sentence for the person whose request Slack refused, or None."""
    error = mendable(exc)
    if error is None:
        return None
    sentence = prompts.load("doctor")["told"].get(error)
    if not sentence:
        return None
    channel = _argument(exc, "channel")
    person = _argument(exc, "users") or _argument(exc, "user")
    return str(sentence).format(
        channel=f"<#{channel}>" if channel and channel[0] in "CG" else "that channel",
        person=f"<@{person}>" if person else "that person",
        scope=exc.response.get("needed") or "?",
    )


def words(error: str) -> dict[str, str]:
    return dict(prompts.load("doctor")["mend"].get(error, {}))


def actor_sentence(waiting: Waiting, what: str) -> str | None:
    """What to say to the person whose action waits (None when nobody but the convenors can
    be told anything useful)."""
    sentence = words(waiting.error).get("to_actor")
    return sentence.format(**_values(waiting, what)) if sentence else None


def tell_convenors(
    sender: Sender,
    session_factory: SessionFactory,
    waiting: Waiting,
    *,
    community_id: int,
    what: str,
    channel: str | None = None,
) -> list[str]:
    """Each convenor of the community hears, once per waiting message, what stops it and how
    to mend it. Returns whom it told."""
    sentence = words(waiting.error).get("to_convenors")
    if not sentence:
        return []
    with unit_of_work(session_factory) as session:
        convenors = membership.convenor_ids(session, community_id)
    text = sentence.format(**_values(waiting, what, channel))
    told = []
    for convenor in convenors:
        try:
            sender.deliver(f"mend:{waiting.key}:{convenor}", convenor, text=text)
            told.append(convenor)
        except SlackApiError as exc:
            log.warning("could not tell %s about %s: %s", convenor, waiting.key, exc.response)
    return told
