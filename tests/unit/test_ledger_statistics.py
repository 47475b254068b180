"""A week's ledger written at once is analyzed on PostgreSQL, so that the claims and lookups
that follow are planned on the table's new size (bot/db.py `analyze`)."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine, func, select, text

from bot.db import BULK_ROWS
from bot.delivery import Sender
from bot.models import Delivery
from bot.pacing import PostRateLimiter


def _analyzed(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.scalar(
                text("SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'deliveries'")
            )
        )


def test_a_week_of_ledger_rows_written_at_once_is_analyzed(
    engine: Engine, session_factory: Any
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite plans from its indexes alone")
    sender = Sender(WebClient(token="xoxb-test"), session_factory, limiter=PostRateLimiter(0))
    before = _analyzed(engine)
    few = [(f"checkin:{i}:2026-W14", f"U{i:05d}", None) for i in range(BULK_ROWS - 1)]
    sender.reserve_many(few)
    assert _analyzed(engine) == before  # a handful of rows: autovacuum's to notice
    week = [(f"checkin:{i}:2026-W15", f"U{i:05d}", None) for i in range(BULK_ROWS)]
    sender.reserve_many(week + few)  # the rows written already are not counted again
    assert _analyzed(engine) == before + 1
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Delivery)) == 2 * BULK_ROWS - 1
        estimate = connection.scalar(
            text("SELECT reltuples FROM pg_class WHERE relname = 'deliveries'")
        )
    assert estimate == 2 * BULK_ROWS - 1  # the planner knows the table's size
