"""Membership: who is in the Community of Practice, and in what role; how they apply and are
chosen, their profiles, and their rights over their data.

This is the capability's one public face: everything else imports `from bot.services import
membership` and calls `membership.<name>`. The work is done in a module per concern:
`communities` (which community, its settings), `roster` (members, viewers, admitting, the
channel, leaving and removal), `questions` (what applicants are asked, what the group looks for),
`profiles` (profiles, the directory, the group's mix), `applications` (capacity, applying,
deciding, the waitlist), `decisions` (the decision log), `roles` (appointing and standing down
convenors), `rights` (my data and forget-me) and `guards` (the checks every change makes first).
Modules inside import each other directly, never through this face.
"""

from __future__ import annotations

from bot.services.membership.applications import (
    AlreadyDecided,
    DecisionOutcome,
    capacity,
    check_may_apply,
    decide,
    get_application,
    open_application,
    open_applications,
    record_unapproved_join,
    set_capacity,
    submit_application,
    waitlist,
)
from bot.services.membership.communities import (
    DEFAULT_SLUG,
    communities,
    community_by_id,
    community_for_channel,
    community_for_request,
    configured_community,
    ensure_community,
    is_curated,
    open_community,
)
from bot.services.membership.decisions import (
    decision_log,
    log_decision,
)
from bot.services.membership.guards import (
    LastConvenor,
)
from bot.services.membership.profiles import (
    STARTER_MAX,
    DimensionMix,
    DirectoryEntry,
    MixValue,
    conversation_starter,
    directory,
    get_profile,
    group_mix,
    save_profile,
    shown_answers,
)
from bot.services.membership.questions import (
    Criterion,
    Question,
    criteria,
    criteria_met,
    questions,
    validate_answers,
)
from bot.services.membership.rights import (
    FORMER_MEMBER,
    ForgetScope,
    Forgotten,
    forget,
    forget_scope,
    holds_anything,
    personal_data,
    story_count,
)
from bot.services.membership.roles import (
    appoint,
    stand_down,
)
from bot.services.membership.roster import (
    SlackProfile,
    Viewer,
    active_members,
    admit,
    convenor_ids,
    convenors,
    find_member,
    get_member,
    leave,
    left_channel,
    mark_left,
    member_count,
    refresh_profile,
    remove,
    resolve_viewer,
    seed_convenors,
    sync_members,
    unapproved_in_channel,
    viewer_member,
)

__all__ = [
    "DEFAULT_SLUG",
    "FORMER_MEMBER",
    "STARTER_MAX",
    "AlreadyDecided",
    "Criterion",
    "DecisionOutcome",
    "DimensionMix",
    "DirectoryEntry",
    "ForgetScope",
    "Forgotten",
    "LastConvenor",
    "MixValue",
    "Question",
    "SlackProfile",
    "Viewer",
    "active_members",
    "admit",
    "appoint",
    "capacity",
    "check_may_apply",
    "communities",
    "community_by_id",
    "community_for_channel",
    "community_for_request",
    "configured_community",
    "convenor_ids",
    "convenors",
    "conversation_starter",
    "criteria",
    "criteria_met",
    "decide",
    "decision_log",
    "directory",
    "ensure_community",
    "find_member",
    "forget",
    "forget_scope",
    "get_application",
    "get_member",
    "get_profile",
    "group_mix",
    "holds_anything",
    "is_curated",
    "leave",
    "left_channel",
    "log_decision",
    "mark_left",
    "member_count",
    "open_application",
    "open_applications",
    "open_community",
    "personal_data",
    "questions",
    "record_unapproved_join",
    "refresh_profile",
    "remove",
    "resolve_viewer",
    "save_profile",
    "seed_convenors",
    "set_capacity",
    "shown_answers",
    "stand_down",
    "story_count",
    "submit_application",
    "sync_members",
    "unapproved_in_channel",
    "validate_answers",
    "viewer_member",
    "waitlist",
]
