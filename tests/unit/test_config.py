"""Settings are validated once, with one line naming the variable and the fix."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_settings

GOOD = {
    "SLACK_BOT_TOKEN": "xoxb-1-2-3",
    "SLACK_SIGNING_SECRET": "8f742231b10e8888abcd9912345678a5",
}


def settings_from(**changes: str):
    env = {**GOOD, **changes}
    return load_settings({k: v for k, v in env.items() if v is not None}, dotenv=False)


def test_capability_numbers_are_accepted() -> None:
    s = settings_from(
        KETTLE_TEA_BREAK_LONGER_THAN="90",
        KETTLE_TEA_BREAK_AT="45",
        KETTLE_PAIRING_PERIOD_DAYS="14",
        KETTLE_CLAIM_LEASE_SECONDS="2.5",
    )
    assert s.extra["KETTLE_TEA_BREAK_AT"] == "45"


def test_the_call_worker_is_on_unless_turned_off() -> None:
    assert settings_from().call_worker is True
    assert settings_from(KETTLE_CALL_WORKER="Off").call_worker is False


def test_defaults() -> None:
    s = settings_from()
    assert s.database_url == "sqlite:///kettle.db"
    assert s.port == 3000
    assert s.api_url == "https://slack.com/api/"
    assert not s.socket_mode
    assert s.convenors == ()


def test_full_configuration() -> None:
    s = settings_from(
        SLACK_APP_TOKEN="xapp-1-A",
        SLACK_API_URL="http://127.0.0.1:9999/api",
        DATABASE_URL="postgres://kettle@db/kettle",
        PORT="8080",
        KETTLE_CONVENORS="U012AB3CD, U99ZZ",
        KETTLE_COP_CHANNEL="G0123COP",
        KETTLE_MOVEMENT_CHANNEL="C0123MOVE",
    )
    assert s.socket_mode
    assert s.api_url == "http://127.0.0.1:9999/api/"
    assert s.database_url == "postgresql+psycopg://kettle@db/kettle"
    assert s.port == 8080
    assert s.convenors == ("U012AB3CD", "U99ZZ")
    assert s.cop_channel == "G0123COP"


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"SLACK_BOT_TOKEN": ""}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxp-user-token"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_SIGNING_SECRET": ""}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_SIGNING_SECRET": "not hex!"}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_APP_TOKEN": "xoxb-wrong"}, "SLACK_APP_TOKEN"),
        ({"SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"PORT": "eighty"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"KETTLE_CONVENORS": "esther"}, "KETTLE_CONVENORS"),
        ({"KETTLE_COP_CHANNEL": "#peoples-cop"}, "KETTLE_COP_CHANNEL"),
        ({"KETTLE_MOVEMENT_CHANNEL": "movement"}, "KETTLE_MOVEMENT_CHANNEL"),
        (
            {"KETTLE_COP_CHANNEL": "C0SAME", "KETTLE_MOVEMENT_CHANNEL": "C0SAME"},
            "KETTLE_MOVEMENT_CHANNEL",
        ),
        ({"KETTLE_WORKSPACE_TZ": "Mars/Olympus"}, "KETTLE_WORKSPACE_TZ"),
        ({"KETTLE_TEA_BREAK_LONGER_THAN": "an hour"}, "KETTLE_TEA_BREAK_LONGER_THAN"),
        ({"KETTLE_PAIRING_PERIOD_DAYS": "0"}, "KETTLE_PAIRING_PERIOD_DAYS"),
        ({"KETTLE_CLAIM_LEASE_SECONDS": "-5"}, "KETTLE_CLAIM_LEASE_SECONDS"),
        ({"KETTLE_FANOUT_WORKERS": "1000"}, "KETTLE_FANOUT_WORKERS"),
        ({"KETTLE_CALL_WORKER": "yes"}, "KETTLE_CALL_WORKER"),
    ],
)
def test_bad_values_name_the_variable(changes: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from(**changes)
    message = str(caught.value)
    assert message.startswith(named)
    assert "\n" not in message


def test_files_come_from_slacks_file_hosts_by_default() -> None:
    s = settings_from()
    assert s.file_hosts == ("https://files.slack.com", "https://files-origin.slack.com")
    assert s.file_max_bytes == 50 * 1024 * 1024
    assert s.file_quota_bytes == 500 * 1024 * 1024


def test_file_hosts_and_limits_can_be_set() -> None:
    s = settings_from(
        KETTLE_FILE_HOSTS="files.slack.com, https://files.example-grid.slack.com:8443, "
        "http://127.0.0.1:9999",
        KETTLE_FILE_MAX_MB="20",
        KETTLE_FILE_QUOTA_MB="100",
    )
    assert s.file_hosts == (
        "https://files.slack.com",
        "https://files.example-grid.slack.com:8443",
        "http://127.0.0.1:9999",
    )
    assert (s.file_max_bytes, s.file_quota_bytes) == (20 * 1024 * 1024, 100 * 1024 * 1024)


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"KETTLE_FILE_HOSTS": "http://files.slack.com"}, "KETTLE_FILE_HOSTS"),
        ({"KETTLE_FILE_HOSTS": "file:///tmp"}, "KETTLE_FILE_HOSTS"),
        ({"KETTLE_FILE_HOSTS": "https://files.slack.com/files-pri"}, "KETTLE_FILE_HOSTS"),
        ({"KETTLE_FILE_HOSTS": "https://me@files.slack.com"}, "KETTLE_FILE_HOSTS"),
        ({"KETTLE_FILE_MAX_MB": "0"}, "KETTLE_FILE_MAX_MB"),
        ({"KETTLE_FILE_MAX_MB": "lots"}, "KETTLE_FILE_MAX_MB"),
        ({"KETTLE_FILE_QUOTA_MB": "-1"}, "KETTLE_FILE_QUOTA_MB"),
        ({"KETTLE_FILE_MAX_MB": "100", "KETTLE_FILE_QUOTA_MB": "50"}, "KETTLE_FILE_QUOTA_MB"),
    ],
)
def test_bad_file_settings_are_named(changes: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        settings_from(**changes)


OAUTH = {"SLACK_CLIENT_ID": "1111111111.2222222222", "SLACK_CLIENT_SECRET": "abc123secret"}


def test_one_workspace_with_a_bot_token_is_the_default() -> None:
    s = settings_from()
    assert not s.oauth and s.bot_token == "xoxb-1-2-3" and s.on_uninstall == "keep"


def test_client_id_and_secret_without_a_bot_token_mean_oauth_mode() -> None:
    s = settings_from(
        SLACK_BOT_TOKEN=None, KETTLE_PUBLIC_URL="https://kettle.example.org/", **OAUTH
    )
    assert s.oauth and s.bot_token == ""
    assert s.redirect_uri == "https://kettle.example.org/slack/oauth_redirect"
    assert s.authorize_url == "https://slack.com/oauth/v2/authorize"
    assert settings_from(SLACK_BOT_TOKEN=None, **OAUTH).redirect_uri is None  # Slack's own


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({**OAUTH}, "SLACK_BOT_TOKEN and SLACK_CLIENT_ID are both set"),
        (
            {"SLACK_BOT_TOKEN": None, "SLACK_CLIENT_ID": OAUTH["SLACK_CLIENT_ID"]},
            "SLACK_CLIENT_SECRET",
        ),
        ({"SLACK_BOT_TOKEN": None, "SLACK_CLIENT_SECRET": "x"}, "SLACK_CLIENT_ID"),
        ({"SLACK_BOT_TOKEN": None, **OAUTH, "SLACK_CLIENT_ID": "kettle"}, "SLACK_CLIENT_ID"),
        ({"KETTLE_ON_UNINSTALL": "archive"}, "KETTLE_ON_UNINSTALL"),
        ({"KETTLE_PUBLIC_URL": "kettle.example.org"}, "KETTLE_PUBLIC_URL"),
    ],
)
def test_bad_install_settings_are_named(changes: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        settings_from(**changes)


def test_on_uninstall_delete_is_accepted() -> None:
    assert settings_from(KETTLE_ON_UNINSTALL="Delete").on_uninstall == "delete"
