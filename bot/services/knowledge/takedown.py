"""Taking stories down: withdrawing one from the movement, and forget-me. Each says what must
change in Slack: the posts to delete and the digests to post again without the story."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.db import lock
from bot.models import (
    Callout,
    Delivery,
    DeliveryStatus,
    Digest,
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
from bot.services.knowledge.digests import COP, MOVEMENT, digests_with, drop_from
from bot.services.knowledge.gate import author_user_id, current_publication
from bot.services.knowledge.holdings import holdings
from bot.services.knowledge.keys import DM_NOTES, PUBLICATION_MESSAGES, STORY_MESSAGES, message_key
from bot.services.knowledge.publishing import NotTheAuthor, get_publication
from bot.services.stories import Place


@dataclass
class Takedown:
    """What must change in Slack because a story left a place: posts to delete, and digests to
    post again as they now stand (deleted when no story is left in them)."""

    posts: list[tuple[str, str]] = field(default_factory=list)
    digests: list[int] = field(default_factory=list)


def withdraw(
    session: Session,
    publication_id: int,
    *,
    user_id: str,
    is_convenor: bool,
    community_id: int | None = None,
    now: datetime,
) -> tuple[Story, Takedown]:
    """Take a story back from the movement from its publication (Kettle's "Published" message):
    its author may, and so may a convenor of the story's own CoP (`community_id` is the one
    `is_convenor` holds in)."""
    publication = lock(session, get_publication(session, publication_id))
    story = publication.story
    if publication.author_user_id != user_id and not _convenor_of(story, is_convenor, community_id):
        raise NotTheAuthor()
    return story, _take_back(session, story, user_id=user_id, now=now)


def withdraw_story(
    session: Session,
    story: Story,
    *,
    user_id: str,
    is_convenor: bool,
    community_id: int | None = None,
    now: datetime,
) -> Takedown:
    """Take a story back from the movement however it went out: published, or in a digest."""
    if author_user_id(session, story) != user_id and not _convenor_of(
        story, is_convenor, community_id
    ):
        raise NotTheAuthor()
    return _take_back(session, story, user_id=user_id, now=now)


def _convenor_of(story: Story, is_convenor: bool, community_id: int | None) -> bool:
    """A convenor's say reaches their own CoP's stories only."""
    return is_convenor and community_id is not None and story.community_id == community_id


def in_movement(session: Session, story: Story) -> bool:
    """The story is out in the movement's channel: published, or in a digest posted there."""
    current = current_publication(session, story.id)
    if current is not None and current.status == PublicationStatus.PUBLISHED:
        return True
    return any(
        d.message_ts for d in digests_with(session, story.community_id, {story.id}, MOVEMENT)
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
    digests = digests_with(session, story.community_id, {story.id}, MOVEMENT)
    done.digests = drop_from(digests, {story.id})
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
    movement = digests_with(session, cid, told_ids, MOVEMENT)
    cop = digests_with(session, cid, told_ids, COP)
    if keep:
        named_ids = {s.id for s in held.told if s.consent.may_name_author}
        scope.digests.extend(drop_from(movement, named_ids))
        scope.digests.extend(d.id for d in cop if d.message_ts)
    else:
        scope.digests.extend(drop_from(movement + cop, told_ids))
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
