"""Builders for inbound Slack requests (slash commands, interactivity, events), signed
exactly as Slack signs them (``v0=`` HMAC-SHA256 over ``v0:{timestamp}:{body}``).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

if TYPE_CHECKING:
    from slack_bolt.request import BoltRequest

    from .server import FakeSlack

__all__ = [
    "SignedRequest",
    "SlackSigner",
    "build_state_values",
    "state_value_for",
]

JSON = dict[str, Any]

FORM = "application/x-www-form-urlencoded"
JSON_CT = "application/json"
SLACK_UA = "Slackbot 1.0 (+https://api.slack.com/robots)"
_counter = itertools.count(1)


@dataclasses.dataclass(frozen=True)
class SignedRequest:
    """An inbound HTTP request as Slack would send it to Kettle."""

    body: str
    headers: dict[str, str]
    content_type: str

    def post(self, url: str, timeout: float = 10.0) -> tuple[int, dict[str, str], str]:
        """POST to ``url``; returns ``(status, headers, body_text)`` and never raises on 4xx/5xx."""
        req = urllib.request.Request(
            url, data=self.body.encode("utf-8"), headers=dict(self.headers), method="POST"
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return resp.status, dict(resp.headers.items()), resp.read().decode("utf-8")
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers.items()), err.read().decode("utf-8", "replace")

    def as_bolt_request(self) -> BoltRequest:
        """A ``BoltRequest`` for ``app.dispatch(...)``."""
        from slack_bolt.request import BoltRequest

        return BoltRequest(body=self.body, headers=dict(self.headers))

    @property
    def payload(self) -> JSON:
        """The decoded payload (``payload=`` JSON for interactivity, form dict, or JSON)."""
        if self.content_type == JSON_CT:
            data: JSON = json.loads(self.body)
            return data
        from urllib.parse import parse_qsl

        form = dict(parse_qsl(self.body, keep_blank_values=True))
        if set(form) == {"payload"}:
            decoded: JSON = json.loads(form["payload"])
            return decoded
        return form

    def with_bad_signature(self) -> SignedRequest:
        """Same request, signature replaced by a wrong (but well-formed) one."""
        headers = dict(self.headers)
        sig = headers["X-Slack-Signature"]
        last = "0" if sig[-1] != "0" else "1"
        headers["X-Slack-Signature"] = sig[:-1] + last
        return dataclasses.replace(self, headers=headers)

    def without_signature(self) -> SignedRequest:
        headers = {
            k: v
            for k, v in self.headers.items()
            if k not in ("X-Slack-Signature", "X-Slack-Request-Timestamp")
        }
        return dataclasses.replace(self, headers=headers)

    def with_body(self, body: str) -> SignedRequest:
        """Same (now invalid) signature over a different body."""
        return dataclasses.replace(self, body=body)


def _trigger_id() -> str:
    n = next(_counter)
    return f"{1000000000 + n}.{2000000 + n}.{'%032x' % (n * 104729)}"


def state_value_for(element_type: str, value: Any = None, *, label: str | None = None) -> JSON:
    """The ``state.values[block_id][action_id]`` entry Slack sends for an element.

    ``value`` is: a string for text inputs/selects/radio/date/time/users/conversations;
    a list for ``multi_*`` and ``checkboxes``; an int for ``datetimepicker``; a dict
    (full option or rich_text) is passed through. Options may be given as ``(value, label)``.
    """

    def option(v: Any) -> JSON | None:
        if v is None:
            return None
        if isinstance(v, dict):
            return v
        if isinstance(v, tuple):
            val, text = v
        else:
            val, text = v, label if label is not None else str(v)
        return {"text": {"type": "plain_text", "text": str(text), "emoji": True}, "value": str(val)}

    state: JSON = {"type": element_type}
    t = element_type
    if t in ("plain_text_input", "email_text_input", "url_text_input", "number_input"):
        state["value"] = value
    elif t in ("static_select", "external_select", "radio_buttons"):
        state["selected_option"] = option(value)
    elif t in ("multi_static_select", "multi_external_select", "checkboxes"):
        state["selected_options"] = [option(v) for v in (value or [])]
    elif t == "datepicker":
        state["selected_date"] = value
    elif t == "timepicker":
        state["selected_time"] = value
    elif t == "datetimepicker":
        state["selected_date_time"] = value
    elif t == "users_select":
        state["selected_user"] = value
    elif t == "multi_users_select":
        state["selected_users"] = list(value or [])
    elif t == "conversations_select":
        state["selected_conversation"] = value
    elif t == "multi_conversations_select":
        state["selected_conversations"] = list(value or [])
    elif t == "channels_select":
        state["selected_channel"] = value
    elif t == "multi_channels_select":
        state["selected_channels"] = list(value or [])
    elif t == "rich_text_input":
        state["rich_text_value"] = (
            value
            if isinstance(value, dict)
            else {
                "type": "rich_text",
                "elements": [
                    {
                        "type": "rich_text_section",
                        "elements": [{"type": "text", "text": str(value or "")}],
                    }
                ],
            }
        )
    elif t == "file_input":
        state["files"] = list(value or [])
    else:
        state["value"] = value
    return state


def _find_option(element: JSON, value: Any) -> Any:
    if isinstance(value, dict | tuple):
        return value
    opts = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        opts.extend(group.get("options") or [])
    for opt in opts:
        if opt.get("value") == str(value):
            return opt
    return value


def build_state_values(view: JSON, answers: dict[str, Any]) -> JSON:
    """Build ``state.values`` for every input block in ``view``.

    ``answers`` maps ``action_id`` (or ``block_id``) to the user's answer; unanswered inputs
    get Slack's empty state (``value: None`` / ``selected_option: None`` ...). Options are
    looked up in the element so labels match what the user saw.
    """
    values: JSON = {}
    for i, block in enumerate(view.get("blocks") or []):
        if block.get("type") != "input":
            continue
        el = block.get("element") or {}
        bid = block.get("block_id") or f"b{i}"
        aid = el.get("action_id") or f"a{i}"
        etype = el.get("type", "plain_text_input")
        answer = answers.get(aid, answers.get(bid))
        if answer is not None and etype in (
            "static_select",
            "radio_buttons",
            "multi_static_select",
            "checkboxes",
        ):
            if isinstance(answer, list):
                answer = [_find_option(el, a) for a in answer]
            else:
                answer = _find_option(el, answer)
        values[bid] = {aid: state_value_for(etype, answer)}
    return values


class SlackSigner:
    """Builds signed requests with Slack's real payload shapes.

    If ``fake`` is given, trigger ids come from ``fake.issue_trigger_id()``, response URLs
    from ``fake.new_response_url()`` and user names from ``fake.users``.
    """

    def __init__(
        self,
        signing_secret: str,
        team_id: str = "T0001",
        api_app_id: str = "A0001",
        *,
        team_domain: str = "kettle-test",
        verification_token: str = "legacy-verification-token",
        fake: FakeSlack | None = None,
        clock: Callable[[], float] = time.time,
        bot_user_id: str = "UBOT",
    ) -> None:
        self.signing_secret = signing_secret
        self.team_id = team_id
        self.api_app_id = api_app_id
        self.team_domain = team_domain
        self.verification_token = verification_token
        self.fake = fake
        self.clock = clock
        self.bot_user_id = fake.bot_user_id if fake is not None else bot_user_id
        self._verifier = SignatureVerifier(signing_secret)

    # ------------------------------------------------------------------ signing
    def sign(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> SignedRequest:
        ts = str(int(self.clock()) if timestamp is None else timestamp)
        sig = self._verifier.generate_signature(timestamp=ts, body=body)
        assert sig is not None
        headers = {
            "Content-Type": content_type,
            "User-Agent": SLACK_UA,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": sig,
        }
        headers.update(extra_headers or {})
        return SignedRequest(body=body, headers=headers, content_type=content_type)

    def forge(self, request: SignedRequest, mode: str = "signature") -> SignedRequest:
        """A copy that Slack's verifier must reject (HTTP 401 from Bolt).

        ``mode``: ``"signature"`` (wrong signature), ``"stale"`` (correctly signed but with a
        timestamp 6 minutes old), ``"body"`` (body altered after signing), ``"missing"``
        (no signature headers), ``"secret"`` (signed with another secret).
        """
        if mode == "signature":
            return request.with_bad_signature()
        if mode == "stale":
            extra = {k: v for k, v in request.headers.items() if k.startswith("X-Slack-Retry")}
            return self.sign(
                request.body,
                request.content_type,
                timestamp=int(self.clock()) - 6 * 60,
                extra_headers=extra,
            )
        if mode == "body":
            return request.with_body(
                request.body + ("&x=1" if request.content_type == FORM else " ")
            )
        if mode == "missing":
            return request.without_signature()
        if mode == "secret":
            other = SlackSigner(self.signing_secret + "-wrong", clock=self.clock)
            return other.sign(request.body, request.content_type)
        raise ValueError(f"unknown forge mode: {mode!r}")

    tamper = forge

    def retry(
        self, request: SignedRequest, number: int = 1, reason: str = "http_timeout"
    ) -> SignedRequest:
        """The same body again, freshly signed, as Slack resends a request it thinks went
        unanswered (``X-Slack-Retry-Num``, ``X-Slack-Retry-Reason``)."""
        extra = {"X-Slack-Retry-Num": str(number), "X-Slack-Retry-Reason": reason}
        return self.sign(request.body, request.content_type, extra_headers=extra)

    def is_valid(self, request: SignedRequest) -> bool:
        return SignatureVerifier(self.signing_secret).is_valid_request(
            request.body, request.headers
        )

    # ------------------------------------------------------------------ helpers
    def _trigger(self, trigger_id: str | None) -> str:
        if trigger_id is not None:
            return trigger_id
        return self.fake.issue_trigger_id() if self.fake is not None else _trigger_id()

    def _response_url(self, response_url: str | None) -> str:
        if response_url is not None:
            return response_url
        if self.fake is not None:
            return self.fake.new_response_url()
        n = next(_counter)
        return f"https://hooks.slack.com/commands/{self.team_id}/{n}/fake{n:020d}"

    def _username(self, user_id: str) -> str:
        if self.fake is not None:
            user = self.fake.users.get(user_id)
            if user is not None:
                return str(user["name"])
        return user_id.lower()

    def _channel_name(self, channel_id: str) -> str:
        if self.fake is not None:
            chan = self.fake.channels.get(channel_id)
            if chan is not None:
                return str(chan.get("name") or ("directmessage" if chan.get("is_im") else ""))
        if channel_id.startswith("D"):
            return "directmessage"
        return "privategroup" if channel_id.startswith("G") else "general"

    def _user_obj(self, user_id: str) -> JSON:
        name = self._username(user_id)
        return {"id": user_id, "username": name, "name": name, "team_id": self.team_id}

    def _team(self) -> JSON:
        return {"id": self.team_id, "domain": self.team_domain}

    def _interactive(self, payload: JSON) -> SignedRequest:
        body = urlencode({"payload": json.dumps(payload)})
        return self.sign(body, FORM)

    # ------------------------------------------------------------------ slash commands
    def slash_command(
        self,
        command: str,
        text: str = "",
        user_id: str = "U0001",
        channel_id: str = "C0001",
        trigger_id: str | None = None,
        response_url: str | None = None,
        *,
        channel_name: str | None = None,
        user_name: str | None = None,
    ) -> SignedRequest:
        fields = {
            "token": self.verification_token,
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "channel_id": channel_id,
            "channel_name": channel_name or self._channel_name(channel_id),
            "user_id": user_id,
            "user_name": user_name or self._username(user_id),
            "command": command if command.startswith("/") else f"/{command}",
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": self._response_url(response_url),
            "trigger_id": self._trigger(trigger_id),
        }
        return self.sign(urlencode(fields), FORM)

    # ------------------------------------------------------------------ interactivity
    def block_actions(
        self,
        user_id: str,
        actions: list[JSON],
        trigger_id: str | None = None,
        *,
        container: JSON | None = None,
        channel_id: str | None = None,
        message: JSON | None = None,
        view: JSON | None = None,
        state_values: JSON | None = None,
        response_url: str | None = None,
        is_ephemeral: bool = False,
    ) -> SignedRequest:
        """``block_actions`` from a message (pass ``message`` + ``channel_id``) or a view
        (pass ``view``: the view dict as Slack returned it, e.g. ``fake.last_view()``) or the
        App Home (a view with ``type: home``)."""
        now = f"{self.clock():.6f}"
        full_actions = []
        for i, a in enumerate(actions):
            act: JSON = {"block_id": f"blk{i}", "action_ts": now, **a}
            act.setdefault("type", "button")
            if act["type"] == "button":
                act.setdefault("text", {"type": "plain_text", "text": "Button", "emoji": True})
            full_actions.append(act)
        payload: JSON = {
            "type": "block_actions",
            "user": self._user_obj(user_id),
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "container": container,
            "trigger_id": self._trigger(trigger_id),
            "team": self._team(),
            "enterprise": None,
            "is_enterprise_install": False,
        }
        if view is not None:
            v = json.loads(json.dumps(view))
            v.setdefault("state", {"values": {}})
            if state_values is not None:
                v["state"] = {"values": state_values}
            payload["container"] = container or {
                "type": "view",
                "view_id": v.get("id"),
            }
            payload["view"] = v
            payload["state"] = v["state"]
            if v.get("type") == "home":
                payload["container"] = container or {"type": "view", "view_id": v.get("id")}
        else:
            if channel_id is None and message is not None:
                channel_id = message.get("channel")
            channel_id = channel_id or "C0001"
            msg = dict(message or {})
            msg.setdefault("type", "message")
            msg.setdefault("ts", f"{int(self.clock())}.000100")
            msg.pop("channel", None)
            payload["container"] = container or {
                "type": "message",
                "message_ts": msg["ts"],
                "channel_id": channel_id,
                "is_ephemeral": is_ephemeral,
            }
            payload["channel"] = {"id": channel_id, "name": self._channel_name(channel_id)}
            if not is_ephemeral:
                payload["message"] = msg
            payload["state"] = {"values": state_values or {}}
            payload["response_url"] = self._response_url(response_url)
        payload["actions"] = full_actions
        return self._interactive(payload)

    def _view_payload(self, view: JSON, values: JSON | None) -> JSON:
        v: JSON = json.loads(json.dumps(view))
        v.setdefault("id", "V0000000001")
        v.setdefault("team_id", self.team_id)
        v.setdefault("type", "modal")
        v.setdefault("private_metadata", "")
        v.setdefault("callback_id", "")
        v.setdefault("hash", f"{int(self.clock())}.abcdef12")
        v.setdefault("clear_on_close", False)
        v.setdefault("notify_on_close", False)
        v.setdefault("close", None)
        v.setdefault("submit", None)
        v.setdefault("previous_view_id", None)
        v.setdefault("root_view_id", v["id"])
        v.setdefault("app_id", self.api_app_id)
        v.setdefault("external_id", "")
        v.setdefault("app_installed_team_id", self.team_id)
        v.setdefault("bot_id", self.fake.bot_id if self.fake is not None else "BBOT")
        v["state"] = {"values": values if values is not None else {}}
        return v

    def view_submission(
        self,
        user_id: str,
        view: JSON,
        values: JSON | None = None,
        *,
        answers: dict[str, Any] | None = None,
        trigger_id: str | None = None,
        response_urls: list[JSON] | None = None,
    ) -> SignedRequest:
        """``view_submission``. Give ``values`` (``state.values``) directly, or ``answers``
        ``{action_id: answer}`` to have them built from the view's input blocks."""
        if values is None:
            values = build_state_values(view, answers or {})
        payload: JSON = {
            "type": "view_submission",
            "team": self._team(),
            "user": self._user_obj(user_id),
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "trigger_id": self._trigger(trigger_id),
            "view": self._view_payload(view, values),
            "response_urls": response_urls or [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        return self._interactive(payload)

    def view_closed(self, user_id: str, view: JSON, *, is_cleared: bool = False) -> SignedRequest:
        payload: JSON = {
            "type": "view_closed",
            "team": self._team(),
            "user": self._user_obj(user_id),
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "view": self._view_payload(view, None),
            "is_cleared": is_cleared,
            "is_enterprise_install": False,
            "enterprise": None,
        }
        return self._interactive(payload)

    def shortcut(
        self,
        callback_id: str,
        user_id: str,
        trigger_id: str | None = None,
        *,
        message: JSON | None = None,
        channel_id: str | None = None,
        response_url: str | None = None,
    ) -> SignedRequest:
        """Global shortcut, or a message shortcut (``message_action``) if ``message`` given."""
        payload: JSON = {
            "type": "shortcut",
            "token": self.verification_token,
            "action_ts": f"{self.clock():.6f}",
            "team": self._team(),
            "user": {
                "id": user_id,
                "username": self._username(user_id),
                "team_id": self.team_id,
            },
            "is_enterprise_install": False,
            "enterprise": None,
            "callback_id": callback_id,
            "trigger_id": self._trigger(trigger_id),
        }
        if message is not None:
            cid = channel_id or message.get("channel") or "C0001"
            msg = {k: v for k, v in message.items() if k != "channel"}
            payload.update(
                {
                    "type": "message_action",
                    "message_ts": msg.get("ts"),
                    "message": msg,
                    "channel": {"id": cid, "name": self._channel_name(cid)},
                    "response_url": self._response_url(response_url),
                }
            )
        return self._interactive(payload)

    # ------------------------------------------------------------------ events
    def app_uninstalled(self, **kw: Any) -> SignedRequest:
        """Slack's notice that this workspace removed the app (sent once its tokens are dead)."""
        return self.event({"type": "app_uninstalled"}, **kw)

    def tokens_revoked(
        self,
        *,
        bot: list[str] = (),
        oauth: list[str] = (),
        **kw: Any,  # type: ignore[assignment]
    ) -> SignedRequest:
        """Slack's notice that tokens were revoked: bot user ids and user ids, by kind."""
        event = {"type": "tokens_revoked", "tokens": {"oauth": list(oauth), "bot": list(bot)}}
        return self.event(event, **kw)

    def event(
        self,
        event: JSON,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        *,
        event_time: int | None = None,
    ) -> SignedRequest:
        """An ``event_callback`` envelope around ``event``."""
        n = next(_counter)
        envelope: JSON = {
            "token": self.verification_token,
            "team_id": self.team_id,
            "context_team_id": self.team_id,
            "context_enterprise_id": None,
            "api_app_id": self.api_app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{n:010d}",
            "event_time": event_time if event_time is not None else int(self.clock()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": self.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-eyJldCI6Im{n:08d}",
        }
        extra: dict[str, str] = {}
        if retry_num is not None:
            extra["X-Slack-Retry-Num"] = str(retry_num)
            extra["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
        elif retry_reason is not None:
            extra["X-Slack-Retry-Reason"] = retry_reason
        return self.sign(json.dumps(envelope), JSON_CT, extra_headers=extra)

    def url_verification(self, challenge: str) -> SignedRequest:
        body = json.dumps(
            {"token": self.verification_token, "challenge": challenge, "type": "url_verification"}
        )
        return self.sign(body, JSON_CT)

    # ------------------------------------------------------------------ event shapes
    def message_event(
        self,
        user_id: str,
        channel_id: str,
        text: str,
        *,
        ts: str | None = None,
        thread_ts: str | None = None,
        channel_type: str | None = None,
        **extra: Any,
    ) -> JSON:
        """A user's ``message`` event (``channel_type`` inferred from the id prefix)."""
        ts = ts or f"{self.clock():.6f}"
        if channel_type is None:
            channel_type = {"D": "im", "G": "mpim"}.get(channel_id[:1], "channel")
            chan = self.fake.channels.get(channel_id) if self.fake is not None else None
            if chan is not None:
                if chan.get("is_im"):
                    channel_type = "im"
                elif chan.get("is_mpim"):
                    channel_type = "mpim"
                elif chan.get("is_private"):
                    channel_type = "group"
        ev: JSON = {
            "type": "message",
            "client_msg_id": f"00000000-0000-0000-0000-{next(_counter):012d}",
            "text": text,
            "user": user_id,
            "ts": ts,
            "team": self.team_id,
            "blocks": [
                {
                    "type": "rich_text",
                    "block_id": "rt0",
                    "elements": [
                        {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
                    ],
                }
            ],
            "channel": channel_id,
            "event_ts": ts,
            "channel_type": channel_type,
        }
        if thread_ts is not None:
            ev["thread_ts"] = thread_ts
            ev["parent_user_id"] = extra.pop("parent_user_id", None)
        ev.update(extra)
        return ev

    def app_mention_event(
        self, user_id: str, channel_id: str, text: str, *, ts: str | None = None, **extra: Any
    ) -> JSON:
        ev = self.message_event(user_id, channel_id, text, ts=ts, **extra)
        ev["type"] = "app_mention"
        ev.pop("channel_type", None)
        return ev

    def app_home_opened_event(
        self, user_id: str, *, tab: str = "home", view: JSON | None = None
    ) -> JSON:
        ev: JSON = {
            "type": "app_home_opened",
            "user": user_id,
            "channel": self.fake.dm_channel_for(user_id) if self.fake is not None else "D0001",
            "tab": tab,
            "event_ts": f"{self.clock():.6f}",
        }
        if view is not None:
            ev["view"] = view
        return ev

    def member_joined_channel_event(
        self, user_id: str, channel_id: str, *, inviter: str | None = None
    ) -> JSON:
        ev: JSON = {
            "type": "member_joined_channel",
            "user": user_id,
            "channel": channel_id,
            "channel_type": "G" if channel_id.startswith("G") else "C",
            "team": self.team_id,
            "event_ts": f"{self.clock():.6f}",
        }
        if inviter is not None:
            ev["inviter"] = inviter
        return ev
