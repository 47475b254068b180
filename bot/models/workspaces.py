"""The workspaces Kettle is installed in: slack_sdk's own installation and OAuth state tables.

They are built by slack_sdk's SQLAlchemy stores' own table builders on Kettle's metadata, so the
stores (`SQLAlchemyInstallationStore`, `SQLAlchemyOAuthStateStore`) read and write exactly the
tables the migration makes, and the migrations test holds the two together.
"""

from __future__ import annotations

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

from bot.models.base import Base

INSTALLATIONS_TABLE = SQLAlchemyInstallationStore.default_installations_table_name
BOTS_TABLE = SQLAlchemyInstallationStore.default_bots_table_name
OAUTH_STATES_TABLE = SQLAlchemyOAuthStateStore.default_table_name

slack_installations = SQLAlchemyInstallationStore.build_installations_table(
    Base.metadata, INSTALLATIONS_TABLE
)
slack_bots = SQLAlchemyInstallationStore.build_bots_table(Base.metadata, BOTS_TABLE)
slack_oauth_states = SQLAlchemyOAuthStateStore.build_oauth_states_table(
    Base.metadata, OAUTH_STATES_TABLE
)

SECRET_LEFT_OUT = "[secret left out of this backup: install Kettle again through /slack/install]"
"""What a backup made without `--with-secrets` holds in place of each secret below."""

SECRET_COLUMNS: dict[str, tuple[str, ...]] = {
    INSTALLATIONS_TABLE: (
        "bot_token",
        "bot_refresh_token",
        "user_token",
        "user_refresh_token",
        "incoming_webhook_url",  # whoever holds it can post to its channel
    ),
    BOTS_TABLE: ("bot_token", "bot_refresh_token"),
    OAUTH_STATES_TABLE: ("state",),  # an install link still in flight
}
"""The columns that hold a live secret: a token, or what stands for one."""
