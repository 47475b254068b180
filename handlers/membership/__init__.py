"""Curating the group: applying, reviewing, profiles, roles, data rights, and keeping the CoP
channel in step with membership. Each concern has its module; this one registers them."""

from __future__ import annotations

from slack_bolt import App

from bot.builders.ids import Command, CommunityIds, MembershipIds
from bot.errors import KettleError
from handlers import registry
from handlers.home import add_outsider_section, add_section
from handlers.membership.apply import (
    cop_join,
    cop_norms,
    on_apply_button,
    on_apply_submitted,
)
from handlers.membership.channel import on_member_joined, on_member_left
from handlers.membership.home import (
    membership_home_section,
    outsider_home_section,
)
from handlers.membership.profile import (
    cop_members,
    cop_profile,
    on_profile_button,
    on_profile_submitted,
)
from handlers.membership.review import (
    cop_log,
    cop_review,
    on_review_button,
    on_review_submitted,
)
from handlers.membership.rights import (
    cop_forget,
    cop_leave,
    cop_mydata,
    forget_listener,
    on_leave_button,
)
from handlers.membership.roles import cop_capacity, cop_convenor, cop_remove
from handlers.membership.setup import cop_setup, on_setup_join, on_setup_submitted
from handlers.middleware import convenors_only, members_only


def register(app: App) -> None:
    registry.event(app, "member_joined_channel", on_member_joined)
    registry.event(app, "member_left_channel", on_member_left)
    app.action(MembershipIds.APPLY_BUTTON)(on_apply_button)
    app.view(MembershipIds.APPLY_MODAL)(on_apply_submitted)
    app.action(MembershipIds.REVIEW_BUTTON, middleware=[convenors_only])(on_review_button)
    app.view(MembershipIds.REVIEW_MODAL, middleware=[convenors_only])(on_review_submitted)
    app.action(MembershipIds.PROFILE_BUTTON, middleware=[members_only])(on_profile_button)
    app.view(MembershipIds.PROFILE_MODAL, middleware=[members_only])(on_profile_submitted)
    app.action(MembershipIds.LEAVE_BUTTON, middleware=[members_only])(on_leave_button)
    app.action(MembershipIds.FORGET_DELETE_BUTTON)(forget_listener(keep=False))
    app.action(MembershipIds.FORGET_KEEP_BUTTON)(forget_listener(keep=True))
    # Set up checks who may itself: a workspace admin (users.info) or the CoP's convenor.
    app.view(CommunityIds.SETUP_MODAL)(on_setup_submitted)
    app.action(CommunityIds.SETUP_JOIN)(on_setup_join)
    add_section(10, "membership", membership_home_section)
    add_outsider_section("membership", outsider_home_section)
    register_cop_words(app)


def register_cop_words(app: App) -> None:
    """`/cop` words for membership; access is checked by the dispatcher before each runs."""
    cop = Command.COP.value
    words = [
        ("setup", cop_setup, registry.ANYONE, "— set this CoP up (admins and convenors)"),
        ("join", cop_join, registry.ANYONE, "— apply to join the Community of Practice"),
        ("norms", cop_norms, registry.ANYONE, "— our norms and what we look for in members"),
        ("mydata", cop_mydata, registry.ANYONE, "— everything Kettle holds about you, as a file"),
        ("forget", cop_forget, registry.ANYONE, "— ask Kettle to forget you"),
        ("profile", cop_profile, registry.MEMBER, "— see and edit your profile"),
        ("members", cop_members, registry.MEMBER, "— who's in the group, and its mix"),
        ("leave", cop_leave, registry.MEMBER, "— leave the Community of Practice"),
        ("review", cop_review, registry.CONVENOR, "— applications waiting for a decision"),
        ("applications", cop_review, registry.CONVENOR, "— same as review"),
        ("log", cop_log, registry.CONVENOR, "— every membership decision, who made it and why"),
        ("capacity", cop_capacity, registry.CONVENOR, "[N] — see or set the group's size"),
        ("convenor", cop_convenor, registry.CONVENOR, "appoint|standdown @name"),
        ("remove", cop_remove, registry.CONVENOR, "@name reason — end someone's membership"),
    ]
    for word, listener, access, usage in words:
        registry.subcommand(app, cop, word, listener, access=access, usage=usage)


__all__ = ["KettleError", "register"]
