"""Alembic, driven from code: the CLI, `serve` and the readiness check use it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import lru_cache
from importlib.resources import files
from typing import Any, TypeVar

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from backroom.core.database_url import describe_endpoint
from backroom.core.pooler import utility_connect_args

# The migrations ship inside the package, so an installed wheel can migrate as a checkout can.
SCRIPT_LOCATION = str(files("backroom") / "migrations")
FILE_TEMPLATE = "%%(year)d-%%(month).2d-%%(day).2d-%%(hour).2d%%(minute).2d_%%(slug)s"


def unmanaged(metadata: MetaData) -> Callable[[str | None, str, Any], bool]:
    """An `include_name` hook that leaves out what migrations manage by hand.

    Some objects cannot be described by the models (an FTS5 table and its shadow
    tables, an expression index of one engine); their domain lists their names in
    `metadata.info["unmanaged"]` so that comparing models and database skips them.
    """
    names = metadata.info.setdefault("unmanaged", set())

    def include_name(name: str | None, _type: str, _parents: Any) -> bool:
        return name not in names

    return include_name


def alembic_config(database_url: str) -> Config:
    """Alembic's configuration built in code: no alembic.ini is needed at run time."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.set_main_option("file_template", FILE_TEMPLATE)
    config.set_main_option("path_separator", "os")
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
        engine = create_async_engine(
            database_url, poolclass=NullPool, connect_args=utility_connect_args(database_url)
        )
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(work)
        finally:
            await engine.dispose()

    return asyncio.run(run())


class DatabaseUnreachable(Exception):
    """The database cannot be reached or opened: one line saying where and what to do."""


def check_database(database_url: str, timeout: float = 5.0) -> None:
    """Open one connection, so that start-up fails with a sentence rather than a traceback."""
    where = describe_endpoint(database_url)
    connect_args = utility_connect_args(database_url, timeout)

    async def probe() -> None:
        engine = create_async_engine(database_url, poolclass=NullPool, connect_args=connect_args)
        try:
            async with engine.connect():
                pass
        finally:
            await engine.dispose()

    try:
        asyncio.run(probe())
    except DBAPIError as exc:  # the server answered: no such database, wrong password, ...
        reason = str(exc.orig).splitlines()[0] if exc.orig is not None else type(exc).__name__
        raise DatabaseUnreachable(
            f"the database at {where} refused the connection ({reason}); check DATABASE_URL"
        ) from None
    except OSError as exc:  # refused, unknown host, timed out
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise DatabaseUnreachable(
            f"cannot reach the database at {where} ({reason}); check DATABASE_URL, or start "
            "with `backroom serve --no-migrate` to serve without it (not ready until it is up)"
        ) from None


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
            connection,
            opts={
                "compare_type": True,
                "include_name": unmanaged(metadata),
                "include_object": include_object,
            },
        )
        return list(compare_metadata(context, metadata))

    return with_connection(database_url, compare)
