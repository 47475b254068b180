"""Knowledge: files kept by Kettle, consent-gated publishing, call-outs, curation, tips, blogs.

Every path that could carry a story beyond the CoP asks `stories.may_appear(story, place)` and
names the author only where `stories.author_name_allowed(story, place)`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, selectinload

from bot.errors import KettleError, NotAConvenor, NotFound
from bot.models import (
    Callout,
    CalloutAnswer,
    CalloutStatus,
    Community,
    Delivery,
    DeliveryStatus,
    Digest,
    FileStatus,
    Member,
    Pick,
    Publication,
    PublicationStatus,
    Story,
    StoryFile,
    Tip,
    utcnow,
)
from bot.services import membership, stories
from bot.services.stories import Place, StoryDraft
from bot.text import escape

log = logging.getLogger(__name__)

TIP_MAX = 300
QUESTION_MAX = 2000


class NotPublishable(KettleError):
    user_message = "Its author chose to keep this story in the CoP, so it can't go to the movement."


class NotTheAuthor(KettleError):
    user_message = "Only the story's author can decide that."


class CalloutClosed(KettleError):
    user_message = "This call-out has closed; thank you for wanting to answer."


# -- who told it -------------------------------------------------------------------------------


def answer_for(session: Session, story_id: int) -> CalloutAnswer | None:
    return session.scalar(select(CalloutAnswer).where(CalloutAnswer.story_id == story_id))


def author_user_id(session: Session, story: Story) -> str | None:
    """The Slack user who told the story: its member author, or whoever answered a call-out."""
    if story.author is not None:
        return story.author.user_id
    answer = answer_for(session, story.id)
    return (answer.responder_user_id or None) if answer else None


def kept_back(session: Session, story: Story) -> bool:
    """The author took it back (withdrew it) or said "not this time" to the last proposal.

    Until they approve a new proposal, the story stays in the CoP: no digest, blog draft or
    export for sharing carries it to the movement, whatever its consent level says.
    """
    latest = session.scalars(
        select(Publication.status)
        .where(Publication.story_id == story.id)
        .order_by(Publication.id.desc())
        .limit(1)
    ).first()
    return latest in (PublicationStatus.WITHDRAWN, PublicationStatus.DECLINED)


def may_go_to_movement(session: Session, story: Story) -> bool:
    """Consent allows it and the author has not taken it back: every path to the movement asks."""
    return stories.may_appear(story, Place.MOVEMENT) and not kept_back(session, story)


def author_name(session: Session, story: Story, place: str) -> str | None:
    """The author's name as it may appear in `place`, or None when it must stay anonymous."""
    if not stories.author_name_allowed(story, place):
        return None
    if story.author is not None:
        return story.author.name
    answer = answer_for(session, story.id)
    return (answer.responder_name or None) if answer else None


# -- files a member sent Kettle ------------------------------------------------------------------


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


# -- publishing to the movement -----------------------------------------------------------------


def current_publication(session: Session, story_id: int) -> Publication | None:
    return session.scalars(
        select(Publication)
        .where(Publication.story_id == story_id)
        .order_by(Publication.id.desc())
        .limit(1)
    ).first()


def get_publication(session: Session, publication_id: int) -> Publication:
    publication = session.get(
        Publication, publication_id, options=[selectinload(Publication.story)]
    )
    if publication is None:
        raise NotFound("That proposal no longer exists.")
    return publication


def propose(session: Session, story: Story, *, proposer_user_id: str, now: datetime) -> Publication:
    """A convenor proposes a story for the movement: refused outright if it is CoP-only."""
    if not stories.may_appear(story, Place.MOVEMENT):
        raise NotPublishable()
    author = author_user_id(session, story)
    if author is None:
        raise NotPublishable("This story has no author to ask, so it can't be published.")
    current = current_publication(session, story.id)
    if current is not None and current.status in (
        PublicationStatus.PROPOSED,
        PublicationStatus.PUBLISHED,
    ):
        return current
    publication = Publication(
        story_id=story.id,
        proposed_by=proposer_user_id,
        author_user_id=author,
        named=stories.author_name_allowed(story, Place.MOVEMENT),
        proposed_at=now,
    )
    session.add(publication)
    session.flush()
    return publication


def approve(session: Session, publication_id: int, *, user_id: str, now: datetime) -> Publication:
    """The author says yes; consent is checked again, since it is the last gate before posting."""
    publication = get_publication(session, publication_id)
    if publication.author_user_id != user_id:
        raise NotTheAuthor()
    if not stories.may_appear(publication.story, Place.MOVEMENT):
        raise NotPublishable()
    if publication.status == PublicationStatus.PROPOSED:
        publication.status = PublicationStatus.PUBLISHED
        publication.decided_at = now
    elif publication.status != PublicationStatus.PUBLISHED:
        raise KettleError("That proposal was already answered.")
    session.flush()
    return publication


def decline(session: Session, publication_id: int, *, user_id: str, now: datetime) -> Publication:
    publication = get_publication(session, publication_id)
    if publication.author_user_id != user_id:
        raise NotTheAuthor()
    if publication.status == PublicationStatus.PROPOSED:
        publication.status = PublicationStatus.DECLINED
        publication.decided_at = now
        session.flush()
    return publication


def record_published(session: Session, publication: Publication, *, channel: str, ts: str) -> None:
    publication.channel_id = channel
    publication.message_ts = ts
    session.flush()


def withdraw(
    session: Session, publication_id: int, *, user_id: str, is_convenor: bool, now: datetime
) -> tuple[Publication, str | None, str | None]:
    """Take a story back from the movement; returns the post (channel, ts) to delete."""
    publication = get_publication(session, publication_id)
    if publication.author_user_id != user_id and not is_convenor:
        raise NotTheAuthor()
    channel, ts = publication.channel_id, publication.message_ts
    if publication.status in (PublicationStatus.PUBLISHED, PublicationStatus.PROPOSED):
        publication.status = PublicationStatus.WITHDRAWN
        publication.withdrawn_at = now
        publication.message_ts = None
        session.flush()
        return publication, channel, ts
    return publication, None, None


# -- call-outs to the movement ------------------------------------------------------------------


def create_callout(
    session: Session, *, community_id: int, question: str, user_id: str, now: datetime
) -> Callout:
    question = question.strip()
    if not question:
        raise KettleError("Ask a question after the word: `/cop callout What helped you …?`")
    if len(question) > QUESTION_MAX:
        raise KettleError(f"Keep the question under {QUESTION_MAX} characters.")
    callout = Callout(
        community_id=community_id, question=question, created_by=user_id, created_at=now
    )
    session.add(callout)
    session.flush()
    return callout


def get_callout(session: Session, callout_id: int) -> Callout:
    callout = session.get(Callout, callout_id)
    if callout is None:
        raise NotFound("That call-out no longer exists.")
    return callout


def record_callout_post(session: Session, callout: Callout, *, channel: str, ts: str) -> None:
    callout.channel_id = channel
    callout.message_ts = ts
    session.flush()


def answer_callout(
    session: Session,
    callout: Callout,
    *,
    responder_user_id: str,
    responder_name: str,
    draft: StoryDraft,
    source_key: str,
    now: datetime,
) -> tuple[Story, bool]:
    """Store an answer as a story of the movement's, once per form submission."""
    if callout.status != CalloutStatus.OPEN:
        raise CalloutClosed()
    existing = session.scalar(select(Story).where(Story.source_key == source_key))
    if existing is not None:
        return existing, False
    member = session.scalar(
        select(Member).where(
            Member.community_id == callout.community_id,
            Member.user_id == responder_user_id,
        )
    )
    themes = list(dict.fromkeys([*draft.themes, "call-out"]))
    story = Story(
        community_id=callout.community_id,
        author_id=member.id if member is not None and member.is_active else None,
        title=draft.title,
        body=draft.body,
        kind=draft.kind,
        consent=draft.consent,
        themes=themes,
        media_url=draft.media_url,
        source_key=source_key,
        created_at=now,
    )
    session.add(story)
    session.flush()
    session.add(
        CalloutAnswer(
            callout_id=callout.id,
            story_id=story.id,
            responder_user_id=responder_user_id,
            responder_name=responder_name[:200],
            created_at=now,
        )
    )
    session.flush()
    return story, True


def answer_count(session: Session, callout_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(CalloutAnswer)
            .where(CalloutAnswer.callout_id == callout_id)
        )
        or 0
    )


def close_callout(
    session: Session, callout_id: int, *, user_id: str, is_convenor: bool, now: datetime
) -> Callout:
    if not is_convenor:
        raise NotAConvenor()
    callout = get_callout(session, callout_id)
    if callout.status == CalloutStatus.OPEN:
        callout.status = CalloutStatus.CLOSED
        callout.closed_at = now
        session.flush()
    return callout


def open_callouts(session: Session, community_id: int) -> list[Callout]:
    return list(
        session.scalars(
            select(Callout)
            .where(Callout.community_id == community_id, Callout.status == CalloutStatus.OPEN)
            .order_by(Callout.id)
        )
    )


# -- curation: picks, digests, tips, blog drafts ------------------------------------------------

COP = "cop"
MOVEMENT = "movement"


def pick(session: Session, story: Story, *, user_id: str, now: datetime) -> tuple[Pick, bool]:
    existing = session.scalar(select(Pick).where(Pick.story_id == story.id))
    if existing is not None:
        return existing, False
    row = Pick(community_id=story.community_id, story_id=story.id, picked_by=user_id, picked_at=now)
    session.add(row)
    session.flush()
    return row, True


def is_picked(session: Session, story_id: int) -> bool:
    return session.scalar(select(Pick.id).where(Pick.story_id == story_id)) is not None


def unpick(session: Session, story_id: int) -> None:
    row = session.scalar(select(Pick).where(Pick.story_id == story_id))
    if row is not None:
        session.delete(row)
        session.flush()


def basket(session: Session, community_id: int, audience: str) -> list[Story]:
    """Picked stories not yet in a digest for `audience`; the movement's only where allowed."""
    column = Pick.cop_digest_id if audience == COP else Pick.movement_digest_id
    rows = session.scalars(
        select(Pick)
        .options(selectinload(Pick.story).selectinload(Story.author))
        .where(Pick.community_id == community_id, column.is_(None))
        .order_by(Pick.picked_at, Pick.id)
    )
    if audience == COP:
        return [row.story for row in rows]
    return [row.story for row in rows if may_go_to_movement(session, row.story)]


def create_digest(
    session: Session,
    *,
    community_id: int,
    audience: str,
    key: str,
    created_by: str | None,
    now: datetime,
) -> Digest | None:
    """Freeze the basket into a digest (once per key); None when there is nothing to send."""
    existing = session.scalar(select(Digest).where(Digest.key == key))
    if existing is not None:
        return existing
    chosen = basket(session, community_id, audience)
    if not chosen:
        return None
    digest = Digest(
        community_id=community_id,
        key=key,
        audience=audience,
        story_ids=[s.id for s in chosen],
        created_by=created_by,
        created_at=now,
    )
    session.add(digest)
    session.flush()
    ids = [s.id for s in chosen]
    for row in session.scalars(select(Pick).where(Pick.story_id.in_(ids))):
        if audience == COP:
            row.cop_digest_id = digest.id
        else:
            row.movement_digest_id = digest.id
    session.flush()
    return digest


def digest_stories(session: Session, digest: Digest) -> list[Story]:
    """The digest's stories, consent checked again at the moment of sending."""
    found = session.scalars(
        select(Story)
        .options(selectinload(Story.author))
        .where(Story.id.in_(digest.story_ids or []))
        .order_by(Story.created_at, Story.id)
    )
    if digest.audience == COP:
        return list(found)
    return [s for s in found if may_go_to_movement(session, s)]


def record_digest_post(session: Session, digest: Digest, *, channel: str, ts: str) -> None:
    digest.channel_id = channel
    digest.message_ts = ts
    session.flush()


def unsent_digests(session: Session) -> list[Digest]:
    return list(session.scalars(select(Digest).where(Digest.message_ts.is_(None))))


def add_tip(
    session: Session,
    *,
    community_id: int,
    text: str,
    user_id: str,
    story: Story | None = None,
    now: datetime,
) -> Tip:
    text = " ".join((text or "").split())
    if not text:
        raise KettleError("A tip needs a line of text: `/cop tip Ask before you advise.`")
    if len(text) > TIP_MAX:
        raise KettleError(f"A quick-fire tip is one line: keep it under {TIP_MAX} characters.")
    tip = Tip(
        community_id=community_id,
        story_id=story.id if story else None,
        text=text,
        created_by=user_id,
        created_at=now,
    )
    session.add(tip)
    session.flush()
    return tip


def tips_for_roundup(session: Session, community_id: int) -> list[Tip]:
    return list(
        session.scalars(
            select(Tip)
            .where(Tip.community_id == community_id, Tip.roundup_key.is_(None))
            .order_by(Tip.created_at, Tip.id)
        )
    )


def mark_rounded_up(session: Session, tips: list[Tip], key: str) -> None:
    for tip in tips:
        tip.roundup_key = key
    session.flush()


@dataclass(frozen=True)
class BlogDraft:
    filename: str
    markdown: str
    included: int
    kept_in_cop: int


def _md(text: str) -> str:
    """Member text inside Markdown: no raw HTML, no accidental headings or links."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "\n".join(
        ("\\" + line) if line.startswith(("#", ">")) else line for line in text.split("\n")
    )


def blog_draft(session: Session, community: Community, *, now: datetime) -> BlogDraft:
    """A Markdown draft of the picked stories that may leave the CoP, names only where allowed.

    CoP-only stories, and stories their authors took back, are left out (only counted).
    """
    rows = list(
        session.scalars(
            select(Pick)
            .options(selectinload(Pick.story).selectinload(Story.author))
            .where(Pick.community_id == community.id)
            .order_by(Pick.picked_at, Pick.id)
        )
    )
    allowed = [r.story for r in rows if may_go_to_movement(session, r.story)]
    kept = len(rows) - len(allowed)
    lines = [f"# Stories from {_md(community.name)}", "", f"_Draft, {now:%d %B %Y}_", ""]
    for story in allowed:
        lines += [f"## {_md(story.title)}", ""]
        name = author_name(session, story, Place.MOVEMENT)
        lines += [
            f"*{story.kind.value.capitalize()} · told {('by ' + _md(name)) if name else 'anonymously'}*",
            "",
        ]
        lines += [_md(story.body), ""]
        if story.themes:
            lines += ["Themes: " + ", ".join(_md(t) for t in story.themes), ""]
    tip_rows = [
        t
        for t in session.scalars(
            select(Tip)
            .options(selectinload(Tip.story))
            .where(Tip.community_id == community.id)
            .order_by(Tip.created_at, Tip.id)
        )
        if t.story is None or may_go_to_movement(session, t.story)
    ]
    if tip_rows:
        lines += ["## Quick-fire tips", ""]
        lines += [f"- {_md(t.text)}" for t in tip_rows]
        lines.append("")
    if not allowed and not tip_rows:
        lines += ["_No picked stories may be shared beyond the CoP yet._", ""]
    return BlogDraft(
        filename=f"blog-draft-{now:%Y-%m-%d}.md",
        markdown="\n".join(lines),
        included=len(allowed),
        kept_in_cop=kept,
    )


# -- the CoP's health ---------------------------------------------------------------------------

CORE, ACTIVE, PERIPHERAL = "core", "active", "peripheral"
TIERS = (CORE, ACTIVE, PERIPHERAL)
# Figures other capabilities supply; the report says "not measured yet" until one does.
EXPECTED_RATES = ("Check-in response rate", "Round participation", "Meeting participation")


@dataclass
class HealthFigures:
    """What one capability knows about the CoP's health over the report's window.

    `activity` counts each member's contributions (by Slack user id), `last_active` their latest
    one; both feed the participation tiers. `rates` are fractions 0..1 shown as percentages.
    """

    activity: dict[str, int] = field(default_factory=dict)
    last_active: dict[str, datetime] = field(default_factory=dict)
    rates: dict[str, float | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


HealthProvider = Callable[[Session, int, datetime, datetime], HealthFigures]
"""`provider(session, community_id, since, now)`: figures from `since` to `now`."""

HEALTH_PROVIDERS: list[HealthProvider] = []


def register_health_provider(provider: HealthProvider) -> HealthProvider:
    """Capabilities call this at import time (usable as a decorator); registering twice is once."""
    if provider not in HEALTH_PROVIDERS:
        HEALTH_PROVIDERS.append(provider)
    return provider


@dataclass
class HealthReport:
    community_name: str
    now: datetime
    window_days: int
    member_count: int
    tiers: dict[str, list[str]]
    stories_by_month: list[tuple[str, dict[str, int]]]
    rates: dict[str, float | None]
    new_members: list[str]
    quiet_members: list[str]
    notes: list[str]


def _month_starts(now: datetime, months: int) -> list[datetime]:
    first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    starts = [first]
    for _ in range(months - 1):
        prev = starts[-1]
        starts.append(
            prev.replace(year=prev.year - 1, month=12)
            if prev.month == 1
            else prev.replace(month=prev.month - 1)
        )
    return list(reversed(starts))


def _stories_figures(
    session: Session, community_id: int, since: datetime, now: datetime
) -> HealthFigures:
    """Kettle's own figure: stories told (and call-outs answered) by members."""
    figures = HealthFigures()
    rows = session.execute(
        select(Member.user_id, Story.created_at)
        .join(Story, Story.author_id == Member.id)
        .where(
            Story.community_id == community_id, Story.created_at >= since, Story.created_at < now
        )
    )
    for user_id, created in rows:
        figures.activity[user_id] = figures.activity.get(user_id, 0) + 1
        if created > figures.last_active.get(user_id, since):
            figures.last_active[user_id] = created
    return figures


def _deliveries_note(session: Session, since: datetime) -> str | None:
    sent = session.scalar(
        select(func.count())
        .select_from(Delivery)
        .where(
            Delivery.key.like("checkin:%"),
            Delivery.status == DeliveryStatus.SENT,
            Delivery.created_at >= since,
        )
    )
    return f"{sent} weekly check-ins were sent in this period." if sent else None


def health_report(
    session: Session,
    community: Community,
    *,
    now: datetime,
    window_days: int = 90,
    core_min: int = 4,
    new_days: int = 30,
    quiet_days: int = 45,
    months: int = 6,
) -> HealthReport:
    """Participation tiers, stories per month by kind, others' rates, new and quiet members."""
    since = now - timedelta(days=window_days)
    figures = [_stories_figures(session, community.id, since, now)]
    notes: list[str] = []
    for provider in HEALTH_PROVIDERS:
        try:
            figures.append(provider(session, community.id, since, now))
        except Exception:
            log.exception("health provider %r failed", provider)
    activity: dict[str, int] = {}
    last_active: dict[str, datetime] = {}
    rates: dict[str, float | None] = dict.fromkeys(EXPECTED_RATES)
    for fig in figures:
        for user_id, count in fig.activity.items():
            activity[user_id] = activity.get(user_id, 0) + count
        for user_id, when in fig.last_active.items():
            if user_id not in last_active or when > last_active[user_id]:
                last_active[user_id] = when
        rates.update(fig.rates)
        notes.extend(fig.notes)
    if rates.get("Check-in response rate") is None:
        note = _deliveries_note(session, since)
        if note:
            notes.append(note)

    members = membership.active_members(session, community.id)
    tiers: dict[str, list[str]] = {tier: [] for tier in TIERS}
    new_members: list[str] = []
    quiet: list[str] = []
    for member in members:
        count = activity.get(member.user_id, 0)
        tier = CORE if count >= core_min else ACTIVE if count > 0 else PERIPHERAL
        tiers[tier].append(member.name or member.user_id)
        if member.joined_at >= now - timedelta(days=new_days):
            new_members.append(member.name or member.user_id)
        elif count > 0 and last_active.get(member.user_id, now) < now - timedelta(days=quiet_days):
            quiet.append(member.name or member.user_id)

    starts = _month_starts(now, months)
    by_month: list[tuple[str, dict[str, int]]] = []
    rows = session.execute(
        select(Story.kind, Story.created_at).where(
            Story.community_id == community.id,
            Story.created_at >= starts[0],
            Story.created_at < now,
        )
    ).all()
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else now
        counts: dict[str, int] = {}
        for kind, created in rows:
            if start <= created < end:
                counts[kind.value] = counts.get(kind.value, 0) + 1
        by_month.append((start.strftime("%b %Y"), counts))
    return HealthReport(
        community_name=community.name,
        now=now,
        window_days=window_days,
        member_count=len(members),
        tiers=tiers,
        stories_by_month=by_month,
        rates=rates,
        new_members=new_members,
        quiet_members=quiet,
        notes=notes,
    )


# -- hooks for forget-me and my data ------------------------------------------------------------


def _told_by(session: Session, member: Member) -> list[Story]:
    """Stories this person told: as a member, or as a call-out answer with no member author."""
    own = select(Story.id).where(Story.author_id == member.id)
    answered = (
        select(Story.id)
        .join(CalloutAnswer, CalloutAnswer.story_id == Story.id)
        .where(
            Story.community_id == member.community_id,
            CalloutAnswer.responder_user_id == member.user_id,
        )
    )
    if member.id is None:  # someone from the movement who was never a member
        return list(
            session.scalars(
                select(Story).where(Story.id.in_(answered.scalar_subquery())).order_by(Story.id)
            )
        )
    return list(
        session.scalars(
            select(Story)
            .where(Story.id.in_(own.union(answered).scalar_subquery()))
            .order_by(Story.id)
        )
    )


def forget_member(session: Session, member: Member) -> None:
    """Forget-me for knowledge: the files they sent, their call-out answers and their stories'
    publications. With stories kept, they stay without a name (a post that named them comes
    down); otherwise posts to the movement come down and the rows go with the stories.
    Convenor actions they took (picks, call-outs, digests, proposals) stay, unsigned."""
    scope = membership.forget_scope(session)
    keep = scope.keep_stories
    user_id = member.user_id
    told = _told_by(session, member)
    told_ids = {s.id for s in told}
    for publication in session.scalars(
        select(Publication).where(
            (Publication.author_user_id == user_id) | Publication.story_id.in_(told_ids)
        )
    ):
        posted = publication.channel_id and publication.message_ts
        if posted and (not keep or publication.named):
            scope.posts.append((str(publication.channel_id), str(publication.message_ts)))
            publication.message_ts = None
        live = publication.status in (PublicationStatus.PROPOSED, PublicationStatus.PUBLISHED)
        if live and (
            not keep or publication.named or publication.status == PublicationStatus.PROPOSED
        ):
            publication.status = PublicationStatus.WITHDRAWN
            publication.withdrawn_at = utcnow()
        publication.author_user_id = ""
    # A movement digest that carried their story comes down when the story goes, or when it
    # named them (the digest holds other stories too, but a name must not outlive forget-me).
    named_ids = {s.id for s in told if s.consent.may_name_author}
    for digest in session.scalars(
        select(Digest).where(
            Digest.community_id == member.community_id,
            Digest.audience == MOVEMENT,
            Digest.message_ts.is_not(None),
        )
    ):
        carried = set(digest.story_ids or []) & told_ids
        if digest.channel_id and carried and (not keep or carried & named_ids):
            scope.posts.append((digest.channel_id, str(digest.message_ts)))
    for answer in session.scalars(
        select(CalloutAnswer).where(CalloutAnswer.responder_user_id == user_id)
    ):
        answer.responder_user_id = ""
        answer.responder_name = ""
    files = list(
        session.scalars(
            select(StoryFile).where(
                StoryFile.community_id == member.community_id,
                StoryFile.uploader_user_id == user_id,
            )
        )
    )
    shas = {f.sha256 for f in files if f.sha256}
    for row in files:
        if keep and row.story_id is not None:
            row.uploader_user_id = ""
            row.message_text = ""
        else:
            session.delete(row)
    if not keep:
        for story in told:
            if story.author_id is None:  # a call-out answer membership does not see as theirs
                if story.cop_channel_id and story.cop_message_ts:
                    scope.posts.append((story.cop_channel_id, story.cop_message_ts))
                session.delete(story)
        session.execute(
            delete(Tip).where(Tip.community_id == member.community_id, Tip.created_by == user_id)
        )
    session.flush()
    still_used = set(session.scalars(select(StoryFile.sha256).where(StoryFile.sha256.in_(shas))))
    scope.unused_files.extend(sorted(shas - still_used))
    cid = member.community_id
    session.execute(
        update(Tip).where(Tip.community_id == cid, Tip.created_by == user_id).values(created_by="")
    )
    session.execute(
        update(Callout)
        .where(Callout.community_id == cid, Callout.created_by == user_id)
        .values(created_by="")
    )
    session.execute(
        update(Pick).where(Pick.community_id == cid, Pick.picked_by == user_id).values(picked_by="")
    )
    session.execute(
        update(Digest)
        .where(Digest.community_id == cid, Digest.created_by == user_id)
        .values(created_by=None)
    )
    session.execute(
        update(Publication)
        .where(Publication.proposed_by == user_id)
        .values(proposed_by="")
        .execution_options(synchronize_session="fetch")
    )


def forget_non_member(session: Session, community_id: int, user_id: str) -> None:
    """Forget-me for someone who was never a member but answered a call-out or sent a file:
    the same as for a member, found by their Slack id (an unsaved stand-in, never stored)."""
    stand_in = Member(community_id=community_id, user_id=user_id, name="")
    stand_in.id = None  # type: ignore[assignment]
    forget_member(session, stand_in)
    if stand_in in session:
        session.expunge(stand_in)


def member_data(session: Session, member: Member) -> dict[str, object]:
    user_id = member.user_id
    told = _told_by(session, member)
    titles = {s.id: s.title for s in told}
    files = session.scalars(
        select(StoryFile)
        .where(
            StoryFile.community_id == member.community_id,
            StoryFile.uploader_user_id == user_id,
        )
        .order_by(StoryFile.id)
    )
    publications = session.scalars(
        select(Publication)
        .where((Publication.author_user_id == user_id) | Publication.story_id.in_(list(titles)))
        .order_by(Publication.id)
    )
    answers = session.execute(
        select(Callout.question, CalloutAnswer)
        .join(Callout, Callout.id == CalloutAnswer.callout_id)
        .where(CalloutAnswer.responder_user_id == user_id)
        .order_by(CalloutAnswer.id)
    )
    cid = member.community_id
    return {
        "files_sent": [
            {
                "name": f.name,
                "mimetype": f.mimetype,
                "size": f.size,
                "status": f.status.value,
                "message": f.message_text,
                "story": titles.get(f.story_id) if f.story_id else None,
                "created_at": f.created_at.isoformat(),
            }
            for f in files
        ],
        "publications_of_your_stories": [
            {
                "story": titles.get(p.story_id, p.story.title),
                "status": p.status.value,
                "named": p.named,
                "proposed_at": p.proposed_at.isoformat(),
            }
            for p in publications
        ],
        "callout_answers": [
            {"question": question, "story": titles.get(a.story_id), "name_given": a.responder_name}
            for question, a in answers
        ],
        "tips_added": list(
            session.scalars(
                select(Tip.text).where(Tip.community_id == cid, Tip.created_by == user_id)
            )
        ),
        "callouts_asked": list(
            session.scalars(
                select(Callout.question).where(
                    Callout.community_id == cid, Callout.created_by == user_id
                )
            )
        ),
        "stories_picked": len(
            session.scalars(
                select(Pick.id).where(Pick.community_id == cid, Pick.picked_by == user_id)
            ).all()
        ),
    }
