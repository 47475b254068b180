"""A person's rights over their data: everything Kettle holds about them, and being forgotten
(each capability joins in through `bot.services.duties`)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from bot.db import lock
from bot.models import (
    Application,
    Community,
    Decision,
    DecisionKind,
    Delivery,
    Profile,
    Story,
    utcnow,
)
from bot.services import duties
from bot.services.membership.decisions import log_decision
from bot.services.membership.guards import as_now
from bot.services.membership.installer import forget_installer, installed_by, is_installer
from bot.services.membership.profiles import get_profile
from bot.services.membership.roster import get_member, keep_a_convenor

_FORGET_SCOPE = "kettle.forget_scope"


@dataclass
class ForgetScope:
    """What a forget-me hook may read (the story choice) and hand back (posts, stored files).

    `keep_stories` is the person's choice for their stories; hooks treat other words of theirs
    (round contributions, commitments, tips) the same way: deleted, or kept without their name.
    Hooks append Slack posts to take down to `posts` (a DM's channel may be the user id),
    digests to post again as they now stand to `digests` (ids), and stored file names (sha256)
    that no row uses any more to `unused_files`.
    """

    keep_stories: bool = False
    posts: list[tuple[str, str]] = field(default_factory=list)
    unused_files: list[str] = field(default_factory=list)
    digests: list[int] = field(default_factory=list)


def forget_scope(session: Session) -> ForgetScope:
    """The scope of the forget-me running in this session (a hook's way to read the choice)."""
    scope = session.info.get(_FORGET_SCOPE)
    return scope if isinstance(scope, ForgetScope) else ForgetScope()


FORMER_MEMBER = "a former member"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _row(obj: Any, *names: str) -> dict[str, Any]:
    return {n: _plain(getattr(obj, n)) for n in names}


def personal_data(session: Session, community: Community, user_id: str) -> dict[str, Any]:
    """Everything Kettle holds about one person, as JSON-able data."""
    member = get_member(session, community.id, user_id)
    data: dict[str, Any] = {
        "community": community.name,
        "slack_user_id": user_id,
        "exported_at": utcnow().isoformat(),
        "member": None,
        "profile": None,
        "applications": [],
        "decisions_about_you": [],
        "stories": [],
    }
    if member is not None:
        data["member"] = _row(
            member, "name", "tz", "role", "status", "joined_at", "left_at", "dm_channel_id"
        )
        profile = get_profile(session, member)
        if profile is not None:
            data["profile"] = {
                "answers": profile.answers,
                "show_in_directory": profile.show_in_directory,
                "updated_at": _plain(profile.updated_at),
            }
        stories = session.scalars(
            select(Story).where(Story.author_id == member.id).order_by(Story.id)
        )
        data["stories"] = [
            _row(s, "title", "body", "kind", "themes", "media_url", "consent", "created_at")
            for s in stories
        ]
        for name, hook in duties.MYDATA_HOOKS.items():
            data[name] = hook(session, member)
    else:
        for name, non_member in duties.NON_MEMBER_HOOKS.items():
            data[name] = non_member.data(session, community.id, user_id)
    applications = session.scalars(
        select(Application)
        .where(Application.community_id == community.id, Application.user_id == user_id)
        .order_by(Application.id)
    )
    data["applications"] = [
        _row(a, "answers", "agreed_norms", "status", "reason", "created_at", "decided_at")
        for a in applications
    ]
    decisions = session.scalars(
        select(Decision)
        .where(Decision.community_id == community.id, Decision.subject_user_id == user_id)
        .order_by(Decision.id)
    )
    data["decisions_about_you"] = [
        _row(d, "kind", "actor_name", "reason", "created_at") for d in decisions
    ]
    data["installed_kettle"] = installed_by(session, community, user_id)
    return data


def holds_anything(session: Session, community: Community, user_id: str) -> bool:
    if get_member(session, community.id, user_id) is not None:
        return True
    found = session.scalar(
        select(Application.id).where(
            Application.community_id == community.id, Application.user_id == user_id
        )
    )
    if found is not None or is_installer(session, community, user_id):
        return True
    # Someone from the wider movement who answered a call-out without ever joining.
    return any(h.holds(session, community.id, user_id) for h in duties.NON_MEMBER_HOOKS.values())


def story_count(session: Session, community: Community, user_id: str) -> int:
    """How many stories someone wrote (what forget-me asks them to decide about)."""
    member = get_member(session, community.id, user_id)
    if member is None:
        return 0
    return session.scalar(select(func.count()).where(Story.author_id == member.id)) or 0


@dataclass(frozen=True)
class Forgotten:
    stories_deleted: int
    stories_kept: int
    deleted_story_posts: list[tuple[str, str]]  # (channel, ts) of posts to take down
    unused_files: list[str] = field(default_factory=list)  # stored files (sha256) to remove
    # Kept stories whose CoP-channel post names them: (story id, channel, ts) to reword.
    reworded_posts: list[tuple[int, str, str]] = field(default_factory=list)
    digests: list[int] = field(default_factory=list)  # digests to post again as they now are
    was_member: bool = False  # an active membership ended: a place opened


def forget(
    session: Session,
    community: Community,
    user_id: str,
    *,
    keep_stories: bool,
    now: datetime,
    dm_channel: str | None = None,
) -> Forgotten:
    """Delete everything personal about someone; their stories go, or stay without a name;
    their user id goes from the installations of the workspace, if they installed Kettle.

    `dm_channel` is their DM with Kettle: the ledger rows of messages sent there by its channel
    id, not their user id (replies to what they DMed Kettle), go with those sent by user id."""
    lock(session, community)
    member = as_now(session, get_member(session, community.id, user_id))
    if member is None and not holds_anything(session, community, user_id):
        return Forgotten(0, 0, [])  # a second press at the same moment: nothing left to forget
    was_member = member is not None and member.is_active
    deleted = kept = 0
    posts: list[tuple[str, str]] = []
    reworded: list[tuple[int, str, str]] = []
    scope = ForgetScope(keep_stories=keep_stories)
    if member is not None:
        keep_a_convenor(session, community.id, member)
        session.info[_FORGET_SCOPE] = scope
        try:
            for hook in duties.FORGET_HOOKS:
                hook(session, member)
        finally:
            session.info.pop(_FORGET_SCOPE, None)
        session.flush()
        posts.extend(scope.posts)
        stories = list(session.scalars(select(Story).where(Story.author_id == member.id)))
        for story in stories:
            if keep_stories:
                story.author_id = None
                kept += 1
                if story.cop_channel_id and story.cop_message_ts:
                    reworded.append((story.id, story.cop_channel_id, story.cop_message_ts))
            else:
                if story.cop_channel_id and story.cop_message_ts:
                    posts.append((story.cop_channel_id, story.cop_message_ts))
                session.delete(story)
                deleted += 1
        session.execute(
            update(Decision)
            .where(Decision.actor_id == member.id)
            .values(actor_id=None, actor_name=FORMER_MEMBER)
        )
        session.execute(delete(Profile).where(Profile.member_id == member.id))
        session.flush()
        session.delete(member)
    else:
        # Never a member, yet they may have answered a call-out.
        session.info[_FORGET_SCOPE] = scope
        try:
            for non_member in duties.NON_MEMBER_HOOKS.values():
                non_member.forget(session, community.id, user_id)
        finally:
            session.info.pop(_FORGET_SCOPE, None)
        session.flush()
        posts.extend(scope.posts)
    session.execute(
        update(Decision)
        .where(Decision.community_id == community.id, Decision.subject_user_id == user_id)
        .values(subject_user_id=None, subject_name=FORMER_MEMBER, reason=None)
    )
    session.execute(
        delete(Application).where(
            Application.community_id == community.id, Application.user_id == user_id
        )
    )
    forget_installer(session, community, user_id)  # the workspace's bot token stays
    addressed = [user_id, *([dm_channel] if dm_channel else [])]
    session.execute(delete(Delivery).where(Delivery.channel.in_(addressed)))
    session.flush()
    log_decision(
        session,
        community,
        DecisionKind.FORGOTTEN,
        subject_user_id=None,
        subject_name=FORMER_MEMBER,
        actor=None,
        reason=f"Asked to be forgotten; stories {'kept anonymised' if keep_stories else 'deleted'}",
        now=now,
    )
    return Forgotten(
        deleted,
        kept,
        list(dict.fromkeys(posts)),
        sorted(set(scope.unused_files)),
        reworded,
        list(dict.fromkeys(scope.digests)),
        was_member=was_member,
    )
