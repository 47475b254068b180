"""Tea breaks: which meetings get one and when, as the deployment sets it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from bot.services.extra import extra_number


@dataclass(frozen=True)
class MeetingConfig:
    """Tea breaks come in meetings longer than `tea_longer_than` minutes, `tea_at` minutes in
    (halfway when not set)."""

    tea_longer_than: int = 60
    tea_at: int | None = None

    def tea_offset(self, duration: int) -> timedelta | None:
        if duration <= self.tea_longer_than:
            return None
        at = self.tea_at if self.tea_at is not None else duration // 2
        return timedelta(minutes=at) if 0 < at < duration else None


def config_from(extra: Mapping[str, str]) -> MeetingConfig:
    """KETTLE_TEA_BREAK_LONGER_THAN and KETTLE_TEA_BREAK_AT, in minutes; bad values keep defaults."""

    longer = extra_number(extra, "KETTLE_TEA_BREAK_LONGER_THAN")
    return MeetingConfig(
        tea_longer_than=longer if longer is not None else 60,
        tea_at=extra_number(extra, "KETTLE_TEA_BREAK_AT"),
    )
