"""Every model, imported here so Alembic and the app see the whole schema."""

from bot.models.base import (
    Base,
    UTCDateTime,
    utcnow,
)
from bot.models.core import (
    Community,
    Delivery,
    DeliveryStatus,
    Member,
    MemberStatus,
    ProcessedRequest,
    Role,
)
from bot.models.meetings import (
    Meeting,
    MeetingPulse,
    MeetingRsvp,
    MeetingStatus,
    Repeat,
    Rsvp,
)
from bot.models.membership import (
    Application,
    ApplicationStatus,
    Decision,
    DecisionKind,
    Profile,
)
from bot.models.pairing import (
    PairingAvoid,
    PairingGroup,
    PairingGroupMember,
    PairingPreference,
    PairingRound,
)
from bot.models.rounds import (
    Round,
    RoundCommitment,
    RoundContribution,
    RoundKind,
    RoundNote,
    RoundOptOut,
    RoundStatus,
)
from bot.models.stories import (
    Consent,
    Story,
    StoryKind,
)

__all__ = [
    "Application",
    "ApplicationStatus",
    "Base",
    "Community",
    "Consent",
    "Decision",
    "DecisionKind",
    "Delivery",
    "DeliveryStatus",
    "Meeting",
    "MeetingPulse",
    "MeetingRsvp",
    "MeetingStatus",
    "Member",
    "MemberStatus",
    "PairingAvoid",
    "PairingGroup",
    "PairingGroupMember",
    "PairingPreference",
    "PairingRound",
    "ProcessedRequest",
    "Profile",
    "Repeat",
    "Role",
    "Round",
    "RoundCommitment",
    "RoundContribution",
    "RoundKind",
    "RoundNote",
    "RoundOptOut",
    "RoundStatus",
    "Rsvp",
    "Story",
    "StoryKind",
    "UTCDateTime",
    "utcnow",
]
