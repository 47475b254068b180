"""A JSON snapshot of what Kettle stores, for backups and audits."""

from __future__ import annotations

import base64
import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, false, or_, select
from sqlalchemy.orm import Session, joinedload

from bot import __version__
from bot.models import Base, Story, StoryFile, utcnow
from bot.models.workspaces import SECRET_COLUMNS, SECRET_LEFT_OUT
from bot.services import stories
from bot.services.knowledge.gate import (
    answer_for,
    author_name,
    author_user_id,
    library_facts,
    may_go_to_movement,
)
from bot.text import csv_cell, markdown, markdown_line

SKIPPED_TABLES = {"processed_requests"}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):  # a meeting's day, a holiday pause's last day
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def _in_community(
    session: Session, table: Table, community_id: int, kept: dict[str, set[Any]]
) -> ColumnElement[bool]:
    """Which rows of `table` belong to the community: its own column, else a parent's row kept
    (a pulse by its meeting, a pause by its member), else for the ledger a message addressed to
    one of its people or channels. Every table is scoped: nothing of another CoP comes along."""
    if table.name == "communities":
        return table.c.id == community_id
    if "community_id" in table.c:
        return table.c.community_id == community_id
    parents = [
        fk.parent.in_(kept[fk.column.table.name])
        for fk in table.foreign_keys
        if fk.column.table.name in kept
    ]
    if parents:
        return or_(*parents)
    if table.name == "deliveries":
        return table.c.channel.in_(_own_addresses(session, community_id))
    return false()


def _own_addresses(session: Session, community_id: int) -> set[str]:
    """The community's addresses that no other CoP of the install shares: a message to a person
    in two CoPs, or to a movement channel two CoPs post in, cannot say which CoP it was for,
    so it comes along with neither CoP's export (a full backup has it)."""
    from bot.models import Community

    others = session.scalars(select(Community.id).where(Community.id != community_id))
    shared: set[str] = set()
    for other in others:
        shared |= _addresses(session, other)
    return _addresses(session, community_id) - shared


def _addresses(session: Session, community_id: int) -> set[str]:
    from bot.models import Community, Meeting, Member, PairingGroup, PairingRound, Round

    community = session.get(Community, community_id)
    found = (
        {c for c in (community.channel_id, community.movement_channel_id) if c}
        if community
        else set()
    )
    found |= set(session.scalars(select(Member.user_id).where(Member.community_id == community_id)))
    found |= set(
        session.scalars(select(Meeting.channel_id).where(Meeting.community_id == community_id))
    )
    found |= set(
        session.scalars(select(Round.channel_id).where(Round.community_id == community_id))
    )
    found |= {
        c
        for c in session.scalars(
            select(PairingGroup.channel_id)
            .join(PairingRound, PairingRound.id == PairingGroup.round_id)
            .where(PairingRound.community_id == community_id)
        )
        if c
    }
    return found


def _secrets_left_out(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """The row with each secret it holds (a token, an install link's state) replaced by a
    marker; an empty one stays empty."""
    secret = SECRET_COLUMNS.get(table.name, ())
    return {k: SECRET_LEFT_OUT if k in secret and v is not None else v for k, v in row.items()}


def export_all(
    session: Session, *, community_id: int | None = None, with_secrets: bool = False
) -> dict[str, Any]:
    """Every table Kettle's models define, row by row; filtered to one community when asked.
    The workspaces' tokens and install states are left out unless `with_secrets`: a backup
    file travels further than the database."""
    tables: dict[str, list[dict[str, Any]]] = {}
    kept: dict[str, set[Any]] = {}  # the ids of the rows kept, by table, to scope their children
    for table in Base.metadata.sorted_tables:
        if table.name in SKIPPED_TABLES:
            continue
        query = select(table)
        if community_id is not None:
            query = query.where(_in_community(session, table, community_id, kept))
        if "id" in table.c:
            query = query.order_by(table.c.id)
        rows = session.execute(query).mappings().all()
        plain = [{k: _plain(v) for k, v in row.items()} for row in rows]
        tables[table.name] = plain if with_secrets else [_secrets_left_out(table, r) for r in plain]
        if "id" in table.c:
            kept[table.name] = {row["id"] for row in rows}
    secrets: dict[str, Any] = {"included": with_secrets}
    if not with_secrets:
        secrets["left_out"] = [f"{t}.{c}" for t, cols in SECRET_COLUMNS.items() for c in cols]
        secrets["marker"] = SECRET_LEFT_OUT
    return {
        "kettle_version": __version__,
        "exported_at": utcnow().isoformat(),
        "secrets": secrets,
        "tables": tables,
    }


# -- the library, for backup or for sharing ------------------------------------------------------

BACKUP = "backup"
SHARING = "sharing"
PURPOSES = (BACKUP, SHARING)
FORMATS = ("json", "csv", "markdown")
CSV_FIELDS = ("id", "title", "kind", "themes", "consent", "author", "created_at", "callout", "body")


def library_rows(
    session: Session, *, community_id: int | None = None, purpose: str = SHARING
) -> list[dict[str, Any]]:
    """The story library as plain rows.

    For *backup* (the operator's private copy): every story, with its author's name, the
    responder of a call-out answer and the files Kettle keeps. For *sharing*: only stories the
    movement gate lets out (their authors approved them as they stand), named only where
    allowed, no Slack ids, no files.
    """
    if purpose not in PURPOSES:
        raise ValueError(f"purpose must be one of {PURPOSES}")
    query = select(Story).options(joinedload(Story.author)).order_by(Story.created_at, Story.id)
    if community_id is not None:
        query = query.where(Story.community_id == community_id)
    # What each story needs, read for the whole library at once: a constant number of
    # statements however many stories there are.
    facts = library_facts(session, community_id)
    files: dict[int, list[StoryFile]] = {}
    if purpose == BACKUP:
        kept = select(StoryFile).where(StoryFile.story_id.is_not(None)).order_by(StoryFile.id)
        if community_id is not None:
            kept = kept.where(StoryFile.community_id == community_id)
        for kept_file in session.scalars(kept):
            files.setdefault(kept_file.story_id or 0, []).append(kept_file)
    rows: list[dict[str, Any]] = []
    place = stories.Place.COP if purpose == BACKUP else stories.Place.MOVEMENT
    for story in session.scalars(query):
        if purpose == SHARING and not may_go_to_movement(session, story, facts):
            continue
        answer = answer_for(session, story.id, facts)
        row: dict[str, Any] = {
            "id": story.id,
            "title": story.title,
            "kind": story.kind.value,
            "themes": list(story.themes or []),
            "consent": story.consent.value,
            "author": author_name(session, story, place, facts),
            "created_at": story.created_at.isoformat(),
            "callout": answer.callout.question if answer else None,
            "body": story.body,
        }
        if purpose == BACKUP:
            row["author_user_id"] = author_user_id(session, story, facts)
            row["media_url"] = story.media_url
            row["files"] = [
                {"name": f.name, "mimetype": f.mimetype, "size": f.size, "sha256": f.sha256}
                for f in files.get(story.id, [])
            ]
        rows.append(row)
    return rows


def render(
    session: Session,
    *,
    fmt: str,
    purpose: str,
    community_id: int | None = None,
    with_secrets: bool = False,
) -> str:
    """What `kettle export` writes. A JSON backup is every table plus the library (its secrets
    left out unless `with_secrets`); everything else is the library alone, filtered for
    sharing unless a backup was asked for, and holds no secret.

    JSON carries the text as stored (it is data); CSV cells are defused so a spreadsheet never
    runs one as a formula, and Markdown escapes member text so it renders as written."""
    import csv
    import io
    import json

    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}")
    rows = library_rows(session, community_id=community_id, purpose=purpose)
    if fmt == "json":
        data: dict[str, Any]
        if purpose == BACKUP:
            data = export_all(session, community_id=community_id, with_secrets=with_secrets)
        else:
            data = {"kettle_version": __version__, "exported_at": utcnow().isoformat()}
        data["purpose"] = purpose
        data["library"] = rows
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            cells = {**row, "themes": ", ".join(row["themes"]), "author": row["author"] or ""}
            writer.writerow({k: csv_cell(v) for k, v in cells.items()})
        return buffer.getvalue()
    title = "Story library (backup: confidential)" if purpose == BACKUP else "Stories we may share"
    lines = [f"# {title}", "", f"_Exported {utcnow():%d %B %Y}_", ""]
    for row in rows:
        lines += [f"## {markdown_line(row['title'])}", ""]
        who = markdown_line(row["author"]) if row["author"] else "a member"
        lines += [f"*{row['kind']} · {who} · {row['created_at'][:10]}*", ""]
        if row["callout"]:
            lines += [f"> In answer to: {markdown_line(row['callout'])}", ""]
        lines += [markdown(row["body"]), ""]
        if row["themes"]:
            lines += ["Themes: " + ", ".join(markdown_line(t) for t in row["themes"]), ""]
        if purpose == BACKUP:
            lines += [f"Consent: {row['consent']}", ""]
    return "\n".join(lines)
