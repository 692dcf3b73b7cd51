"""`backroom audit ...`: upkeep of the audit trail (retention)."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated

import typer

from backroom.core.config import Settings, SettingsError, load_settings
from backroom.core.db import Database
from backroom.tools.activity import service

audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"backroom: {message}", err=True)
    return typer.Exit(code)


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise _fail(f"bad setting: {exc}") from None


def _cutoff(before: str | None, settings: Settings, now: dt.datetime) -> dt.datetime:
    """Midnight UTC of `--before`, else `AUDIT_RETENTION_DAYS` ago."""
    if before is None:
        if settings.AUDIT_RETENTION_DAYS is None:
            raise _fail("nothing to prune: pass --before or set AUDIT_RETENTION_DAYS")
        return now - dt.timedelta(days=settings.AUDIT_RETENTION_DAYS)
    try:
        day = dt.date.fromisoformat(before)
    except ValueError:
        raise _fail("--before must be a date, YYYY-MM-DD") from None
    cutoff = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    if cutoff > now:
        raise _fail("--before must not be in the future")
    return cutoff


@audit_app.command("prune")
def prune(
    before: Annotated[
        str | None,
        typer.Option(
            help="Delete the events before this date (YYYY-MM-DD, UTC). "
            "Default: older than AUDIT_RETENTION_DAYS."
        ),
    ] = None,
) -> None:
    """Delete old audit events in batches, and record one event saying what was deleted."""
    settings = _settings()
    cutoff = _cutoff(before, settings, dt.datetime.now(dt.UTC))

    async def run() -> service.PruneReport:
        database = Database(settings)
        try:
            return await service.prune(database, cutoff)
        finally:
            await database.dispose()

    report = asyncio.run(run())
    typer.echo(f"pruned {report.deleted} audit events from before {cutoff.isoformat()}")
