"""The fake's OAuth v2 behaves as Slack's: credentials checked, codes and refresh tokens good
once, tokens per workspace that expire and die on uninstall."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import time_machine
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.fakeslack import FakeSlack
from tests.harness import http_get

REDIRECT = "https://kettle.example.org/slack/oauth_redirect"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    slack = FakeSlack()
    slack.oauth.add_team("T0002", "Second Works", bot_user_id="UBOTB", bot_id="BBOTB")
    slack.oauth.redirect_urls = [REDIRECT]
    with slack:
        yield slack


def code_for(fake: FakeSlack, team: str, user: str = "UINSTALLER") -> str:
    query = urlencode({"client_id": fake.oauth.client_id, "scope": "chat:write", "state": "s1"})
    approved = http_get(f"{fake.base_url}/oauth/v2/authorize?{query}", cookie=f"d={team}:{user}")
    assert approved.status == 302
    back = parse_qs(urlsplit(approved.headers["location"]).query)
    assert back["state"] == ["s1"]
    return back["code"][0]


def access(fake: FakeSlack, **kw: str) -> dict:
    client = WebClient(base_url=fake.api_url)
    secret = kw.pop("client_secret", fake.oauth.client_secret)
    return client.oauth_v2_access(client_id=fake.oauth.client_id, client_secret=secret, **kw).data  # type: ignore[return-value]


def test_a_code_is_exchanged_once_with_the_apps_credentials(fake: FakeSlack) -> None:
    code = code_for(fake, "T0002")
    with pytest.raises(SlackApiError, match="bad_client_secret"):
        access(fake, code=code, client_secret="wrong")
    got = access(fake, code=code)
    assert got["team"] == {"name": "Second Works", "id": "T0002"}
    assert got["bot_user_id"] == "UBOTB" and got["token_type"] == "bot"
    assert got["authed_user"] == {"id": "UINSTALLER"} and got["enterprise"] is None
    assert "refresh_token" not in got
    with pytest.raises(SlackApiError, match="invalid_code"):
        access(fake, code=code)
    auth = WebClient(token=got["access_token"], base_url=fake.api_url).auth_test()
    assert (auth["team_id"], auth["user_id"], auth["bot_id"]) == ("T0002", "UBOTB", "BBOTB")


def test_the_authorize_page_wants_a_signed_in_person_and_a_known_redirect(fake: FakeSlack) -> None:
    query = urlencode({"client_id": fake.oauth.client_id, "state": "s"})
    assert (
        http_get(f"{fake.base_url}/oauth/v2/authorize?{query}")
        .headers["location"]
        .endswith("/signin")
    )
    bad = urlencode({"client_id": fake.oauth.client_id, "redirect_uri": "https://evil.example/"})
    assert http_get(f"{fake.base_url}/oauth/v2/authorize?{bad}", cookie="d=T0001:U1").status == 400


def test_rotating_tokens_expire_and_each_refresh_token_is_good_once(fake: FakeSlack) -> None:
    fake.oauth.token_rotation = True
    got = access(fake, code=code_for(fake, "T0001"))
    assert got["access_token"].startswith("xoxe.xoxb-") and got["expires_in"] == 43_200
    refreshed = access(fake, grant_type="refresh_token", refresh_token=got["refresh_token"])
    assert refreshed["access_token"] != got["access_token"]
    assert refreshed["refresh_token"] != got["refresh_token"]
    with pytest.raises(SlackApiError, match="invalid_refresh_token"):
        access(fake, grant_type="refresh_token", refresh_token=got["refresh_token"])
    client = WebClient(token=refreshed["access_token"], base_url=fake.api_url)
    assert client.auth_test()["team_id"] == "T0001"
    with (
        time_machine.travel(fake.wall_clock() + 43_201, tick=False),
        pytest.raises(SlackApiError, match="token_expired"),
    ):
        client.auth_test()


def test_uninstalling_kills_the_workspaces_tokens_only(fake: FakeSlack) -> None:
    one = access(fake, code=code_for(fake, "T0001"))["access_token"]
    two = access(fake, code=code_for(fake, "T0002"))["access_token"]
    fake.oauth.uninstall("T0002")
    with pytest.raises(SlackApiError, match="token_revoked"):
        WebClient(token=two, base_url=fake.api_url).auth_test()
    assert WebClient(token=one, base_url=fake.api_url).auth_test()["team_id"] == "T0001"
    assert fake.tokens_used("auth.test") == [two, one]


def test_a_workspaces_token_cannot_reach_anothers_channels_or_people(fake: FakeSlack) -> None:
    fake.add_user("UA", "Ann")
    fake.add_channel("CA", "a-cop", is_private=False, members=["UA"])
    two = access(fake, code=code_for(fake, "T0002"))["access_token"]
    client = WebClient(token=two, base_url=fake.api_url)
    for call in (
        lambda: client.chat_postMessage(channel="CA", text="hi"),
        lambda: client.chat_postMessage(channel="UA", text="hi"),
        lambda: client.users_info(user="UA"),
    ):
        with pytest.raises(SlackApiError, match=r"(channel|user)_not_found"):
            call()
