"""Setting a CoP up from Slack (`/cop setup`): who may, the community its private channel
holds, the movement's channel and the convenors, and what is left to do."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.errors import InvalidInput
from bot.models import Community, DecisionKind, Member, Role
from bot.services.membership.communities import community_for_channel
from bot.services.membership.decisions import log_decision
from bot.services.membership.roster import (
    SlackProfile,
    active_members,
    admit,
    convenors,
    get_member,
)


@dataclass(frozen=True)
class ChannelFacts:
    """What Slack's conversations.info says of a channel, as far as setting up needs."""

    channel_id: str
    found: bool  # False: channel_not_found (a private channel Kettle is not in looks so)
    name: str = ""
    is_private: bool = False
    is_archived: bool = False
    kettle_in: bool = False


class Refusal(enum.StrEnum):
    """Why `/cop setup` will not run here; each has its sentence in prompts/membership.toml."""

    NOT_A_CHANNEL = "not_a_channel"
    KETTLE_NOT_IN = "kettle_not_in"
    PUBLIC = "public"
    ARCHIVED = "archived"
    NOT_ALLOWED = "not_allowed"


def channel_refusal(facts: ChannelFacts) -> Refusal | None:
    """Why a channel cannot hold a CoP, or None when it can: private, open, Kettle in it."""
    if facts.channel_id.startswith("D"):
        return Refusal.NOT_A_CHANNEL
    if not facts.found:
        return Refusal.KETTLE_NOT_IN
    if not facts.is_private:
        return Refusal.PUBLIC
    if facts.is_archived:
        return Refusal.ARCHIVED
    if not facts.kettle_in:
        return Refusal.KETTLE_NOT_IN
    return None


def may_set_up(
    session: Session,
    channel_id: str,
    user_id: str,
    *,
    is_admin: bool,
    seed_convenors: Iterable[str] = (),
) -> bool:
    """A workspace admin or owner always; a convenor of the channel's CoP; for a channel with
    no CoP yet, a first convenor the operator named (KETTLE_CONVENORS). Nobody else."""
    if is_admin:
        return True
    community = community_for_channel(session, channel_id)
    if community is None:
        return user_id in set(seed_convenors)
    member = get_member(session, community.id, user_id)
    return member is not None and member.is_convenor


def _slug_for(session: Session, channel_id: str) -> str:
    base = "cop-" + re.sub(r"[^a-z0-9]+", "-", channel_id.lower()).strip("-")
    slug, n = base[:60], 1
    while session.scalar(select(Community.id).where(Community.slug == slug)) is not None:
        n += 1
        slug = f"{base[:56]}-{n}"
    return slug


def title_of(channel_name: str) -> str:
    """A CoP's first name, from its channel's: `peoples-cop` becomes `Peoples cop`."""
    words = re.sub(r"[-_]+", " ", channel_name).strip()
    return (words[:1].upper() + words[1:]) if words else "Community of Practice"


def set_up_community(
    session: Session,
    facts: ChannelFacts,
    *,
    team_id: str | None,
    by: SlackProfile,
    name_given: bool = False,
) -> tuple[Community, bool]:
    """The community this private channel holds, and whether this call made it.

    A channel that holds a CoP keeps it (setup again updates it). Otherwise a community the
    environment seeded without a channel takes this one (and its channel's name, unless the
    environment gave a name: `name_given`); else a new community is made, named after its
    channel. Whoever set it up is its first convenor until they choose the convenors."""
    community = community_for_channel(session, facts.channel_id)
    created = False
    if community is None:
        community = session.scalars(
            select(Community).where(Community.channel_id.is_(None)).order_by(Community.id)
        ).first()
        if community is not None and not name_given:
            community.name = title_of(facts.name)
    if community is None:
        community = Community(
            slug=_slug_for(session, facts.channel_id), name=title_of(facts.name), settings={}
        )
        session.add(community)
        created = True
    community.channel_id = facts.channel_id
    if team_id and not community.team_id:
        community.team_id = team_id
    session.flush()
    if not convenors(session, community.id):
        admit(session, community, by, role=Role.CONVENOR)
    return community, created


def record_setup(
    session: Session,
    community: Community,
    *,
    movement_channel_id: str | None,
    chosen: list[SlackProfile],
    actor_user_id: str,
) -> list[Member]:
    """Save the movement's channel and make exactly the chosen people the convenors: those
    chosen are admitted as convenors, convenors not chosen become members again. Logged."""
    if movement_channel_id and movement_channel_id == community.channel_id:
        raise InvalidInput("Choose the movement's channel, not the CoP's own private channel.")
    people = [p for p in chosen if not p.is_bot and not p.deleted]
    if not people:
        raise InvalidInput("Choose at least one convenor (people, not apps).")
    community.movement_channel_id = movement_channel_id or community.movement_channel_id
    actor = get_member(session, community.id, actor_user_id)
    chosen_ids = {p.user_id for p in people}
    for profile in people:
        existing = get_member(session, community.id, profile.user_id)
        if existing is not None and existing.is_convenor:
            continue
        member = admit(session, community, profile, role=Role.CONVENOR)
        log_decision(
            session,
            community,
            DecisionKind.APPOINTED,
            subject_user_id=member.user_id,
            subject_name=member.name,
            actor=actor,
            reason="set up with /cop setup",
        )
    for member in convenors(session, community.id):
        if member.user_id not in chosen_ids:
            member.role = Role.MEMBER
            log_decision(
                session,
                community,
                DecisionKind.STOOD_DOWN,
                subject_user_id=member.user_id,
                subject_name=member.name,
                actor=actor,
                reason="not chosen with /cop setup",
            )
    session.flush()
    return convenors(session, community.id)


class Step(enum.StrEnum):
    """One line of the checklist `/cop setup` ends with."""

    COP_CHANNEL = "cop_channel"
    MOVEMENT_CHOSEN = "movement_chosen"
    MOVEMENT_JOINED = "movement_joined"
    CONVENORS = "convenors"
    MEMBERS = "members"
    CAPACITY = "capacity"


@dataclass(frozen=True)
class Checklist:
    """What is done and what is left for one CoP; `movement` is what Slack says of its
    movement channel (None when none is chosen yet)."""

    community_id: int
    name: str
    channel_id: str | None
    movement: ChannelFacts | None
    convenor_ids: list[str]
    members: int
    capacity_set: bool

    @property
    def done(self) -> dict[Step, bool]:
        joined = bool(self.movement and self.movement.found and self.movement.kettle_in)
        return {
            Step.COP_CHANNEL: bool(self.channel_id),
            Step.MOVEMENT_CHOSEN: self.movement is not None,
            Step.MOVEMENT_JOINED: joined,
            Step.CONVENORS: bool(self.convenor_ids),
            Step.MEMBERS: self.members > len(self.convenor_ids),
            Step.CAPACITY: self.capacity_set,
        }

    @property
    def may_join(self) -> bool:
        """Kettle can join the movement's channel itself (public, not archived, not in it)."""
        m = self.movement
        return bool(m and m.found and not m.is_private and not m.is_archived and not m.kettle_in)


def checklist(session: Session, community: Community, movement: ChannelFacts | None) -> Checklist:
    ids = [m.user_id for m in convenors(session, community.id)]
    return Checklist(
        community_id=community.id,
        name=community.name,
        channel_id=community.channel_id,
        movement=movement,
        convenor_ids=ids,
        members=len(active_members(session, community.id)),
        capacity_set="capacity" in (community.settings or {}),
    )
