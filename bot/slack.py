"""The Web API client: one per workspace (one per process with SLACK_BOT_TOKEN), retrying 429s (honouring Retry-After), 5xx and drops."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.services.membership import SlackProfile

log = logging.getLogger(__name__)


def make_client(
    token: str | None, base_url: str, *, max_retries: int = 5, timeout: int = 10
) -> WebClient:
    client = WebClient(token=token, base_url=base_url, timeout=timeout)
    client.retry_handlers = [
        ConnectionErrorRetryHandler(max_retry_count=max_retries),
        RateLimitErrorRetryHandler(max_retry_count=max_retries),
        ServerErrorRetryHandler(max_retry_count=max_retries),
    ]
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
