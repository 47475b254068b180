"""Migrations are the schema: one head, models that match them, and a clean round trip."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from bot import migrate
from bot.db import make_engine
from bot.models import Base
from bot.models.stories import is_search_index


def test_there_is_one_head(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    assert len(migrate.head_revisions(url)) == 1
    assert migrate.current_revisions(engine) == migrate.head_revisions(url)


def test_models_match_the_migrated_schema(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "include_object": lambda obj, name, type_, reflected, other: (
                    not (type_ == "table" and name == "apscheduler_jobs")
                    and not is_search_index(type_, name)
                ),
            },
        )
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_downgrade_to_nothing_and_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'roundtrip.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    config = migrate.alembic_config(url)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    assert migrate.upgrade(engine) is True
    assert "stories" in inspect(engine).get_table_names()
    engine.dispose()
