"""Alembic, driven from code: the CLI, `serve` and the readiness check use it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

import backroom

# The migrations ship beside the package in a source checkout (`pip install -e .`).
ROOT = Path(backroom.__file__).resolve().parents[2]


def alembic_config(database_url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    return config


@lru_cache
def head_revision() -> str | None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return script.get_current_head()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


T = TypeVar("T")


def with_connection(database_url: str, work: Callable[[Connection], T]) -> T:
    async def run() -> T:
        engine = create_async_engine(database_url, poolclass=NullPool)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(work)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def database_revision(database_url: str) -> str | None:
    """The revision the database is at (None: no migration applied)."""
    return with_connection(database_url, current_revision)


# Indexes a migration creates on one engine only, which the models cannot declare (the
# PostgreSQL `pg_trgm` search indexes end in `_trgm`): autogenerate leaves them alone.
ENGINE_ONLY_INDEX_SUFFIX = "_trgm"


def include_object(
    item: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic's `include_object` hook: skip the engine-only indexes of the database."""
    return not (
        type_ == "index"
        and reflected
        and compare_to is None
        and (name or "").endswith(ENGINE_ONLY_INDEX_SUFFIX)
    )


def schema_diff(database_url: str, metadata: MetaData) -> list[Any]:
    """What autogenerate would change to make the database match the models (empty: none)."""

    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include_object}
        )
        return list(compare_metadata(context, metadata))

    return with_connection(database_url, compare)
