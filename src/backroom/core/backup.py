"""Backups taken while the server serves, and restores into an empty database.

SQLite: the online backup API copies the whole file in one step, inside one read
transaction, so the copy is consistent while writers continue (WAL readers never block
them). PostgreSQL: `pg_dump -Fc` (one snapshot) and `pg_restore`, with the libpq form
of `DATABASE_URL`. A restore never overwrites data: its target must hold no table, bar
an `alembic_version` that records no migration.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import DBAPIError

from backroom.core.database_url import describe_endpoint
from backroom.core.migrations import DatabaseUnreachable, check_database, with_connection

PG_DUMP_TIMEOUT_SECONDS = 6 * 3600


class BackupError(Exception):
    """A backup or restore that cannot run: one line naming the problem."""


def backup(database_url: str, path: Path) -> None:
    """Write a consistent copy of the database to PATH (replaced only once complete)."""
    url = make_url(database_url)
    partial = path.with_name(path.name + ".partial")
    if not path.parent.is_dir():
        raise BackupError(f"the folder {path.parent} does not exist")
    partial.unlink(missing_ok=True)
    try:
        if url.drivername.startswith("sqlite"):
            _sqlite_backup(_sqlite_file(url), partial)
        else:
            _run(_tool("pg_dump"), url, ["-Fc", "-f", str(partial)])
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def restore(database_url: str, path: Path) -> None:
    """Load the backup at PATH into the database, which must be empty."""
    url = make_url(database_url)
    if not path.is_file():
        raise BackupError(f"no backup at {path}")
    if url.drivername.startswith("sqlite"):
        _check_sqlite_backup(path)
        target = _sqlite_file(url, must_exist=False)
        _refuse_data(database_url)
        _sqlite_backup(path, target)
    else:
        tool = _tool("pg_restore")
        _refuse_data(database_url)
        options = ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
        _run(tool, url, options, path)


def _sqlite_file(url: URL, *, must_exist: bool = True) -> Path:
    name = url.database
    if not name or name == ":memory:" or name.startswith("file:"):
        raise BackupError("DATABASE_URL names no SQLite file to back up or restore")
    path = Path(name).expanduser()
    if must_exist and not path.is_file():
        raise BackupError(f"no SQLite database at {path}")
    return path


def _sqlite_backup(source: Path, target: Path) -> None:
    """Copy every page in one step (one read transaction: a consistent snapshot)."""
    with (
        closing(sqlite3.connect(source, timeout=30)) as reader,
        closing(sqlite3.connect(target, timeout=30)) as writer,
    ):
        reader.backup(writer, pages=-1)
        writer.execute("PRAGMA journal_mode=DELETE")  # one self-contained file


def _check_sqlite_backup(path: Path) -> None:
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as probe:
            probe.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError:
        raise BackupError(f"{path} is not a SQLite backup") from None


def _refuse_data(database_url: str) -> None:
    try:
        check_database(database_url)
        tables = with_connection(database_url, _data_tables)
    except DatabaseUnreachable as exc:
        raise BackupError(str(exc)) from None
    except DBAPIError as exc:
        raise BackupError(f"cannot read the target database: {exc.orig}") from None
    if tables:
        raise BackupError(
            f"refusing to restore into {describe_endpoint(database_url)}: it already holds "
            f"tables ({', '.join(sorted(tables)[:3])}...); restore into an empty database"
        )


def _data_tables(connection: Connection) -> list[str]:
    """The tables that make a database non-empty (an unused `alembic_version` does not)."""
    tables = set(inspect(connection).get_table_names())
    if "alembic_version" in tables:
        applied = connection.execute(text("SELECT count(*) FROM alembic_version")).scalar()
        if not applied:
            tables.discard("alembic_version")
    return sorted(tables)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} not found on PATH; install the PostgreSQL client tools "
            "(the same major version as the server or newer)"
        )
    return found


def _run(tool: str, url: URL, args: list[str], archive: Path | None = None) -> None:
    """Run a PostgreSQL tool on the libpq form of URL; its first error line on failure."""
    query = dict(url.query)
    if "ssl" in query:  # asyncpg's name for libpq's sslmode, same values
        query["sslmode"] = query.pop("ssl")
    libpq = url.set(drivername="postgresql", password=None, query=query)
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)  # not on the command line, where ps shows it
    command = [tool, "-d", libpq.render_as_string(), *args]
    if archive is not None:
        command.append(str(archive))
    result = subprocess.run(  # noqa: S603 - a PostgreSQL tool found on PATH, no shell
        command,
        env=env,
        capture_output=True,
        text=True,
        timeout=PG_DUMP_TIMEOUT_SECONDS,
        check=False,
    )
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines() or [f"exit code {result.returncode}"]
        raise BackupError(lines[0])
