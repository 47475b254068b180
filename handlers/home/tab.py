"""The App Home tab: each capability contributes a section; Kettle publishes the whole view."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.builders.home import HomePart, home_view, outsider_home, outsider_part, several_homes
from bot.db import SessionFactory, unit_of_work
from bot.services import membership
from bot.services.membership import Viewer
from handlers import registry
from handlers.errors import later

log = logging.getLogger(__name__)

HomeSection = Callable[[Session, Viewer], list[dict[str, Any]]]
_sections: list[tuple[int, str, HomeSection]] = []
_outsider_sections: dict[str, HomeSection] = {}


def add_section(order: int, name: str, section: HomeSection) -> None:
    """Capabilities call this at import time; lower `order` appears higher on the page."""
    global _sections
    _sections = sorted(
        [s for s in _sections if s[1] != name] + [(order, name, section)], key=lambda s: s[0]
    )


def add_outsider_section(name: str, section: HomeSection) -> None:
    """What someone who isn't a member sees under the introduction (e.g. an Apply button)."""
    _outsider_sections[name] = section


def _member_sections(session: Session, viewer: Viewer) -> list[list[dict[str, Any]]]:
    sections = []
    for _order, name, section in _sections:
        try:
            # Each section in a savepoint: one that fails cannot spoil the others' queries.
            with session.begin_nested():
                sections.append(section(session, viewer))
        except Exception:
            log.exception("home section %s failed for %s", name, viewer.user_id)
    return sections


def _outsider_extra(session: Session, viewer: Viewer) -> list[dict[str, Any]]:
    extra: list[dict[str, Any]] = []
    for name, outsider_section in _outsider_sections.items():
        try:
            extra.extend(outsider_section(session, viewer))
        except Exception:
            log.exception("outsider home section %s failed for %s", name, viewer.user_id)
    return extra


def build_home(session: Session, viewer: Viewer) -> dict[str, Any]:
    community = (
        membership.community_by_id(session, viewer.community_id) if viewer.community_id else None
    )
    if community is None or not viewer.is_member:
        ids = membership.convenor_ids(session, community.id) if community else []
        extra = _outsider_extra(session, viewer) if community else []
        return outsider_home(community.name if community else "Kettle", ids, extra=extra)
    return home_view(community.name, _member_sections(session, viewer))


def home_for(session: Session, user_id: str) -> dict[str, Any]:
    """Someone's App Home. Where the install has several CoPs, each CoP they belong to has its
    own part (its sections, for that CoP only), then each other CoP as an outsider sees it; a
    button in a part says which CoP it is for."""
    every = membership.communities(session)
    if len(every) <= 1:
        community = every[0] if every else None
        return build_home(session, membership.resolve_viewer(session, community, user_id))
    mine = membership.communities_of(session, user_id)
    parts = []
    for community in mine:
        viewer = membership.resolve_viewer(session, community, user_id)
        parts.append(
            HomePart(community.id, community.name, True, _member_sections(session, viewer))
        )
    for community in every:
        if community in mine:
            continue
        viewer = membership.resolve_viewer(session, community, user_id)
        ids = membership.convenor_ids(session, community.id)
        parts.append(
            HomePart(
                community.id,
                community.name,
                False,
                [outsider_part(ids, _outsider_extra(session, viewer))],
            )
        )
    return several_homes(parts)


def publish_home(client: WebClient, session_factory: SessionFactory, user_id: str) -> None:
    """Rebuild and publish someone's App Home (after anything that changes what it shows)."""
    with unit_of_work(session_factory) as session:
        view = home_for(session, user_id)
    client.views_publish(user_id=user_id, view=view)


_waiting: set[tuple[str, str]] = set()  # (workspace token, user id): a refresh not yet begun
_waiting_lock = threading.Lock()


def publish_home_later(
    context: BoltContext, body: dict[str, Any], client: WebClient, user_id: str
) -> None:
    """`publish_home` in the after-ack pool, at most one waiting per person: a burst of changes
    waiting behind other work is shown by one refresh (it reads when it begins, after every
    change that asked for it), instead of one full rebuild each, all competing with acks."""
    key = (client.token or "", user_id)
    with _waiting_lock:
        if key in _waiting:
            return
        _waiting.add(key)

    def refresh() -> None:
        with _waiting_lock:
            _waiting.discard(key)  # a change from now on asks for a refresh of its own
        publish_home(client, context["db"], user_id)

    later(context, body, client, refresh)


def on_home_opened(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    if event.get("tab") not in (None, "home"):
        return
    publish_home(client, context["db"], event["user"])


def register(app: App) -> None:
    registry.event(app, "app_home_opened", on_home_opened)
