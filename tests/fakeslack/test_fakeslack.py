from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from tests.fakeslack import FakeSlack, SlackSigner, state_value_for

SECRET = "shh-signing-secret"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as f:
        f.add_user("U1", "alice", tz="Europe/London")
        f.add_user("U2", "bob", tz="America/New_York")
        f.add_user("U3", "carol", tz=None)
        f.add_channel("C1", "kettle-brew", is_private=True, members=["U1", "U2"])
        yield f


def make_client(fake: FakeSlack, token: str | None = None) -> WebClient:
    return WebClient(
        token=token or fake.bot_token,
        base_url=fake.api_url,
        timeout=5,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=2),
            ServerErrorRetryHandler(max_retry_count=2),
            ConnectionErrorRetryHandler(max_retry_count=2),
        ],
    )


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return make_client(fake)


def err(exc: pytest.ExceptionInfo[SlackApiError]) -> Any:
    return exc.value.response["error"]


# ---------------------------------------------------------------- auth / basics


def test_auth(fake: FakeSlack, client: WebClient) -> None:
    resp = client.auth_test()
    assert resp["user_id"] == "UBOT"
    assert resp["bot_id"] == "BBOT"
    assert resp["team_id"] == "T0001"
    with pytest.raises(SlackApiError) as e:
        make_client(fake, "xoxb-wrong").auth_test()
    assert err(e) == "invalid_auth"
    with pytest.raises(SlackApiError) as e:
        client.api_call("nope.nothing")
    assert err(e) == "unknown_method"
    assert [m for m, _ in fake.calls] == ["auth.test", "auth.test", "nope.nothing"]


def test_users(fake: FakeSlack, client: WebClient) -> None:
    alice = client.users_info(user="U1")["user"]
    assert alice["name"] == "alice"
    assert alice["tz"] == "Europe/London"
    assert alice["tz_label"] in ("Greenwich Mean Time", "British Summer Time")
    assert isinstance(alice["tz_offset"], int)
    assert alice["profile"]["display_name"] == "alice"
    assert not alice["is_bot"] and not alice["deleted"]
    carol = client.users_info(user="U3")["user"]
    assert "tz" not in carol and "tz_offset" not in carol
    with pytest.raises(SlackApiError) as e:
        client.users_info(user="U404")
    assert err(e) == "user_not_found"


def test_users_list_pagination(fake: FakeSlack, client: WebClient) -> None:
    for i in range(10):
        fake.add_user(f"UX{i}", f"user{i}")
    seen: list[str] = []
    pages = 0
    for page in client.users_list(limit=3):
        pages += 1
        seen.extend(u["id"] for u in page["members"])
    assert pages == 5  # 14 users (incl. UBOT) / 3
    assert len(seen) == len(set(seen)) == 14
    with pytest.raises(SlackApiError) as e:
        client.users_list(cursor="garbage!")
    assert err(e) == "invalid_cursor"


def test_team_info(client: WebClient) -> None:
    assert client.team_info()["team"]["id"] == "T0001"


# ---------------------------------------------------------------- messages


def test_post_and_read_messages(fake: FakeSlack, client: WebClient) -> None:
    r1 = client.chat_postMessage(channel="C1", text="hello", unfurl_links=False, mrkdwn=True)
    assert r1["channel"] == "C1"
    assert r1["message"]["text"] == "hello"
    assert r1["message"]["bot_id"] == "BBOT"
    r2 = client.chat_postMessage(
        channel="C1",
        text="reply",
        thread_ts=r1["ts"],
        metadata={"event_type": "kettle_round", "event_payload": {"round": 7}},
    )
    assert float(r2["ts"]) > float(r1["ts"])
    assert r1["ts"] == "1700000000.000100"

    history = client.conversations_history(channel="C1")["messages"]
    assert [m["text"] for m in history] == ["hello"]
    assert history[0]["reply_count"] == 1

    replies = client.conversations_replies(channel="C1", ts=r1["ts"], include_all_metadata=True)[
        "messages"
    ]
    assert [m["text"] for m in replies] == ["hello", "reply"]
    assert replies[1]["metadata"] == {
        "event_type": "kettle_round",
        "event_payload": {"round": 7},
    }
    plain = client.conversations_replies(channel="C1", ts=r1["ts"])["messages"]
    assert "metadata" not in plain[1]

    all_msgs = fake.messages("C1")
    assert [m["text"] for m in all_msgs] == ["hello", "reply"]
    assert all_msgs[1]["thread_ts"] == r1["ts"]

    with pytest.raises(SlackApiError) as e, pytest.warns(UserWarning):
        client.chat_postMessage(channel="C1")
    assert err(e) == "no_text"
    with pytest.raises(SlackApiError) as e:
        client.chat_postMessage(channel="C404", text="x")
    assert err(e) == "channel_not_found"
    with pytest.raises(SlackApiError) as e:
        client.chat_postMessage(channel="C1", text="x" * 40_001)
    assert err(e) == "msg_too_long"


def test_history_metadata_oldest_and_limit(fake: FakeSlack, client: WebClient) -> None:
    ts = [
        client.chat_postMessage(
            channel="C1", text=f"m{i}", metadata={"event_type": "t", "event_payload": {"i": i}}
        )["ts"]
        for i in range(5)
    ]
    resp = client.conversations_history(channel="C1", oldest=ts[1], limit=2)
    assert [m["text"] for m in resp["messages"]] == ["m4", "m3"]
    assert resp["has_more"] is True
    assert "metadata" not in resp["messages"][0]
    nxt = resp["response_metadata"]["next_cursor"]
    rest = client.conversations_history(channel="C1", oldest=ts[1], limit=2, cursor=nxt)
    assert [m["text"] for m in rest["messages"]] == ["m2"]
    with_meta = client.conversations_history(channel="C1", include_all_metadata=True, limit=1)
    assert with_meta["messages"][0]["metadata"]["event_payload"] == {"i": 4}


def test_history_is_top_level_and_replies_is_the_thread_paged(
    fake: FakeSlack, client: WebClient
) -> None:
    parent = client.chat_postMessage(channel="C1", text="parent")["ts"]
    replies = [
        client.chat_postMessage(channel="C1", text=f"r{i}", thread_ts=parent)["ts"]
        for i in range(5)
    ]
    client.chat_postMessage(channel="C1", text="later")
    history = client.conversations_history(channel="C1")["messages"]
    assert [m["text"] for m in history] == ["later", "parent"]
    assert history[1]["reply_count"] == 5 and history[1]["latest_reply"] == replies[-1]

    first = client.conversations_replies(channel="C1", ts=parent, limit=3)
    assert [m["text"] for m in first["messages"]] == ["parent", "r0", "r1"]
    assert first["has_more"] is True
    cursor = first["response_metadata"]["next_cursor"]
    rest = client.conversations_replies(channel="C1", ts=parent, limit=3, cursor=cursor)
    assert [m["text"] for m in rest["messages"]] == ["r2", "r3", "r4"]
    assert rest["response_metadata"]["next_cursor"] == ""
    # `oldest` bounds the replies, never the parent; a reply's ts names its whole thread.
    newer = client.conversations_replies(channel="C1", ts=replies[1], oldest=replies[2])
    assert [m["text"] for m in newer["messages"]] == ["parent", "r3", "r4"]
    # Slack may return fewer than `limit` asks for; the cursor still reaches the end.
    fake.max_page = 2
    seen, cursor = [], None
    while True:
        page = client.conversations_replies(channel="C1", ts=parent, limit=200, cursor=cursor)
        seen += [m["text"] for m in page["messages"]]
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert seen == ["parent", "r0", "r1", "r2", "r3", "r4"]
    fake.add_channel("C9", "elsewhere", is_private=False, bot_is_member=False)
    outside = fake.add_message("C9", "UHUMAN", "hi")
    with pytest.raises(SlackApiError) as e:
        client.conversations_replies(channel="C9", ts=outside["ts"])
    assert err(e) == "not_in_channel"


def test_blocks_sent_as_form_json_string(fake: FakeSlack, client: WebClient) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    # form-encoded (api_call with params) carries blocks as a JSON string
    client.api_call("chat.postMessage", params={"channel": "C1", "blocks": json.dumps(blocks)})
    assert fake.messages("C1")[-1]["blocks"] == blocks


def test_update_delete_permalink_reactions_ephemeral(fake: FakeSlack, client: WebClient) -> None:
    ts = client.chat_postMessage(channel="C1", text="v1")["ts"]
    client.chat_update(channel="C1", ts=ts, text="v2")
    assert fake.messages("C1")[0]["text"] == "v2"
    link = client.chat_getPermalink(channel="C1", message_ts=ts)["permalink"]
    assert link.endswith("/archives/C1/p1700000000000100")
    client.reactions_add(channel="C1", timestamp=ts, name="tea")
    with pytest.raises(SlackApiError) as e:
        client.reactions_add(channel="C1", timestamp=ts, name="tea")
    assert err(e) == "already_reacted"
    assert fake.messages("C1")[0]["reactions"] == [{"name": "tea", "users": ["UBOT"], "count": 1}]

    eph = client.chat_postEphemeral(channel="C1", user="U1", text="psst")
    assert eph["message_ts"]
    assert [x["text"] for x in fake.ephemerals_for("U1")] == ["psst"]
    with pytest.raises(SlackApiError) as e:
        client.chat_postEphemeral(channel="C1", user="U3", text="psst")
    assert err(e) == "user_not_in_channel"

    client.chat_delete(channel="C1", ts=ts)
    assert fake.messages("C1") == []
    with pytest.raises(SlackApiError) as e:
        client.chat_delete(channel="C1", ts=ts)
    assert err(e) == "message_not_found"

    human = fake.add_message("C1", "U1", "mine")
    with pytest.raises(SlackApiError) as e:
        client.chat_update(channel="C1", ts=human["ts"], text="hacked")
    assert err(e) == "cant_update_message"


def test_schedule_message(fake: FakeSlack, client: WebClient) -> None:
    resp = client.chat_scheduleMessage(channel="C1", text="later", post_at=int(time.time()) + 60)
    assert resp["scheduled_message_id"].startswith("Q")
    assert fake.scheduled[0]["message"]["text"] == "later"
    with pytest.raises(SlackApiError) as e:
        client.chat_scheduleMessage(channel="C1", text="past", post_at=int(time.time()) - 60)
    assert err(e) == "time_in_past"


# ---------------------------------------------------------------- conversations


def test_dm_open_and_post(fake: FakeSlack, client: WebClient) -> None:
    d1 = client.conversations_open(users="U1")["channel"]["id"]
    d2 = client.conversations_open(users=["U1"])
    assert d1.startswith("D")
    assert d2["channel"]["id"] == d1 and d2["already_open"] is True
    assert fake.dm_channel_for("U1") == d1
    info = client.conversations_info(channel=d1)["channel"]
    assert info["is_im"] is True and info["user"] == "U1"
    client.chat_postMessage(channel=d1, text="hi alice")
    client.chat_postMessage(channel="U1", text="posting to a user id goes to the DM")
    assert [m["text"] for m in fake.dm_messages("U1")] == [
        "hi alice",
        "posting to a user id goes to the DM",
    ]
    with pytest.raises(SlackApiError) as e:
        client.conversations_open(users="U404")
    assert err(e) == "user_not_found"


def test_members_pagination_invite_kick_join(fake: FakeSlack, client: WebClient) -> None:
    for i in range(7):
        fake.add_user(f"UM{i}", f"m{i}")
    fake.add_channel("C2", "big", members=[f"UM{i}" for i in range(7)])
    members: list[str] = []
    cursor = None
    while True:
        resp = client.conversations_members(channel="C2", limit=3, cursor=cursor)
        members += resp["members"]
        cursor = resp["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert members == [f"UM{i}" for i in range(7)] + ["UBOT"]

    client.conversations_invite(channel="C1", users="U3")
    assert "U3" in fake.members_of("C1")
    with pytest.raises(SlackApiError) as e:
        client.conversations_invite(channel="C1", users="U3")
    assert err(e) == "already_in_channel"
    with pytest.raises(SlackApiError) as e:
        client.conversations_invite(channel="C1", users="UBOT")
    assert err(e) == "cant_invite_self"
    client.conversations_kick(channel="C1", user="U3")
    assert "U3" not in fake.members_of("C1")

    fake.add_channel("C3", "public", is_private=False, members=["U1"], bot_is_member=False)
    with pytest.raises(SlackApiError) as e:
        client.chat_postMessage(channel="C3", text="x")
    assert err(e) == "not_in_channel"
    assert client.conversations_join(channel="C3")["channel"]["is_member"] is True
    client.chat_postMessage(channel="C3", text="x")

    fake.add_channel("C4", "secret", is_private=True, members=["U1"], bot_is_member=False)
    with pytest.raises(SlackApiError) as e:
        client.conversations_info(channel="C4")
    assert err(e) == "channel_not_found"


# ---------------------------------------------------------------- block kit


def test_block_kit_rejections(fake: FakeSlack, client: WebClient) -> None:
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "x"}}
    with pytest.raises(SlackApiError) as e:
        client.chat_postMessage(channel="C1", text="t", blocks=[section] * 51)
    assert err(e) == "invalid_blocks"
    assert e.value.response["errors"] == ["must be less than 51 items [json-pointer:/blocks]"]

    dup = [dict(section, block_id="same"), dict(section, block_id="same")]
    with pytest.raises(SlackApiError) as e:
        client.chat_postMessage(channel="C1", text="t", blocks=dup)
    assert err(e) == "invalid_blocks"
    assert "duplicate block_id" in e.value.response["errors"][0]
    assert fake.messages("C1") == []

    view = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "A title that is far too long"},
        "blocks": [],
    }
    with pytest.raises(SlackApiError) as e:
        client.views_open(trigger_id=fake.issue_trigger_id(), view=view)
    assert err(e) == "invalid_arguments"
    assert e.value.response["response_metadata"]["messages"] == [
        "[ERROR] must be less than 25 characters [json-pointer:/view/title/text]"
    ]


# ---------------------------------------------------------------- views


def modal(title: str = "Kettle", **extra: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "brew",
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Brew"},
        "blocks": [
            {
                "type": "input",
                "block_id": "drink",
                "label": {"type": "plain_text", "text": "Drink"},
                "element": {
                    "type": "static_select",
                    "action_id": "pick",
                    "options": [
                        {"text": {"type": "plain_text", "text": "Tea"}, "value": "tea"},
                        {"text": {"type": "plain_text", "text": "Coffee"}, "value": "coffee"},
                    ],
                },
            }
        ],
        **extra,
    }


def test_views_open_push_update_and_triggers(fake: FakeSlack, client: WebClient) -> None:
    now = [1000.0]
    fake.clock = lambda: now[0]
    trig = fake.issue_trigger_id()
    opened = client.views_open(trigger_id=trig, view=modal())["view"]
    assert opened["id"].startswith("V") and opened["hash"]
    assert fake.views_opened[0]["callback_id"] == "brew"
    with pytest.raises(SlackApiError) as e:
        client.views_open(trigger_id=trig, view=modal())
    assert err(e) == "exchanged_trigger_id"
    with pytest.raises(SlackApiError) as e:
        client.views_open(trigger_id="1.2.nope", view=modal())
    assert err(e) == "invalid_trigger_id"
    old = fake.issue_trigger_id()
    now[0] += 3.5
    with pytest.raises(SlackApiError) as e:
        client.views_open(trigger_id=old, view=modal())
    assert err(e) == "expired_trigger_id"

    pushed = client.views_push(trigger_id=fake.issue_trigger_id(), view=modal("Step 2"))["view"]
    assert pushed["root_view_id"] == opened["id"]
    assert pushed["previous_view_id"] == opened["id"]

    updated = client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal("V2"))
    assert updated["view"]["title"]["text"] == "V2"
    assert updated["view"]["hash"] != opened["hash"]
    with pytest.raises(SlackApiError) as e:
        client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal("V3"))
    assert err(e) == "hash_conflict"
    assert fake.last_view()["title"]["text"] == "V2"  # type: ignore[index]

    ext = client.views_open(trigger_id=fake.issue_trigger_id(), view=modal(external_id="ext-1"))
    client.views_update(external_id="ext-1", view=modal("By ext", external_id="ext-1"))
    assert fake.view(ext["view"]["id"])["title"]["text"] == "By ext"  # type: ignore[index]
    with pytest.raises(SlackApiError) as e:
        client.views_update(view_id="V404", view=modal())
    assert err(e) == "not_found"

    no_submit = modal()
    del no_submit["submit"]
    with pytest.raises(SlackApiError) as e:
        client.views_open(trigger_id=fake.issue_trigger_id(), view=no_submit)
    assert err(e) == "invalid_arguments"


def test_views_publish_home(fake: FakeSlack, client: WebClient) -> None:
    home = {
        "type": "home",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Welcome"}}],
    }
    v1 = client.views_publish(user_id="U1", view=home)["view"]
    assert fake.home("U1")["blocks"][0]["text"]["text"] == "Welcome"  # type: ignore[index]
    home["blocks"][0]["text"]["text"] = "Again"  # type: ignore[index]
    client.views_publish(user_id="U1", view=home, hash=v1["hash"])
    assert fake.home("U1")["blocks"][0]["text"]["text"] == "Again"  # type: ignore[index]
    with pytest.raises(SlackApiError) as e:
        client.views_publish(user_id="U1", view=home, hash=v1["hash"])
    assert err(e) == "hash_conflict"
    assert fake.home("U2") is None
    with pytest.raises(SlackApiError) as e:
        client.views_publish(user_id="U404", view=home)
    assert err(e) == "user_not_found"


# ---------------------------------------------------------------- faults


def test_429_retry_after_is_retried(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("chat.postMessage", status=429, retry_after=0)
    resp = client.chat_postMessage(channel="C1", text="eventually")
    assert resp["ok"]
    assert len(fake.calls_to("chat.postMessage")) == 2
    assert fake.ratelimited_count == 1
    assert len(fake.messages("C1")) == 1


def test_429_without_retry_handler_surfaces(fake: FakeSlack) -> None:
    bare = WebClient(token=fake.bot_token, base_url=fake.api_url, retry_handlers=[])
    fake.fail_next("auth.test", status=429, retry_after=7)
    with pytest.raises(SlackApiError) as e:
        bare.auth_test()
    assert e.value.response.status_code == 429
    assert e.value.response.headers["Retry-After"] == "7"
    assert err(e) == "ratelimited"


def test_500_and_503_are_retried(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("auth.test", status=500)
    fake.fail_next("auth.test", status=503)
    assert client.auth_test()["ok"]
    assert len(fake.calls_to("auth.test")) == 3


def test_dropped_connection_is_retried(fake: FakeSlack, client: WebClient) -> None:
    fake.drop_next("chat.postMessage")
    assert client.chat_postMessage(channel="C1", text="after drop")["ok"]
    assert len(fake.calls_to("chat.postMessage")) == 2
    assert [m["text"] for m in fake.messages("C1")] == ["after drop"]


def test_enforced_rate_limits(fake: FakeSlack) -> None:
    now = [0.0]
    fake.clock = lambda: now[0]
    bare = WebClient(token=fake.bot_token, base_url=fake.api_url, retry_handlers=[])
    fake.enforce_rate_limits(per_method={"users.info": (2, 60.0)}, per_channel_post_per_second=1)
    bare.users_info(user="U1")
    now[0] = 10.0
    bare.users_info(user="U1")
    with pytest.raises(SlackApiError) as e:
        bare.users_info(user="U1")
    assert e.value.response.headers["Retry-After"] == "50"
    now[0] = 60.5  # first hit slid out of the window
    bare.users_info(user="U1")

    bare.chat_postMessage(channel="C1", text="1")
    with pytest.raises(SlackApiError) as e:
        bare.chat_postMessage(channel="C1", text="2")
    assert e.value.response.status_code == 429
    now[0] = 61.6
    bare.chat_postMessage(channel="C1", text="3")
    assert fake.ratelimited_count == 2
    assert [m["text"] for m in fake.messages("C1")] == ["1", "3"]
    fake.enforce_rate_limits()
    bare.chat_postMessage(channel="C1", text="4")
    bare.chat_postMessage(channel="C1", text="5")


# ---------------------------------------------------------------- files


def test_file_upload_external_flow(fake: FakeSlack, client: WebClient) -> None:
    content = b"name,drink\nalice,tea\n"
    resp = client.files_upload_v2(
        channel="C1",
        content=content,
        filename="round.csv",
        title="Round 7",
        initial_comment="here's the round",
    )
    file_obj = resp["file"]
    fid = file_obj["id"]
    assert fake.file_bytes(fid) == content
    msg = fake.messages("C1")[-1]
    assert msg["text"] == "here's the round"
    assert msg["files"][0]["id"] == fid

    info = client.files_info(file=fid)["file"]
    assert info["title"] == "Round 7" and info["size"] == len(content)
    assert "C1" in info["groups"]
    req = urllib.request.Request(
        info["url_private_download"], headers={"Authorization": f"Bearer {fake.bot_token}"}
    )
    with urllib.request.urlopen(req, timeout=5) as r:
        assert r.read() == content
    with urllib.request.urlopen(info["url_private_download"], timeout=5) as r:
        assert r.headers.get_content_type() == "text/html"  # Slack's sign-in page
    with pytest.raises(SlackApiError) as e:
        client.files_info(file="F404")
    assert err(e) == "file_not_found"


def test_user_uploaded_file_helper(fake: FakeSlack, client: WebClient) -> None:
    f = fake.add_file("U1", "order.txt", "text/plain", b"two sugars", "text")
    assert f["user"] == "U1" and f["filetype"] == "text"
    info = client.files_info(file=f["id"])["file"]
    req = urllib.request.Request(
        info["url_private_download"], headers={"Authorization": f"Bearer {fake.bot_token}"}
    )
    with urllib.request.urlopen(req, timeout=5) as r:
        assert r.read() == b"two sugars"


# ---------------------------------------------------------------- response_url


def test_response_url(fake: FakeSlack) -> None:
    url = fake.new_response_url()
    resp = WebhookClient(url).send(text="done", response_type="ephemeral")
    assert resp.status_code == 200
    assert fake.responses[0]["text"] == "done"
    assert fake.responses[0]["url_id"] == url.rsplit("/", 1)[-1]
    bad = WebhookClient(url).send(blocks=[{"type": "nope"}])
    assert bad.status_code == 400


# ---------------------------------------------------------------- signing


def test_signer_output_verifies() -> None:
    signer = SlackSigner(SECRET)
    verifier = SignatureVerifier(SECRET)
    requests = [
        signer.slash_command("/kettle", "brew", user_id="U1", channel_id="C1"),
        signer.block_actions("U1", [{"action_id": "join", "value": "r7"}], channel_id="C1"),
        signer.view_submission("U1", modal(), answers={"pick": "tea"}),
        signer.view_closed("U1", modal()),
        signer.event(signer.message_event("U1", "C1", "hi"), retry_num=1),
        signer.url_verification("abc"),
        signer.shortcut("new_round", "U1"),
    ]
    for req in requests:
        assert verifier.is_valid_request(req.body, req.headers), req
        assert signer.is_valid(req)
    for mode in ("signature", "stale", "body", "missing", "secret"):
        assert not verifier.is_valid_request(
            signer.forge(requests[0], mode).body, signer.forge(requests[0], mode).headers
        ), mode
    assert requests[4].headers["X-Slack-Retry-Num"] == "1"
    assert requests[4].headers["X-Slack-Retry-Reason"] == "http_timeout"


def test_payload_shapes(fake: FakeSlack) -> None:
    signer = SlackSigner(SECRET, fake=fake)
    cmd = signer.slash_command("/kettle", "brew", user_id="U1", channel_id="C1").payload
    assert cmd["user_name"] == "alice" and cmd["channel_name"] == "kettle-brew"
    assert cmd["trigger_id"] in fake.triggers
    assert cmd["response_url"].startswith(fake.base_url)
    assert set(cmd) >= {
        "token", "team_id", "team_domain", "channel_id", "channel_name", "user_id",
        "user_name", "command", "text", "api_app_id", "is_enterprise_install",
        "response_url", "trigger_id",
    }  # fmt: skip

    sub = signer.view_submission("U1", modal(), answers={"pick": "coffee"}).payload
    assert sub["type"] == "view_submission"
    sel = sub["view"]["state"]["values"]["drink"]["pick"]
    assert sel["type"] == "static_select"
    assert sel["selected_option"]["value"] == "coffee"
    assert sel["selected_option"]["text"]["text"] == "Coffee"
    assert state_value_for("datepicker", "2024-01-02") == {
        "type": "datepicker",
        "selected_date": "2024-01-02",
    }

    act = signer.block_actions(
        "U1",
        [{"action_id": "join", "block_id": "b", "value": "r7"}],
        message={"ts": "1700000000.000100", "text": "round"},
        channel_id="C1",
    ).payload
    assert act["container"] == {
        "type": "message",
        "message_ts": "1700000000.000100",
        "channel_id": "C1",
        "is_ephemeral": False,
    }
    assert act["actions"][0]["action_ts"] and act["user"]["username"] == "alice"

    ev = signer.event({"type": "app_home_opened", "user": "U1"}).payload
    assert ev["type"] == "event_callback" and ev["authorizations"][0]["user_id"] == "UBOT"


def test_signed_request_post_against_bolt(fake: FakeSlack) -> None:
    from slack_bolt import App

    app = App(
        token=fake.bot_token,
        signing_secret=SECRET,
        process_before_response=True,  # run listeners synchronously inside dispatch()
        client=WebClient(token=fake.bot_token, base_url=fake.api_url),
    )
    seen: list[str] = []

    @app.command("/kettle")
    def on_cmd(ack: Any, command: dict[str, Any], client: WebClient, respond: Any) -> None:
        ack()
        client.views_open(trigger_id=command["trigger_id"], view=modal())
        respond("opened")

    @app.view("brew")
    def on_submit(ack: Any, view: dict[str, Any]) -> None:
        seen.append(view["state"]["values"]["drink"]["pick"]["selected_option"]["value"])
        ack()

    signer = SlackSigner(SECRET, fake=fake)
    resp = app.dispatch(signer.slash_command("/kettle", "", user_id="U1").as_bolt_request())
    assert resp.status == 200
    assert fake.views_opened and fake.responses[-1]["text"] == "opened"
    view = fake.last_view()
    assert view is not None
    resp = app.dispatch(
        signer.view_submission("U1", view, answers={"pick": "tea"}).as_bolt_request()
    )
    assert resp.status == 200 and seen == ["tea"]
    bad = signer.forge(signer.slash_command("/kettle", "", user_id="U1"), "stale")
    assert app.dispatch(bad.as_bolt_request()).status == 401


def test_signed_request_post_does_not_raise(fake: FakeSlack) -> None:
    signer = SlackSigner(SECRET)
    status, _headers, body = signer.url_verification("x").post(fake.base_url + "/nowhere")
    assert status == 404 and body == "not found"


def test_context_manager_and_restart() -> None:
    fake = FakeSlack(bot_token="xoxb-other")
    fake.start()
    try:
        assert WebClient(token="xoxb-other", base_url=fake.api_url).auth_test()["ok"]
    finally:
        fake.stop()
    with pytest.raises((urllib.error.URLError, RuntimeError)):
        urllib.request.urlopen(fake.api_url + "auth.test", timeout=1)


def test_concurrent_posts_get_unique_increasing_ts(fake: FakeSlack) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def post(i: int) -> str:
        return str(make_client(fake).chat_postMessage(channel="C1", text=f"m{i}")["ts"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        stamps = list(pool.map(post, range(40)))
    assert len(set(stamps)) == 40
    stored = [m["ts"] for m in fake.messages("C1")]
    assert stored == sorted(stored, key=float) and len(stored) == 40


def test_users_info_reports_workspace_roles(fake: FakeSlack, client: WebClient) -> None:
    fake.add_user("UA", "ada", is_admin=True)
    fake.add_user("UO", "otto", is_owner=True)
    admin = client.users_info(user="UA")["user"]
    owner = client.users_info(user="UO")["user"]
    plain = client.users_info(user="U1")["user"]
    assert admin["is_admin"] and not admin["is_owner"]
    assert owner["is_admin"] and owner["is_owner"]  # an owner is an admin too
    assert not plain["is_admin"] and not plain["is_owner"]


# ---------------------------------------------------------------- scopes, archives, guests


def test_scopes_are_sent_in_every_answer_and_enforced(fake: FakeSlack, client: WebClient) -> None:
    answer = client.auth_test()
    header = {k.lower(): v for k, v in answer.headers.items()}["x-oauth-scopes"]
    assert set(header.split(",")) == fake.scopes
    fake.scopes -= {"chat:write", "groups:read"}
    with pytest.raises(SlackApiError) as e:
        client.chat_postMessage(channel="C1", text="hi")
    assert err(e) == "missing_scope" and e.value.response["needed"] == "chat:write"
    assert "chat:write" not in e.value.response["provided"]
    # A conversations method needs the scope for the kind of conversation it is given.
    with pytest.raises(SlackApiError) as e:
        client.conversations_info(channel="C1")
    assert e.value.response["needed"] == "groups:read"
    fake.add_channel("C2", "open", is_private=False)
    assert client.conversations_info(channel="C2")["channel"]["id"] == "C2"


def test_archived_and_posting_restricted_channels(fake: FakeSlack, client: WebClient) -> None:
    fake.archive_channel("C1")
    assert client.conversations_info(channel="C1")["channel"]["is_archived"] is True
    with pytest.raises(SlackApiError) as e:
        client.chat_postMessage(channel="C1", text="hi")
    assert err(e) == "is_archived"
    with pytest.raises(SlackApiError) as e:
        client.conversations_invite(channel="C1", users="U3")
    assert err(e) == "is_archived"
    fake.archive_channel("C1", archived=False)
    fake.restrict_posting("C1")
    with pytest.raises(SlackApiError) as e:
        client.chat_postMessage(channel="C1", text="hi")
    assert err(e) == "restricted_action"
    assert "_posting_restricted" not in client.conversations_info(channel="C1")["channel"]


def test_guests_and_deactivated_accounts(fake: FakeSlack, client: WebClient) -> None:
    fake.make_guest("U3")
    assert client.users_info(user="U3")["user"]["is_restricted"] is True
    with pytest.raises(SlackApiError) as e:
        client.conversations_invite(channel="C1", users="U3")
    assert err(e) == "user_is_restricted"
    fake.make_guest("U3", single_channel=True)
    with pytest.raises(SlackApiError) as e:
        client.conversations_invite(channel="C1", users="U3")
    assert err(e) == "ura_max_channels"
    fake.deactivate_user("U2")
    with pytest.raises(SlackApiError) as e:
        client.conversations_open(users="U2")
    assert err(e) == "user_disabled"
