"""A JSON snapshot of what Kettle stores, for backups and audits."""

from __future__ import annotations

import base64
import enum
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import __version__
from bot.models import Base, utcnow

SKIPPED_TABLES = {"processed_requests"}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def export_all(session: Session, *, community_id: int | None = None) -> dict[str, Any]:
    """Every table Kettle's models define, row by row; filtered to one community when asked."""
    tables: dict[str, list[dict[str, Any]]] = {}
    for table in Base.metadata.sorted_tables:
        if table.name in SKIPPED_TABLES:
            continue
        query = select(table)
        if community_id is not None:
            if "community_id" in table.c:
                query = query.where(table.c.community_id == community_id)
            elif table.name == "communities":
                query = query.where(table.c.id == community_id)
        if "id" in table.c:
            query = query.order_by(table.c.id)
        rows = session.execute(query).mappings().all()
        tables[table.name] = [{k: _plain(v) for k, v in row.items()} for row in rows]
    return {"kettle_version": __version__, "exported_at": utcnow().isoformat(), "tables": tables}
