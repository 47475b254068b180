"""Alembic environment: the URL comes from Kettle's settings; every model is imported."""

from __future__ import annotations

from alembic import context
from sqlalchemy import pool

from bot.config import DEFAULT_DATABASE_URL, normalise_database_url
from bot.db import make_engine
from bot.models import Base
from bot.models.stories import is_search_index

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        import os

        url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    return normalise_database_url(url)


def _include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """APScheduler's table and the library's full-text index are made by migrations but are
    not Kettle's models."""
    return not (type_ == "table" and name == "apscheduler_jobs") and not is_search_index(
        type_, name
    )


def _configure(connection: object, url: str) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        include_object=_include_object,
        compare_type=True,
        render_as_batch=url.startswith("sqlite"),
    )


def run_migrations_offline() -> None:
    url = _url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        compare_type=True,
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    url = _url()
    if connection is not None:
        _configure(connection, str(connection.engine.url))
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(url, poolclass=pool.NullPool)
    with engine.connect() as conn:
        _configure(conn, url)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
