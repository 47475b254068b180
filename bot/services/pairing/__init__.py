"""One-to-one pairing: the capability's one public face. Each concern has its module:

- `preferences`: a member's choices (taking part, pausing, skipping, avoiding someone)
- `grouping`: a fair, private, deterministic way to group people
- `periods`: one pairing round a period, who takes part, and making it
- `followups`: introducing each group and asking whether they met
- `stats`: the meeting rate for convenors, counts only
- `forget`: forget-me and my data
"""

from __future__ import annotations

from bot.services.pairing.followups import (
    ProfileSource,
    _profile_sources,
    add_profile_source,
    groups_to_follow_up,
    groups_to_introduce,
    mark_group,
    profile_text,
    record_met,
)
from bot.services.pairing.forget import forget_member, member_data
from bot.services.pairing.grouping import (
    LEAVE_OUT_COST,
    RECENT_COST,
    REPEAT_COST,
    SEARCH_BUDGET,
    Pair,
    forbidden_pairs,
    history_costs,
    make_groups,
)
from bot.services.pairing.periods import (
    ANCHOR,
    PairingConfig,
    config_from,
    eligible,
    next_round_number,
    round_number,
    run_round,
)
from bot.services.pairing.preferences import (
    Choices,
    avoid,
    avoided_by,
    choices,
    declines_pairing,
    existing_preference,
    member_named,
    preference,
    set_opted_in,
    set_paused,
    skip_next,
    unavoid,
)
from bot.services.pairing.stats import PairingStats, stats

__all__ = [
    "ANCHOR",
    "LEAVE_OUT_COST",
    "RECENT_COST",
    "REPEAT_COST",
    "SEARCH_BUDGET",
    "Choices",
    "Pair",
    "PairingConfig",
    "PairingStats",
    "ProfileSource",
    "_profile_sources",
    "add_profile_source",
    "avoid",
    "avoided_by",
    "choices",
    "config_from",
    "declines_pairing",
    "eligible",
    "existing_preference",
    "forbidden_pairs",
    "forget_member",
    "groups_to_follow_up",
    "groups_to_introduce",
    "history_costs",
    "make_groups",
    "mark_group",
    "member_data",
    "member_named",
    "next_round_number",
    "preference",
    "profile_text",
    "record_met",
    "round_number",
    "run_round",
    "set_opted_in",
    "set_paused",
    "skip_next",
    "stats",
    "unavoid",
]
