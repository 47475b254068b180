"""Quick-fire tips, which keep their story's consent for ever, and blog drafts of the picked
stories."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session, UOWTransaction, selectinload

from bot.errors import KettleError
from bot.models import Community, Consent, Pick, Publication, PublicationStatus, Story, Tip
from bot.services.knowledge.gate import author_name, current_publication, may_go_to_movement
from bot.services.stories import Place
from bot.text import markdown, markdown_line

TIP_MAX = 300


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
