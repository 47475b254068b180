"""The Web API client: one per workspace (one per process with SLACK_BOT_TOKEN), over
connections kept open, retrying 429s (honouring Retry-After), 5xx and drops."""

from __future__ import annotations

import io
import logging
from http.client import HTTPMessage
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import Request

import urllib3
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import HttpRequest, HttpResponse, RetryState
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.web import SlackResponse

from bot.call_worker import CallWorker, NotCarried
from bot.pacing import PostRateLimiter
from bot.services.membership import SlackProfile

log = logging.getLogger(__name__)


class SharedRetryAfter(RateLimitErrorRetryHandler):
    """A 429's Retry-After becomes a hold in the shared pacing (bot/pacing.py): this sender
    and every other one sharing its slots wait it out before calling that method again."""

    def __init__(self, limiter: PostRateLimiter, *, max_retry_count: int) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.limiter = limiter

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is None:
            raise error  # type: ignore[misc]
        seconds = 1.0
        for name, values in response.headers.items():
            if name.lower() == "retry-after" and values:
                seconds = float(values[0])
        method = urlsplit(request.url).path.rsplit("/", 1)[-1]
        log.info("Slack asked to wait %ss before %s", seconds, method)
        self.limiter.hold(method, seconds)
        state.next_attempt_requested = True
        state.increment_current_attempt()


class KeptAliveWebClient(WebClient):
    """slack_sdk's client, sending each call over a connection kept open from the last (urllib3's
    thread-safe pool) instead of opening a new TCP and TLS connection per call as urllib does.
    Only the transport changes: slack_sdk still builds the request, and its retry handlers see
    the same errors (an HTTP error status as `HTTPError`, a failed connection as `URLError`)."""

    def __init__(self, *args: Any, pool_size: int = 16, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Beyond pool_size connections in use at once, more are opened and closed after use.
        self.pool = urllib3.PoolManager(
            num_pools=4, maxsize=pool_size, block=False, ssl_context=self.ssl
        )

    #: With a call worker (bot/call_worker.py), calls are made in its process.
    worker: CallWorker | None = None

    def _urllib_api_call(
        self,
        *,
        token: str | None = None,
        url: str,
        query_params: dict[str, str],
        json_body: dict[str, Any],
        body_params: dict[str, str],
        files: dict[str, io.BytesIO],
        additional_headers: dict[str, str],
    ) -> SlackResponse:
        worker = self.worker
        here = worker is None or files or not worker.running
        if not here:
            request = {
                "team": self._team(),
                "token": token or self.token,
                "url": url,
                "query_params": query_params,
                "json_body": json_body,
                "body_params": body_params,
                "additional_headers": additional_headers,
            }
            try:
                data, headers, status = worker.call(request)  # type: ignore[union-attr]
            except NotCarried:
                here = True
        if here:
            return super()._urllib_api_call(  # type: ignore[no-any-return]
                token=token,
                url=url,
                query_params=query_params,
                json_body=json_body,
                body_params=body_params,
                files=files,
                additional_headers=additional_headers,
            )
        args = {"headers": additional_headers, "data": {}, "params": body_params or {}}
        return SlackResponse(
            client=self,
            http_verb="POST",
            api_url=url,
            req_args={**args, "files": None, "json": json_body},
            data=data,
            headers=headers,
            status_code=status,
        ).validate()

    def _team(self) -> str:
        """The workspace whose pace this client keeps (its 429s hold that workspace's)."""
        for handler in self.retry_handlers:
            if isinstance(handler, SharedRetryAfter):
                return handler.limiter.team_id
        return ""

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        if self.proxy is not None or not url.lower().startswith(("http://", "https://")):
            return super()._perform_urllib_http_request_internal(url, req)
        try:
            response = self.pool.request(
                "POST",
                url,
                body=req.data,  # type: ignore[arg-type]
                headers={k: str(v) for k, v in req.header_items()},
                timeout=self.timeout,
                retries=False,  # slack_sdk's retry handlers decide, as they do over urllib
                redirect=False,
            )
        except urllib3.exceptions.HTTPError as exc:
            raise URLError(exc) from exc
        headers = HTTPMessage()
        for name, value in response.headers.items():
            headers[name] = value
        if response.status >= 400:
            raise HTTPError(
                url, response.status, response.reason or "", headers, io.BytesIO(response.data)
            )
        if headers.get_content_type() == "application/gzip":
            return {"status": response.status, "headers": headers, "body": response.data}
        charset = headers.get_content_charset() or "utf-8"
        return {
            "status": response.status,
            "headers": headers,
            "body": response.data.decode(charset),
        }


def leveled(name: str) -> logging.Logger:
    """A logger with a level of its own: the one in effect when it is made (KETTLE_LOG_LEVEL).

    slack_sdk and Bolt ask `logger.level <= DEBUG` before they build a debug line (a Web API
    call's whole body and answer; each middleware's name), and a logger with no level of its
    own (NOTSET, 0) always says yes: every call built lines no handler would print, a fifth of
    the interpreter's time in `views.open`."""
    logger = logging.getLogger(name)
    if logger.level == logging.NOTSET:
        logger.setLevel(logger.getEffectiveLevel())
    return logger


def make_client(
    token: str | None,
    base_url: str,
    *,
    max_retries: int = 5,
    timeout: int = 10,
    limiter: PostRateLimiter | None = None,
    worker: CallWorker | None = None,
) -> WebClient:
    """With `limiter`, a 429 holds that method for everyone pacing by the limiter's slots; with
    `worker`, calls are made in the worker's process (bot/call_worker.py)."""
    client = KeptAliveWebClient(
        token=token, base_url=base_url, timeout=timeout, logger=leveled("kettle.slack_api")
    )
    rate_limited = (
        SharedRetryAfter(limiter, max_retry_count=max_retries)
        if limiter is not None
        else RateLimitErrorRetryHandler(max_retry_count=max_retries)
    )
    client.retry_handlers = [
        ConnectionErrorRetryHandler(max_retry_count=max_retries),
        rate_limited,
        ServerErrorRetryHandler(max_retry_count=max_retries),
    ]
    client.worker = worker
    return client


def profile_from_user(user: dict) -> SlackProfile:
    profile = user.get("profile") or {}
    name = (
        profile.get("display_name")
        or profile.get("real_name")
        or user.get("real_name")
        or user.get("name")
        or user["id"]
    )
    return SlackProfile(
        user_id=user["id"],
        name=name,
        tz=user.get("tz") or None,
        is_bot=bool(user.get("is_bot")) or user.get("id") == "USLACKBOT",
        deleted=bool(user.get("deleted")),
    )


def fetch_profile(client: WebClient, user_id: str) -> SlackProfile:
    """users.info, falling back to the bare id if Slack cannot tell us more."""
    try:
        user = client.users_info(user=user_id)["user"]
        return profile_from_user(user)
    except SlackApiError as exc:
        log.warning("users.info failed for %s: %s", user_id, exc.response.get("error"))
        return SlackProfile(user_id=user_id, name=user_id, tz=None)


def channel_member_ids(client: WebClient, channel_id: str) -> list[str]:
    ids: list[str] = []
    cursor: str | None = None
    while True:
        page = client.conversations_members(channel=channel_id, cursor=cursor, limit=200)
        ids.extend(page["members"])
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            return ids
