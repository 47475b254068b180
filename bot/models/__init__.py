"""Every model, imported here so Alembic and the app see the whole schema."""

from bot.models.base import Base, UTCDateTime, utcnow
from bot.models.core import (
    Community,
    Delivery,
    DeliveryStatus,
    Member,
    MemberStatus,
    ProcessedRequest,
    Role,
)
from bot.models.membership import (
    Application,
    ApplicationStatus,
    Decision,
    DecisionKind,
    Profile,
)
from bot.models.stories import Consent, Story, StoryKind

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
    "Member",
    "MemberStatus",
    "ProcessedRequest",
    "Profile",
    "Role",
    "Story",
    "StoryKind",
    "UTCDateTime",
    "utcnow",
]
