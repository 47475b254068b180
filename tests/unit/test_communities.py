"""Which community a request is for, on the real database: the one it names, its channel's,
the person's one CoP, the install's only one; otherwise none, and the choices to ask about."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.models import Community, Role
from bot.services import membership
from bot.services.membership import ChannelFacts, Refusal, SlackProfile


def cop(session: Session, slug: str, channel: str, team: str | None = None) -> Community:
    community = Community(slug=slug, name=slug.title(), channel_id=channel, team_id=team)
    session.add(community)
    session.flush()
    return community


def join(session: Session, community: Community, user_id: str) -> None:
    membership.admit(session, community, SlackProfile(user_id, user_id, None))


def find(
    session: Session,
    user: str,
    channel: str | None = None,
    *,
    community_id: int | None = None,
    team_id: str | None = None,
) -> str | None:
    found = membership.community_for_request(
        session, user_id=user, channel_id=channel, community_id=community_id, team_id=team_id
    )
    return found.slug if found else None


def test_one_community_is_everyones(db_session: Session) -> None:
    a = cop(db_session, "a", "C0A")
    assert find(db_session, "UNEW") == "a"
    assert membership.resolve_viewer(db_session, a, "UNEW").is_member is False


def test_a_member_of_two_is_asked_outside_their_channels(db_session: Session) -> None:
    a, b = cop(db_session, "a", "C0A"), cop(db_session, "b", "C0B")
    join(db_session, a, "UBOTH")
    join(db_session, b, "UBOTH")
    join(db_session, b, "UB")
    assert find(db_session, "UBOTH", "C0A") == "a"
    assert find(db_session, "UBOTH", "C0B") == "b"
    assert find(db_session, "UBOTH", "D0DM") is None
    assert find(db_session, "UBOTH", "D0DM", community_id=b.id) == "b"
    assert find(db_session, "UB", "D0DM") == "b"  # one CoP: no need to ask
    assert find(db_session, "UB", "C0A") == "a"  # in A's channel it is A (as an outsider)
    viewer = membership.resolve_viewer(db_session, None, "UBOTH")
    assert viewer.undecided and viewer.choices == (a.id, b.id) and not viewer.is_member
    # Someone in neither, where there are two, is asked too, with every CoP as a choice.
    assert find(db_session, "UNEW", "D0DM") is None
    assert membership.resolve_viewer(db_session, None, "UNEW").choices == (a.id, b.id)


def test_workspaces_see_only_their_own_communities(db_session: Session) -> None:
    cop(db_session, "a", "C0A", team="T1")
    cop(db_session, "b", "C0B", team="T2")
    assert find(db_session, "UNEW", "D0DM", team_id="T1") == "a"
    assert find(db_session, "UNEW", "D0DM", team_id="T2") == "b"
    assert find(db_session, "UNEW", "D0DM") is None


def test_the_viewer_in_one_statement_is_the_viewer_found_step_by_step(
    db_session: Session,
) -> None:
    """`request_viewer` (one statement, on every request) against `community_for_request` and
    `resolve_viewer`, over every kind of request: named, from a CoP's channel, from elsewhere;
    a member of one, of two, someone who left, an outsider, a convenor; one or two workspaces."""
    a, b = cop(db_session, "a", "C0A", team="T1"), cop(db_session, "b", "C0B", team="T1")
    c = cop(db_session, "c", "C0C", team="T2")
    lone = cop(db_session, "lone", "C0L")  # tied to no workspace, as a token install's are
    join(db_session, a, "UBOTH")
    join(db_session, b, "UBOTH")
    join(db_session, b, "UB")
    join(db_session, c, "UC")
    join(db_session, a, "ULEFT")
    membership.mark_left(db_session, a, "ULEFT")
    membership.admit(db_session, lone, SlackProfile("UCONV", "Esther", None), role=Role.CONVENOR)
    db_session.flush()
    users = ("UBOTH", "UB", "UC", "ULEFT", "UCONV", "UNEW")
    channels = (None, "C0A", "C0B", "C0C", "C0L", "D0DM")
    named = (None, a.id, c.id, lone.id, 99999)
    compared = 0
    for user in users:
        for channel in channels:
            for community_id in named:
                for team_id, by_team in ((None, False), ("T1", False), ("T1", True), ("T2", True)):
                    found = membership.community_for_request(
                        db_session,
                        user_id=user,
                        channel_id=channel,
                        community_id=community_id,
                        team_id=team_id,
                        by_team=by_team,
                    )
                    expected = membership.resolve_viewer(
                        db_session, found, user, team_id=team_id, by_team=by_team
                    )
                    viewer = membership.request_viewer(
                        db_session,
                        user_id=user,
                        channel_id=channel,
                        community_id=community_id,
                        team_id=team_id,
                        by_team=by_team,
                    )
                    assert viewer == expected, (user, channel, community_id, team_id, by_team)
                    # As the web layer reads it, on a plain connection (bot/db.read_connection).
                    on_connection = membership.request_viewer(
                        db_session.connection(),
                        user_id=user,
                        channel_id=channel,
                        community_id=community_id,
                        team_id=team_id,
                        by_team=by_team,
                    )
                    assert on_connection == expected
                    compared += 1
    assert compared == len(users) * len(channels) * len(named) * 4


def test_a_cop_channel_must_be_private_open_and_hold_kettle() -> None:
    ok = ChannelFacts("C0A", found=True, name="a", is_private=True, kettle_in=True)
    assert membership.channel_refusal(ok) is None
    assert membership.channel_refusal(ChannelFacts("D0DM", found=False)) == Refusal.NOT_A_CHANNEL
    assert membership.channel_refusal(ChannelFacts("C0A", found=False)) == Refusal.KETTLE_NOT_IN
    public = ChannelFacts("C0A", found=True, is_private=False, kettle_in=True)
    assert membership.channel_refusal(public) == Refusal.PUBLIC
    archived = ChannelFacts("C0A", found=True, is_private=True, is_archived=True, kettle_in=True)
    assert membership.channel_refusal(archived) == Refusal.ARCHIVED


def test_who_may_set_up(db_session: Session) -> None:
    a = cop(db_session, "a", "C0A")
    membership.admit(db_session, a, SlackProfile("UCONV", "Conv", None), role=Role.CONVENOR)
    join(db_session, a, "UMEM")
    assert membership.may_set_up(db_session, "C0A", "UCONV", is_admin=False)
    assert not membership.may_set_up(db_session, "C0A", "UMEM", is_admin=False)
    assert membership.may_set_up(db_session, "C0A", "UMEM", is_admin=True)
    # A channel with no CoP yet: an admin, or a first convenor the operator named.
    assert not membership.may_set_up(db_session, "C0NEW", "UCONV", is_admin=False)
    assert membership.may_set_up(
        db_session, "C0NEW", "USEED", is_admin=False, seed_convenors=["USEED"]
    )
