"""Who is asking: the person and the community behind each request, resolved once per request
(`request_viewer`, one statement on every request before its ack) or step by step."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, bindparam, select
from sqlalchemy.orm import Session

from bot.db import DriverRead
from bot.models import Community, Member, MemberStatus, Role
from bot.services.membership.communities import request_choices
from bot.services.membership.roster import get_member


@dataclass(frozen=True)
class Viewer:
    """The person behind a request, resolved once per request; plain data, safe across threads."""

    user_id: str
    community_id: int | None
    member_id: int | None = None
    role: Role | None = None
    name: str = ""
    # When the request could not say which community it is for: the ids it might be for.
    choices: tuple[int, ...] = ()

    @property
    def is_member(self) -> bool:
        return self.member_id is not None

    @property
    def is_convenor(self) -> bool:
        return self.member_id is not None and self.role == Role.CONVENOR

    @property
    def undecided(self) -> bool:
        """The request could be for more than one community: ask which."""
        return self.community_id is None and len(self.choices) > 1


def viewer_member(session: Session, viewer: Viewer) -> Member | None:
    """The viewer's member row in their community, whatever its status; None if there is none."""
    return get_member(session, viewer.community_id or 0, viewer.user_id)


def resolve_viewer(
    session: Session,
    community: Community | None,
    user_id: str,
    *,
    team_id: str | None = None,
    by_team: bool = False,
) -> Viewer:
    """The person in `community`; with none, the communities the request might be for."""
    if community is None:
        choices = tuple(
            c.id for c in request_choices(session, user_id, team_id=team_id, by_team=by_team)
        )
        return Viewer(user_id=user_id, community_id=None, choices=choices)
    member = get_member(session, community.id, user_id)
    if member is None or not member.is_active:
        return Viewer(user_id=user_id, community_id=community.id)
    return Viewer(
        user_id=user_id,
        community_id=community.id,
        member_id=member.id,
        role=member.role,
        name=member.name,
    )


# Built once: what `request_viewer` asks on every request before its ack.
_VIEWER_ROWS = (
    select(
        Community.id,
        Community.channel_id,
        Community.team_id,
        Member.id,
        Member.role,
        Member.name,
        Member.status,
    )
    .outerjoin(
        Member, (Member.community_id == Community.id) & (Member.user_id == bindparam("user_id"))
    )
    .order_by(Community.id)
)
_VIEWER_ROWS_OF_TEAM = _VIEWER_ROWS.where(Community.team_id == bindparam("team_id"))
_VIEWER_ROWS_OF_NO_TEAM = _VIEWER_ROWS.where(Community.team_id.is_(None))
# On a plain connection (the web layer's, bot/db.read_connection), run on the driver's cursor.
_DRIVER_READS = {
    query: DriverRead(query)
    for query in (_VIEWER_ROWS, _VIEWER_ROWS_OF_TEAM, _VIEWER_ROWS_OF_NO_TEAM)
}


def _viewer_rows(
    session: Session | Connection, query: Select[*tuple[Any, ...]], params: dict[str, str]
) -> Any:
    if isinstance(session, Session):
        return session.execute(query, params).all()
    # The driver gives each Enum column as stored: its value, made the member here.
    return [
        (
            c,
            channel,
            team,
            member,
            None if role is None else Role(role),
            name,
            None if status is None else MemberStatus(status),
        )
        for c, channel, team, member, role, name, status in _DRIVER_READS[query].rows(
            session, params
        )
    ]


def request_viewer(
    session: Session | Connection,
    *,
    user_id: str,
    channel_id: str | None,
    community_id: int | None = None,
    team_id: str | None = None,
    by_team: bool = False,
) -> Viewer:
    """`resolve_viewer(community_for_request(...))` in one statement, on a session or a plain
    connection: every community the request could be for (of its workspace, with `by_team`) and
    the person's row in each; chosen as `community_for_request` chooses, in the same order."""
    query, params = _VIEWER_ROWS, {"user_id": user_id}
    if by_team and team_id:
        query, params = _VIEWER_ROWS_OF_TEAM, {"user_id": user_id, "team_id": team_id}
    elif by_team:
        query = _VIEWER_ROWS_OF_NO_TEAM
    rows = _viewer_rows(session, query, params)
    mine = [r for r in rows if r[3] is not None and r[6] == MemberStatus.ACTIVE]
    every = rows
    if team_id and not by_team:
        every = [r for r in rows if r[2] in (team_id, None)]
    found = next((r for r in rows if community_id and r[0] == community_id), None)
    if found is None and channel_id:
        found = next((r for r in rows if r[1] == channel_id), None)
    if found is None and mine:
        found = mine[0] if len(mine) == 1 else None
    elif found is None and not mine:
        found = every[0] if len(every) == 1 else None
    if found is None:
        choices = tuple(r[0] for r in (mine or every))
        return Viewer(user_id=user_id, community_id=None, choices=choices)
    if found[3] is None or found[6] != MemberStatus.ACTIVE:
        return Viewer(user_id=user_id, community_id=found[0])
    return Viewer(
        user_id=user_id, community_id=found[0], member_id=found[3], role=found[4], name=found[5]
    )
