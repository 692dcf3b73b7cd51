"""The migration chain: empty to head and back on both engines; models and migrations agree."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import Connection

import backroom
from backroom.core.migrations import (
    alembic_config,
    database_revision,
    downgrade,
    head_revision,
    schema_diff,
    upgrade,
    with_connection,
)
from backroom.models import metadata


def table_names(url: str) -> set[str]:
    def names(connection: Connection) -> set[str]:
        return set(inspect(connection).get_table_names())

    return with_connection(url, names)


def test_upgrade_from_empty_to_head_and_back_to_empty(fresh_database: str) -> None:
    assert database_revision(fresh_database) is None
    upgrade(fresh_database)
    assert database_revision(fresh_database) == head_revision()
    assert set(metadata.tables) <= table_names(fresh_database)

    downgrade(fresh_database, "base")
    assert database_revision(fresh_database) is None
    assert table_names(fresh_database) <= {"alembic_version"}

    upgrade(fresh_database)  # and up again: downgrades leave nothing behind that blocks it
    assert database_revision(fresh_database) == head_revision()


def test_models_and_migrations_agree(fresh_database: str) -> None:
    upgrade(fresh_database)
    assert schema_diff(fresh_database, metadata) == []


def test_the_migrations_ship_inside_the_package() -> None:
    """An installed wheel has only the package: the chain must be found inside it."""
    package = Path(backroom.__file__).resolve().parent
    location = Path(alembic_config("sqlite://").get_main_option("script_location") or "")
    assert location.resolve() == package / "migrations"
    assert (location / "env.py").is_file()
    assert (location / "script.py.mako").is_file()
    assert head_revision() is not None
    # and the wheel's file list takes them: package data of the backroom package
    pyproject = (package.parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    for pattern in ("migrations/*.py", "migrations/*.mako", "migrations/versions/*.py"):
        assert f'"{pattern}"' in pyproject
