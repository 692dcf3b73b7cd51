"""`DATABASE_URL` as users paste it from hosting dashboards, checked before anything connects."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

EXAMPLE = "sqlite+aiosqlite:///./backroom.db or postgresql+asyncpg://user:pass@host:5432/db"
# Bare schemes mapped to the async driver Backroom runs on.
_DRIVERS = {
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
}
_SUPPORTED = {"postgresql+asyncpg", "sqlite+aiosqlite"}


def normalize_database_url(value: str) -> str:
    """The URL with the async driver filled in; ValueError (one line) when it cannot work."""
    try:
        url = make_url(value.strip())
    except ArgumentError:
        raise ValueError(f"not a database URL; expected e.g. {EXAMPLE}") from None
    driver = _DRIVERS.get(url.drivername, url.drivername)
    if driver not in _SUPPORTED:
        raise ValueError(
            f"unsupported database {url.drivername!r}; use sqlite+aiosqlite:// or "
            "postgresql+asyncpg://"
        )
    if driver.startswith("sqlite"):
        _check_sqlite_folder(url)
    elif not url.database:
        raise ValueError("names no database; expected e.g. postgresql+asyncpg://host:5432/backroom")
    if driver == url.drivername:
        return value.strip()
    return url.set(drivername=driver).render_as_string(hide_password=False)


def normalize_optional_database_url(value: str | None) -> str | None:
    """As `normalize_database_url`; an empty value (`NAME=` in `.env`) means none."""
    if value is None or not value.strip():
        return None
    return normalize_database_url(value)


def _check_sqlite_folder(url: URL) -> None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    folder = Path(database).expanduser().absolute().parent
    if not folder.is_dir():
        raise ValueError(f"the folder of the SQLite file does not exist: {folder}")


def describe_endpoint(value: str) -> str:
    """`host:port` (or the SQLite file) for messages; never the password."""
    url = make_url(value)
    if url.drivername.startswith("sqlite"):
        return f"the SQLite file {url.database}"
    return f"{url.host or 'localhost'}:{url.port or 5432}"
