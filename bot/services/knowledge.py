"""Knowledge: files kept by Kettle, consent-gated publishing, call-outs, curation, tips, blogs.

Every path that could carry a story or a tip beyond the CoP (publishing, movement digests, blog
drafts, exports for sharing) asks one gate, `may_go_to_movement`, and names the author only
where `author_name(story, Place.MOVEMENT)` gives a name.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, event, func, inspect, select, update
from sqlalchemy.orm import Session, UOWTransaction, selectinload

from bot import privacy
from bot.db import lock
from bot.errors import KettleError, NotAConvenor, NotFound
from bot.models import (
    Callout,
    CalloutAnswer,
    CalloutStatus,
    Community,
    Consent,
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
from bot.services import duties, membership, stories
from bot.services.stories import Place, StoryDraft
from bot.text import escape, markdown, markdown_line

log = logging.getLogger(__name__)

TIP_MAX = 300
QUESTION_MAX = 2000

# Kettle's messages about a story, by their ledger keys `<kind>:<id>`. The posts in channels are
# noted on their rows as they go out (`note_*_post`); the notes in people's DMs are found by key.
PUBLICATION_POST = "publication"  # the story in the movement's channel, by publication id
CALLOUT_POST = "callout"  # a call-out's question in the movement's channel, by call-out id
PREVIEW = "publication-preview"  # the exact post, to its author for approval
TOLD_PUBLISHED = "publication-told"  # to the proposer: the author approved it
TOLD_DECLINED = "publication-declined"  # to the proposer: the author kept it in the CoP
ANSWER_NOTICE = "callout-answer"  # to the call-out's convenor: a new answer, by story id
ANSWER_THANKS = "callout-thanks"  # to whoever answered, by story id
STORY_MESSAGES = (stories.COP_POST, stories.THANKS, ANSWER_NOTICE, ANSWER_THANKS)
PUBLICATION_MESSAGES = (PUBLICATION_POST, PREVIEW, TOLD_PUBLISHED, TOLD_DECLINED)
DM_NOTES = frozenset(
    {stories.THANKS, ANSWER_NOTICE, ANSWER_THANKS, PREVIEW, TOLD_PUBLISHED, TOLD_DECLINED}
)


def message_key(kind: str, row_id: int) -> str:
    return f"{kind}:{row_id}"


def _key_id(key: str) -> int:
    tail = key.rpartition(":")[2]
    return int(tail) if tail.isdigit() else 0


class NotPublishable(KettleError):
    user_message = "Its author chose to keep this story in the CoP, so it can't go to the movement."


class NotTheAuthor(KettleError):
    user_message = "Only the story's author can decide that."


class StoryChanged(KettleError):
    user_message = (
        "This story has changed since you were shown it, so it can't go out from this preview. "
        "A convenor can propose it again with its new text."
    )


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


def text_fingerprint(story: Story) -> str:
    """The story as its author is shown it before it goes out (words, kind, themes, link, and
    whether it names them), as one SHA-256: any later change needs a fresh approval."""
    shown = [
        story.title,
        story.body,
        story.kind.value,
        list(story.themes or []),
        story.media_url or None,
        stories.author_name_allowed(story, Place.MOVEMENT),
    ]
    data = json.dumps(shown, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def may_go_to_movement(session: Session, item: Story | Tip) -> bool:
    """The one gate to the movement: publishing, movement digests, blog drafts and exports for
    sharing all ask it, for stories (call-out answers included) and tips alike.

    A story goes only with its author's standing approval of its exact text: the latest
    proposal must be approved and the story must still match what they were shown (so a later
    proposal, a "not this time" or a withdrawal is a no until they approve again). A tip goes
    only where the consent it inherited from its story allows; it keeps that consent, narrowed
    but never widened, once the story is gone, and a tip of unknown origin stays in the CoP.
    """
    if isinstance(item, Tip):
        if item.consent is None or not item.consent.may_leave_cop:
            return False
        return item.story is None or stories.may_appear(item.story, Place.MOVEMENT)
    if not stories.may_appear(item, Place.MOVEMENT):
        return False
    latest = current_publication(session, item.id)
    return (
        latest is not None
        and latest.status == PublicationStatus.PUBLISHED
        and latest.text_sha256 == text_fingerprint(item)
    )


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
    """A convenor proposes a story for the movement: refused outright if it is CoP-only.

    A proposal or publication of the story as it stands is returned as it is; otherwise (a no,
    a withdrawal, or a story changed since) a new proposal asks the author about this text.
    """
    if not stories.may_appear(story, Place.MOVEMENT):
        raise NotPublishable()
    author = author_user_id(session, story)
    if author is None:
        raise NotPublishable("This story has no author to ask, so it can't be published.")
    fingerprint = text_fingerprint(story)
    current = current_publication(session, story.id)
    if (
        current is not None
        and current.status in (PublicationStatus.PROPOSED, PublicationStatus.PUBLISHED)
        and current.text_sha256 == fingerprint
    ):
        return current
    publication = Publication(
        story_id=story.id,
        proposed_by=proposer_user_id,
        author_user_id=author,
        named=stories.author_name_allowed(story, Place.MOVEMENT),
        text_sha256=fingerprint,
        proposed_at=now,
    )
    session.add(publication)
    session.flush()
    return publication


def approve(session: Session, publication_id: int, *, user_id: str, now: datetime) -> Publication:
    """The author says yes to the text they were shown; the gate is asked again, since this is
    the last step before posting. Answers and withdrawals of one proposal go one at a time (a
    row lock), each seeing the last."""
    publication = lock(session, get_publication(session, publication_id))
    if publication.author_user_id != user_id:
        raise NotTheAuthor()
    story = publication.story
    if not stories.may_appear(story, Place.MOVEMENT):
        raise NotPublishable()
    if publication.status == PublicationStatus.PROPOSED:
        latest = current_publication(session, story.id)
        if (
            latest is None
            or latest.id != publication.id
            or publication.text_sha256 != text_fingerprint(story)
        ):
            raise StoryChanged()
        publication.status = PublicationStatus.PUBLISHED
        publication.decided_at = now
    elif publication.status != PublicationStatus.PUBLISHED:
        raise KettleError("That proposal was already answered.")
    session.flush()
    if not may_go_to_movement(session, story):
        raise StoryChanged()
    return publication


def decline(session: Session, publication_id: int, *, user_id: str, now: datetime) -> Publication:
    publication = lock(session, get_publication(session, publication_id))
    if publication.author_user_id != user_id:
        raise NotTheAuthor()
    if publication.status == PublicationStatus.PROPOSED:
        publication.status = PublicationStatus.DECLINED
        publication.decided_at = now
        session.flush()
    return publication


def record_published(session: Session, publication: Publication, *, channel: str, ts: str) -> bool:
    """Keep where the post is; False if the story was withdrawn while it was being posted, so
    the caller takes the post down again."""
    lock(session, publication)
    if publication.status != PublicationStatus.PUBLISHED:
        return False
    publication.channel_id = channel
    publication.message_ts = ts
    session.flush()
    return True


def note_publication_post(session: Session, key: str, channel: str, ts: str) -> None:
    """The ledger's note that a publication's post went out (in the send's own transaction)."""
    publication = session.get(Publication, _key_id(key))
    if publication is not None:
        record_published(session, publication, channel=channel, ts=ts)


@dataclass
class Takedown:
    """What must change in Slack because a story left a place: posts to delete, and digests to
    post again as they now stand (deleted when no story is left in them)."""

    posts: list[tuple[str, str]] = field(default_factory=list)
    digests: list[int] = field(default_factory=list)


def withdraw(
    session: Session, publication_id: int, *, user_id: str, is_convenor: bool, now: datetime
) -> tuple[Story, Takedown]:
    """Take a story back from the movement from its publication (Kettle's "Published" message)."""
    publication = lock(session, get_publication(session, publication_id))
    if publication.author_user_id != user_id and not is_convenor:
        raise NotTheAuthor()
    return publication.story, _take_back(session, publication.story, user_id=user_id, now=now)


def withdraw_story(
    session: Session, story: Story, *, user_id: str, is_convenor: bool, now: datetime
) -> Takedown:
    """Take a story back from the movement however it went out: published, or in a digest."""
    if author_user_id(session, story) != user_id and not is_convenor:
        raise NotTheAuthor()
    return _take_back(session, story, user_id=user_id, now=now)


def in_movement(session: Session, story: Story) -> bool:
    """The story is out in the movement's channel: published, or in a digest posted there."""
    current = current_publication(session, story.id)
    if current is not None and current.status == PublicationStatus.PUBLISHED:
        return True
    return any(
        d.message_ts for d in _digests_with(session, story.community_id, {story.id}, MOVEMENT)
    )


def _take_back(session: Session, story: Story, *, user_id: str, now: datetime) -> Takedown:
    """Every copy in the movement comes down: the publication's post, and the story in each
    movement digest. Until its author approves a new proposal, it stays in the CoP."""
    done = Takedown()
    live = False
    for publication in session.scalars(
        select(Publication).where(Publication.story_id == story.id).order_by(Publication.id)
    ):
        if publication.status in (PublicationStatus.PUBLISHED, PublicationStatus.PROPOSED):
            publication.status = PublicationStatus.WITHDRAWN
            publication.withdrawn_at = now
            live = True
        if publication.channel_id and publication.message_ts:
            done.posts.append((publication.channel_id, publication.message_ts))
            publication.message_ts = None
    digests = _digests_with(session, story.community_id, {story.id}, MOVEMENT)
    done.digests = _drop_from(digests, {story.id})
    if digests and not live:
        # It went out in a digest only (a digest posted before approvals were required): the
        # take-back is kept as a withdrawn publication, so the gate keeps it in the CoP.
        session.add(
            Publication(
                story_id=story.id,
                status=PublicationStatus.WITHDRAWN,
                proposed_by=user_id,
                author_user_id=author_user_id(session, story) or "",
                named=stories.author_name_allowed(story, Place.MOVEMENT),
                proposed_at=now,
                decided_at=now,
                withdrawn_at=now,
            )
        )
    session.flush()
    return done


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


def note_callout_post(session: Session, key: str, channel: str, ts: str) -> None:
    """The ledger's note that a call-out's post went out (so closing it can update the post)."""
    callout = session.get(Callout, _key_id(key))
    if callout is not None:
        record_callout_post(session, callout, channel=channel, ts=ts)


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
    callout = lock(session, get_callout(session, callout_id))
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
    """Digests still to post; one whose every story was taken out is not tried again."""
    return [
        d for d in session.scalars(select(Digest).where(Digest.message_ts.is_(None))) if d.story_ids
    ]


def digest_taken_down(session: Session, digest: Digest) -> None:
    """Its last story was taken out, so its post was deleted."""
    digest.message_ts = None
    session.flush()


def _digests_with(
    session: Session, community_id: int, story_ids: set[int], audience: str
) -> list[Digest]:
    """The digests for `audience` that carry any of these stories, posted or still to post."""
    if not story_ids:
        return []
    found = session.scalars(
        select(Digest)
        .where(Digest.community_id == community_id, Digest.audience == audience)
        .order_by(Digest.id)
    )
    return [d for d in found if set(d.story_ids or []) & story_ids]


def _drop_from(digests: list[Digest], story_ids: set[int]) -> list[int]:
    """Take these stories out of the digests; returns the posted ones that changed, to post
    again without them."""
    changed: list[int] = []
    for digest in digests:
        remaining = [i for i in digest.story_ids or [] if i not in story_ids]
        if len(remaining) != len(digest.story_ids or []):
            digest.story_ids = remaining
            if digest.message_ts:
                changed.append(digest.id)
    return changed


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
        # Drawn from a story, the tip goes where the story may (and its author has not said no);
        # a convenor's own line is theirs to share, never with a name.
        consent=_tip_consent_from(session, story) if story else Consent.MOVEMENT_ANONYMOUS,
        created_by=user_id,
        created_at=now,
    )
    session.add(tip)
    session.flush()
    return tip


_NARROWNESS = {Consent.COP_ONLY: 0, Consent.MOVEMENT_ANONYMOUS: 1, Consent.MOVEMENT_NAMED: 2}
_AUTHORS_NO = (PublicationStatus.DECLINED, PublicationStatus.WITHDRAWN)


def _narrowest(*consents: Consent | None) -> Consent | None:
    """The narrowest of consents; unknown (None) is narrower than any."""
    if any(c is None for c in consents):
        return None
    return min((c for c in consents if c is not None), key=_NARROWNESS.__getitem__)


def _tip_consent_from(session: Session, story: Story) -> Consent:
    latest = current_publication(session, story.id)
    if latest is not None and latest.status in _AUTHORS_NO:
        return Consent.COP_ONLY
    return story.consent


@event.listens_for(Session, "before_flush")
def _tips_follow_their_story(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    """Whatever changes a story's consent, or records its author's no (declined, withdrawn,
    forgotten), narrows the tips drawn from it in the same flush, so they keep it for ever."""
    narrowed: dict[int, Consent] = {}
    for obj in session.dirty:
        if isinstance(obj, Story) and inspect(obj).attrs.consent.history.added:
            story_id, consent = obj.id, obj.consent
        elif (
            isinstance(obj, Publication)
            and inspect(obj).attrs.status.history.added
            and obj.status in _AUTHORS_NO
        ):
            story_id, consent = obj.story_id, Consent.COP_ONLY
        else:
            continue
        narrowed[story_id] = _narrowest(consent, narrowed.get(story_id, consent)) or consent
    if not narrowed:
        return
    for tip in session.scalars(select(Tip).where(Tip.story_id.in_(narrowed))):
        tip.consent = _narrowest(tip.consent, narrowed[tip.story_id or 0])


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


def blog_draft(session: Session, community: Community, *, now: datetime) -> BlogDraft:
    """A Markdown draft of the picked stories their authors approved for the movement, names
    only where allowed, and the tips that may leave the CoP; member text is escaped so the
    draft can be pasted into a blog as it is.

    Picks that may not go out are left out (only counted).
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
    lines = [f"# Stories from {markdown_line(community.name)}", "", f"_Draft, {now:%d %B %Y}_", ""]
    for story in allowed:
        lines += [f"## {markdown_line(story.title)}", ""]
        name = author_name(session, story, Place.MOVEMENT)
        told = f"by {markdown_line(name)}" if name else "anonymously"
        lines += [f"*{story.kind.value.capitalize()} · told {told}*", ""]
        lines += [markdown(story.body), ""]
        if story.themes:
            lines += ["Themes: " + ", ".join(markdown_line(t) for t in story.themes), ""]
    tip_rows = [
        t
        for t in session.scalars(
            select(Tip)
            .options(selectinload(Tip.story))
            .where(Tip.community_id == community.id)
            .order_by(Tip.created_at, Tip.id)
        )
        if may_go_to_movement(session, t)
    ]
    if tip_rows:
        lines += ["## Quick-fire tips", ""]
        lines += [f"- {markdown_line(t.text)}" for t in tip_rows]
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
EXPECTED_RATES = ("Check-ins shared", "Round participation", "Meeting participation")


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
    too_few: list[str] = field(default_factory=list)  # rates over too few people to show


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
) -> duties.HealthFigures:
    """Kettle's own figure: stories told (and call-outs answered) by members."""
    figures = duties.HealthFigures()
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


def _deliveries_note(session: Session, community_id: int, since: datetime) -> str | None:
    """How many check-ins this community's members were sent (keys are `checkin:<member>:…`)."""
    members = {
        str(m)
        for m in session.scalars(select(Member.id).where(Member.community_id == community_id))
    }
    keys = session.scalars(
        select(Delivery.key).where(
            Delivery.key.like("checkin:%"),
            Delivery.status == DeliveryStatus.SENT,
            Delivery.created_at >= since,
        )
    )
    sent = sum(1 for key in keys if key.split(":")[1] in members)
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
    for provider in duties.HEALTH_PROVIDERS:
        try:
            figures.append(provider(session, community.id, since, now))
        except Exception:
            log.exception("health provider %r failed", provider)
    activity: dict[str, int] = {}
    last_active: dict[str, datetime] = {}
    rates: dict[str, float | None] = dict.fromkeys(EXPECTED_RATES)
    too_few: list[str] = []
    for fig in figures:
        for user_id, count in fig.activity.items():
            activity[user_id] = activity.get(user_id, 0) + count
        for user_id, when in fig.last_active.items():
            if user_id not in last_active or when > last_active[user_id]:
                last_active[user_id] = when
        for name, value in fig.rates.items():
            if value is not None and not privacy.enough(fig.counted.get(name, 0)):
                rates[name] = None
                too_few.append(name)
            else:
                rates[name] = value
        notes.extend(fig.notes)
    if rates.get("Check-ins shared") is None and "Check-ins shared" not in too_few:
        note = _deliveries_note(session, community.id, since)
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
        too_few=too_few,
    )


# -- hooks for forget-me and my data ------------------------------------------------------------


@dataclass
class Holdings:
    """All that knowledge holds of one person in one community. Forget-me and my data both
    find it here, so what one can reach the other shows."""

    told: list[Story]  # as a member, or as a call-out answer (member or not)
    publications: list[Publication]  # of those stories
    answers: list[CalloutAnswer]
    files: list[StoryFile]  # the files they sent Kettle


def holdings(session: Session, community_id: int, user_id: str, member_id: int | None) -> Holdings:
    """Found by Slack id (and, for a member, their member id too); someone who never joined
    has only a Slack id."""
    answers = list(
        session.scalars(
            select(CalloutAnswer)
            .join(Callout, Callout.id == CalloutAnswer.callout_id)
            .options(selectinload(CalloutAnswer.callout))
            .where(Callout.community_id == community_id, CalloutAnswer.responder_user_id == user_id)
            .order_by(CalloutAnswer.id)
        )
    )
    told_ids = {a.story_id for a in answers}
    if member_id is not None:
        told_ids.update(session.scalars(select(Story.id).where(Story.author_id == member_id)))
    told = list(session.scalars(select(Story).where(Story.id.in_(told_ids)).order_by(Story.id)))
    publications = list(
        session.scalars(
            select(Publication)
            .join(Story, Story.id == Publication.story_id)
            .where(
                Story.community_id == community_id,
                (Publication.author_user_id == user_id) | Publication.story_id.in_(told_ids),
            )
            .order_by(Publication.id)
        )
    )
    files = list(
        session.scalars(
            select(StoryFile)
            .where(StoryFile.community_id == community_id, StoryFile.uploader_user_id == user_id)
            .order_by(StoryFile.id)
        )
    )
    return Holdings(told=told, publications=publications, answers=answers, files=files)


def holds_of_non_member(session: Session, community_id: int, user_id: str) -> bool:
    held = holdings(session, community_id, user_id, None)
    return bool(held.told or held.publications or held.answers or held.files)


def forget_member(session: Session, member: Member) -> None:
    """Forget-me for knowledge: the files they sent, their call-out answers and their stories'
    publications. With stories kept, they stay without a name (a post that named them comes
    down); otherwise every copy Kettle posted comes down and the rows go with the stories.
    Convenor actions they took (picks, call-outs, digests, proposals) stay, unsigned."""
    _forget(session, member.community_id, member.user_id, member.id)


def forget_non_member(session: Session, community_id: int, user_id: str) -> None:
    """Forget-me for someone who was never a member but answered a call-out: the same as for
    a member, found by their Slack id alone."""
    _forget(session, community_id, user_id, None)


def _forget(session: Session, cid: int, user_id: str, member_id: int | None) -> None:
    scope = membership.forget_scope(session)
    keep = scope.keep_stories
    held = holdings(session, cid, user_id, member_id)
    told_ids = {s.id for s in held.told}
    for publication in held.publications:
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
    # Their stories leave every digest, the CoP's and the movement's; the digests are posted
    # again without them. Kept, a story leaves the movement's digests that named them (as a
    # named publication does), and the CoP's digests are posted again without their name.
    movement = _digests_with(session, cid, told_ids, MOVEMENT)
    cop = _digests_with(session, cid, told_ids, COP)
    if keep:
        named_ids = {s.id for s in held.told if s.consent.may_name_author}
        scope.digests.extend(_drop_from(movement, named_ids))
        scope.digests.extend(d.id for d in cop if d.message_ts)
    else:
        scope.digests.extend(_drop_from(movement + cop, told_ids))
    _forget_messages(session, told_ids, {p.id for p in held.publications}, keep=keep)
    for answer in held.answers:
        answer.responder_user_id = ""
        answer.responder_name = ""
    shas = {f.sha256 for f in held.files if f.sha256}  # a file still being fetched has none
    for row in held.files:
        if keep and row.story_id is not None:
            row.uploader_user_id = ""
            row.message_text = ""
        else:
            session.delete(row)
    if not keep:
        for story in held.told:
            if story.author_id is None:  # a call-out answer membership does not see as theirs
                if story.cop_channel_id and story.cop_message_ts:
                    scope.posts.append((story.cop_channel_id, story.cop_message_ts))
                session.delete(story)
        session.execute(delete(Tip).where(Tip.community_id == cid, Tip.created_by == user_id))
    session.flush()
    still_used = set(session.scalars(select(StoryFile.sha256).where(StoryFile.sha256.in_(shas))))
    scope.unused_files.extend(sorted(shas - still_used))
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


def _forget_messages(
    session: Session, story_ids: set[int], publication_ids: set[int], *, keep: bool
) -> None:
    """Kettle's messages about their stories, found in the ledger by key: one still waiting is
    never sent now, none keeps a copy in the ledger, and the notes in people's DMs come down
    with the stories that go (a kept story's notes carry no name)."""
    keys = [message_key(kind, i) for kind in STORY_MESSAGES for i in story_ids]
    keys += [message_key(kind, i) for kind in PUBLICATION_MESSAGES for i in publication_ids]
    if not keys:
        return
    scope = membership.forget_scope(session)
    for row in session.scalars(select(Delivery).where(Delivery.key.in_(keys))):
        if row.status == DeliveryStatus.PENDING:
            row.status = DeliveryStatus.CANCELLED
        elif not keep and row.message_ts and row.key.partition(":")[0] in DM_NOTES:
            scope.posts.append((row.channel, row.message_ts))
        row.payload = None


def member_data(session: Session, member: Member) -> dict[str, object]:
    return _data(session, member.community_id, member.user_id, member.id)


def non_member_data(session: Session, community_id: int, user_id: str) -> dict[str, object]:
    """My data for someone who never joined: exactly what `forget_non_member` would reach."""
    return _data(session, community_id, user_id, None)


def _data(session: Session, cid: int, user_id: str, member_id: int | None) -> dict[str, object]:
    held = holdings(session, cid, user_id, member_id)
    told = {s.id: s for s in held.told}
    titles = {s.id: s.title for s in held.told}
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
            for f in held.files
        ],
        "publications_of_your_stories": [
            {
                "story": titles.get(p.story_id, p.story.title),
                "status": p.status.value,
                "named": p.named,
                "proposed_at": p.proposed_at.isoformat(),
            }
            for p in held.publications
        ],
        "callout_answers": [
            {
                "question": a.callout.question,
                "story": titles.get(a.story_id),
                "body": told[a.story_id].body if a.story_id in told else None,
                "consent": told[a.story_id].consent.value if a.story_id in told else None,
                "name_given": a.responder_name,
                "answered_at": a.created_at.isoformat(),
            }
            for a in held.answers
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
