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
from bot.models.knowledge import (
    Callout,
    CalloutAnswer,
    CalloutStatus,
    Digest,
    Pick,
    Publication,
    PublicationStatus,
    StoryFile,
    Tip,
)
from bot.models.stories import Consent, Story, StoryKind

__all__ = [
    "Base",
    "Callout",
    "CalloutAnswer",
    "CalloutStatus",
    "Community",
    "Consent",
    "Delivery",
    "DeliveryStatus",
    "Digest",
    "Member",
    "MemberStatus",
    "Pick",
    "ProcessedRequest",
    "Publication",
    "PublicationStatus",
    "Role",
    "Story",
    "StoryFile",
    "StoryKind",
    "Tip",
    "UTCDateTime",
    "utcnow",
]
