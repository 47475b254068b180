"""Files a member sends Kettle to make stories of: noted as they arrive, fetched within the
largest-file limit and the member's room, kept once by content, attached to a story or let go."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from bot.errors import KettleError
from bot.models import FileStatus, Story, StoryFile
from bot.text import escape


@dataclass(frozen=True)
class FileLimits:
    """The largest file Kettle keeps, and how much it keeps for each member (KETTLE_FILE_*)."""

    max_bytes: int
    quota_bytes: int


class FileRefused(KettleError):
    """A file Kettle will not keep; the message says why and what the sender can do instead."""


def size_text(size: int) -> str:
    """A size as a person reads it: 512 bytes, 40 KB, 12.5 MB, 2 GB."""
    for unit, factor in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= factor:
            return f"{size / factor:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


def _file_words() -> dict:
    from prompts import load

    return load("knowledge")


def too_large(name: str, limits: FileLimits) -> FileRefused:
    return FileRefused(
        _file_words()["file_too_large"].format(name=name, limit=size_text(limits.max_bytes))
    )


def over_quota(name: str, used: int, limits: FileLimits) -> FileRefused:
    return FileRefused(
        _file_words()["file_over_quota"].format(
            name=name, used=size_text(used), quota=size_text(limits.quota_bytes)
        )
    )


def not_on_slack(name: str, host: str) -> FileRefused:
    return FileRefused(_file_words()["file_not_on_slack"].format(name=name, host=host))


def could_not_fetch(name: str) -> FileRefused:
    return FileRefused(_file_words()["file_failed"].format(name=name))


def file_bytes_used(
    session: Session, community_id: int, user_id: str, *, excluding: int | None = None
) -> int:
    """What a member's files take of their room: the kept ones, and the ones being fetched (at
    the size Slack gave), so that two messages at once cannot both squeeze in."""
    query = select(func.coalesce(func.sum(StoryFile.size), 0)).where(
        StoryFile.community_id == community_id,
        StoryFile.uploader_user_id == user_id,
        StoryFile.status.in_((FileStatus.PENDING, FileStatus.KEPT)),
    )
    if excluding is not None:
        query = query.where(StoryFile.id != excluding)
    return int(session.scalar(query) or 0)


def record_file(
    session: Session,
    *,
    community_id: int,
    uploader_user_id: str,
    slack_file: dict,
    limits: FileLimits,
    message_text: str = "",
) -> tuple[StoryFile, bool]:
    """Note a file a member sent, `pending` until its bytes are fetched (`fetch_limit`, then
    `complete_file` or `fail_file`); returns the row and whether the caller is to fetch them.
    Raises FileRefused, naming the file, when Slack says it is larger than Kettle keeps or it
    would take the member past their room.

    A repeat of the same Slack file by the same person is one row: a kept or pending one comes
    back as it is, with nothing to fetch (never twice); a failed one is pending again.
    """
    name = escape(str(slack_file.get("name") or slack_file.get("title") or "file"))
    slack_file_id = str(slack_file.get("id") or "")
    existing = session.scalar(
        select(StoryFile).where(
            StoryFile.community_id == community_id,
            StoryFile.slack_file_id == slack_file_id,
            StoryFile.uploader_user_id == uploader_user_id,
        )
    )
    if existing is not None and existing.status != FileStatus.FAILED:
        return existing, False
    declared = slack_file.get("size")
    size = declared if isinstance(declared, int) and declared > 0 else 0
    if size > limits.max_bytes:
        raise too_large(name, limits)
    used = file_bytes_used(
        session,
        community_id,
        uploader_user_id,
        excluding=existing.id if existing is not None else None,
    )
    if used + size > limits.quota_bytes or used >= limits.quota_bytes:
        raise over_quota(name, used, limits)
    row = existing or StoryFile(
        community_id=community_id,
        uploader_user_id=uploader_user_id,
        slack_file_id=slack_file_id,
    )
    row.name = str(slack_file.get("name") or slack_file.get("title") or "file")[:255]
    row.mimetype = str(slack_file.get("mimetype") or "application/octet-stream")[:128]
    row.size = size
    row.sha256 = ""
    row.message_text = message_text
    row.permalink = slack_file.get("permalink") or None
    row.status = FileStatus.PENDING
    if existing is None:
        session.add(row)
    session.flush()
    return row, True


@dataclass(frozen=True)
class FetchLimit:
    """How many bytes a pending file may have, and whether the member's room (rather than the
    largest-file limit) is what sets it."""

    max_bytes: int
    by_quota: bool
    used: int


def fetch_limit(session: Session, file_id: int, limits: FileLimits) -> FetchLimit | None:
    """The limit for fetching a pending file; None when it is no longer pending (forgotten,
    given up on, or already fetched)."""
    row = session.get(StoryFile, file_id)
    if row is None or row.status != FileStatus.PENDING:
        return None
    used = file_bytes_used(session, row.community_id, row.uploader_user_id, excluding=row.id)
    room = max(0, limits.quota_bytes - used)
    return FetchLimit(min(limits.max_bytes, room), room < limits.max_bytes, used)


def complete_file(session: Session, file_id: int, *, sha256: str, size: int) -> bool:
    """The bytes are in the store: the file is kept. False when the row is no longer pending
    (its sender was forgotten meanwhile, or it was given up on), so the bytes are not wanted."""
    result = session.execute(
        update(StoryFile)
        .where(StoryFile.id == file_id, StoryFile.status == FileStatus.PENDING)
        .values(status=FileStatus.KEPT, sha256=sha256, size=size)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def fail_file(session: Session, file_id: int) -> StoryFile | None:
    """Give up on a pending file (its sender is told); returns the row, or None when it was no
    longer pending."""
    row = session.get(StoryFile, file_id)
    if row is None or row.status != FileStatus.PENDING:
        return None
    row.status = FileStatus.FAILED
    row.size = 0
    session.flush()
    return row


def stale_files(session: Session, *, older_than: datetime) -> list[StoryFile]:
    """Files still pending long after they arrived: the process fetching them stopped."""
    return list(
        session.scalars(
            select(StoryFile)
            .where(StoryFile.status == FileStatus.PENDING, StoryFile.created_at < older_than)
            .order_by(StoryFile.id)
        )
    )


def prune_failed_files(session: Session, *, older_than: datetime) -> int:
    """Forget files that could not be fetched once their senders have long been told."""
    result = session.execute(
        delete(StoryFile).where(
            StoryFile.status == FileStatus.FAILED, StoryFile.created_at < older_than
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def sha_in_use(session: Session, sha256: str) -> bool:
    return (
        session.scalar(
            select(StoryFile.id)
            .where(StoryFile.sha256 == sha256, StoryFile.status == FileStatus.KEPT)
            .limit(1)
        )
        is not None
    )


def own_unattached_files(session: Session, file_ids: list[int], user_id: str) -> list[StoryFile]:
    """Files this person sent and has not yet attached: all a forged id can ever reach."""
    if not file_ids:
        return []
    return list(
        session.scalars(
            select(StoryFile)
            .where(
                StoryFile.id.in_(file_ids),
                StoryFile.uploader_user_id == user_id,
                StoryFile.story_id.is_(None),
                StoryFile.status == FileStatus.KEPT,
            )
            .order_by(StoryFile.id)
        )
    )


def attach_files(session: Session, story: Story, file_ids: list[int], user_id: str) -> int:
    files = own_unattached_files(session, file_ids, user_id)
    for row in files:
        row.story_id = story.id
        row.community_id = story.community_id  # a file sent by DM belongs to its story's CoP
    session.flush()
    return len(files)


def discard_files(session: Session, file_ids: list[int], user_id: str) -> list[str]:
    """Forget files the sender says are not a story; returns stored names no row uses any more."""
    files = own_unattached_files(session, file_ids, user_id)
    shas = {row.sha256 for row in files}
    for row in files:
        session.delete(row)
    session.flush()
    still_used = set(session.scalars(select(StoryFile.sha256).where(StoryFile.sha256.in_(shas))))
    return sorted(shas - still_used)


def files_of(session: Session, story_id: int) -> list[StoryFile]:
    return list(
        session.scalars(
            select(StoryFile).where(StoryFile.story_id == story_id).order_by(StoryFile.id)
        )
    )
