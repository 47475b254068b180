"""The duties every capability owes to the others, as one registry of hooks: what to delete on
forget-me, what to show in `/cop mydata`, what is held of people who never joined, and the
figures for the health report.

Capabilities import this module, never each other, for these duties; `bot/services/hooks.py`
is the one place that wires each capability's functions in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.models import Member

# -- forget-me and my data -----------------------------------------------------------------------

FORGET_HOOKS: list[Callable[[Session, Member], None]] = []
"""Functions that delete what a capability holds about a member (check-ins, pairings, RSVPs...).
Each runs inside the forget-me unit of work, before the member row goes."""

LEAVE_HOOKS: list[Callable[[Session, Member], object]] = []
"""Functions that act for a capability when a membership ends (they left, were removed, or
left the CoP channel); forget-me runs FORGET_HOOKS instead. Each runs in the same unit of work."""

MYDATA_HOOKS: dict[str, Callable[[Session, Member], Any]] = {}
"""`name: fn(session, member) -> JSON-able`, so `/cop mydata` includes what each capability
holds about a member."""


@dataclass(frozen=True)
class NonMemberHook:
    """What a capability holds of people who never joined (a call-out answer), found one way:
    `holds` lets them in to forget-me and my data, and `forget` and `data` reach the same."""

    holds: Callable[[Session, int, str], bool]
    forget: Callable[[Session, int, str], None]
    data: Callable[[Session, int, str], Any]


NON_MEMBER_HOOKS: dict[str, NonMemberHook] = {}
"""`name: NonMemberHook`, called with (session, community id, Slack user id); `data` lands
under `name` in `/cop mydata`, as a member's MYDATA_HOOKS entry of the same name does."""


# -- the health report ---------------------------------------------------------------------------


@dataclass
class HealthFigures:
    """What one capability knows about the CoP's health over the report's window.

    `activity` counts each member's contributions (by Slack user id), `last_active` their latest
    one; both feed the participation tiers and name people, so they come only from what members
    did where the convenors could see their name. `rates` are fractions 0..1 shown as
    percentages, each over what members shared; `counted` says how many different members each
    rate stands on, and a rate over fewer than `privacy.MIN_SHARED` is not shown.
    """

    activity: dict[str, int] = field(default_factory=dict)
    last_active: dict[str, datetime] = field(default_factory=dict)
    rates: dict[str, float | None] = field(default_factory=dict)
    counted: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


HealthProvider = Callable[[Session, int, datetime, datetime], HealthFigures]
"""`provider(session, community_id, since, now)`: figures from `since` to `now`."""

HEALTH_PROVIDERS: list[HealthProvider] = []


def register_health_provider(provider: HealthProvider) -> HealthProvider:
    """Registering twice is once."""
    if provider not in HEALTH_PROVIDERS:
        HEALTH_PROVIDERS.append(provider)
    return provider
