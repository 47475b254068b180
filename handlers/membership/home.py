"""Membership on the App Home: the group's mix, the convenor's applications, the Apply button."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot.builders import membership as builders
from bot.models import Community
from bot.services import membership
from bot.services.membership import Viewer
from handlers.membership.common import community_of


def membership_home_section(session: Session, viewer: Viewer) -> list[dict[str, Any]]:
    community = community_of(session, viewer)
    member = membership.get_member(session, community.id, viewer.user_id)
    has_profile = member is not None and membership.get_profile(session, member) is not None
    members = membership.active_count(session, community.id)
    blocks = builders.member_section(
        membership.directory_mix(session, community.id), members, has_profile
    )
    if viewer.is_convenor:
        blocks = convenor_blocks(session, community) + blocks
    return blocks


def convenor_blocks(
    session: Session, community: Community, *, offset: int = 0
) -> list[dict[str, Any]]:
    """A page of the applications waiting, from `offset`."""
    open_apps = membership.open_applications(session, community.id)
    # Only the cards shown are built, the group's mix read once for all of them.
    page = open_apps[offset : offset + builders.SHOWN_CARDS]
    mixes = membership.group_mixes(session, community.id, [a.answers for a in page])
    cards = [application_card(a, mix) for a, mix in zip(page, mixes, strict=True)]
    return builders.convenor_section(
        cards,
        waiting=len(open_apps),
        members=membership.member_count(session, community.id),
        capacity=membership.capacity(community),
        offset=offset,
    )


def application_card(application: Any, mix: list[Any]) -> list[dict]:
    met = membership.criteria_met(application.answers)
    checkable = [ok for _c, ok in met if ok is not None]
    met_text = f"meets {sum(1 for ok in checkable if ok)} of {len(checkable)} criteria"
    return builders.application_card(application, mix, met_text)


def outsider_home_section(session: Session, viewer: Viewer) -> list[dict[str, Any]]:
    if not viewer.community_id:
        return []
    return builders.outsider_section(
        membership.open_application(session, viewer.community_id, viewer.user_id)
    )
