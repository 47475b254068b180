"""Every model, imported here so Alembic and the app see the whole schema."""

from bot.models.base import Base, UTCDateTime, utcnow
from bot.models.checkins import Checkin, CheckinPause, CheckinStatus, Visibility
from bot.models.core import (
    Community,
    Delivery,
    DeliveryStatus,
    Member,
    MemberStatus,
    ProcessedRequest,
    Role,
)
from bot.models.stories import Consent, Story, StoryKind

__all__ = [
    "Base",
    "Checkin",
    "CheckinPause",
    "CheckinStatus",
    "Community",
    "Consent",
    "Delivery",
    "DeliveryStatus",
    "Member",
    "MemberStatus",
    "ProcessedRequest",
    "Role",
    "Story",
    "StoryKind",
    "UTCDateTime",
    "Visibility",
    "utcnow",
]
