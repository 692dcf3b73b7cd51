"""The `backroom` command: serve, database migrations, the OpenAPI document.

Domains add their own command groups below `app`, one `app.add_typer(...)` line each.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer

from backroom.accounts import cli as accounts_cli
from backroom.core.config import Settings, SettingsError, load_settings
from backroom.demo import cli as demo_cli
from backroom.tools.activity import cli as activity_cli

# Uvicorn's defaults are 5 s and 2048. Keep-alive must outlast the idle timeout of the
# proxies and clients that reuse connections (60 s for most load balancers): whoever
# closes an idle connection first races a request sent on it (docs/OPERATIONS.md).
KEEP_ALIVE_SECONDS = 75
BACKLOG = 2048
UVICORN_FIXED: dict[str, Any] = {
    "proxy_headers": False,  # the app applies FORWARDED_ALLOW_IPS itself
    "server_header": False,
    "access_log": False,  # the app writes its own access log
    "timeout_graceful_shutdown": 20,
}

app = typer.Typer(help="Backroom: the store's backend.", no_args_is_help=True)
db_app = typer.Typer(help="Database migrations and upkeep.", no_args_is_help=True)
app.add_typer(db_app, name="db")
# Domain command groups, one `app.add_typer(...)` line each (the groups live in the
# domain's cli.py).


def _load_tools() -> None:
    """Import every tool, so the store set-ups they register run for stores made here.

    Imported here and not at the top: `serve` must set up metrics before the app loads.
    """
    import backroom.models  # noqa: F401


app.add_typer(accounts_cli.stores_app, name="stores", callback=_load_tools)
app.add_typer(accounts_cli.users_app, name="users", callback=_load_tools)
app.add_typer(activity_cli.audit_app, name="audit")
app.command("seed-demo")(demo_cli.seed_demo)


def _settings() -> Settings:
    """The settings, read afresh; a bad one stops the command with one line naming it."""
    try:
        return load_settings()
    except SettingsError as exc:
        typer.echo(f"backroom: bad setting: {exc}", err=True)
        raise typer.Exit(2) from None


def _reachable(database_url: str) -> str:
    """The URL, once one connection opened; else one line saying where and what to do."""
    from backroom.core.migrations import DatabaseUnreachable, check_database

    try:
        check_database(database_url)
    except DatabaseUnreachable as exc:
        typer.echo(f"backroom: {exc}", err=True)
        raise typer.Exit(1) from None
    return database_url


METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare_metrics_dir(data_dir: Path) -> Path:
    """Point every worker at one empty samples folder: the configured one, else `DATA_DIR/metrics`.

    Runs before the workers start: prometheus_client decides on import whether samples
    go to this folder. Samples of a previous run would be added to this one's.
    """
    configured = os.environ.get(METRICS_DIR_ENV)
    path = (Path(configured) if configured else data_dir / "metrics").resolve()
    path.mkdir(parents=True, exist_ok=True)
    clear_metrics_dir(path)
    os.environ[METRICS_DIR_ENV] = str(path)
    return path


def clear_metrics_dir(path: Path) -> None:
    for stale in path.glob("*.db"):
        stale.unlink(missing_ok=True)


def _stop_on_sigterm() -> None:
    """Make SIGTERM end `serve` through its `finally` (exit 0) rather than kill it.

    Uvicorn shuts down gracefully on SIGTERM, then raises the signal again to run the
    handler it found, which by default kills the process before it can clean up.
    """

    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)


@app.command()
def serve(
    *,
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
    migrate: Annotated[bool, typer.Option(help="Bring the database to head first.")] = True,
    timeout_keep_alive: Annotated[
        int, typer.Option(min=1, help="Seconds an idle keep-alive connection stays open.")
    ] = KEEP_ALIVE_SECONDS,
    backlog: Annotated[
        int, typer.Option(min=1, help="Connections the kernel queues before they are accepted.")
    ] = BACKLOG,
    limit_concurrency: Annotated[
        int | None,
        typer.Option(min=1, help="Connections and requests at once per worker; more get 503."),
    ] = None,
) -> None:
    """Serve the API with uvicorn (migrating the database to head first)."""
    settings = _settings()
    separate_workers = reload or workers > 1
    metrics_dir = None
    if os.environ.get(METRICS_DIR_ENV) or (workers > 1 and not reload):
        metrics_dir = prepare_metrics_dir(settings.DATA_DIR)  # /metrics adds up every worker

    import uvicorn

    from backroom.core.logging import log_line, uvicorn_log_config
    from backroom.core.metrics import process_stopped
    from backroom.core.migrations import upgrade

    if migrate:
        upgrade(_reachable(settings.DATABASE_URL))
    if separate_workers:
        process_stopped()  # this supervising process serves no request: it must not count
    docs = f"http://{host}:{port}/docs"
    typer.echo(log_line(settings, f"Backroom on http://{host}:{port}  (API docs: {docs})"))
    hint = asyncio.run(accounts_cli.first_admin_hint(settings)) if migrate else None
    if hint:
        typer.echo(log_line(settings, hint))
    _stop_on_sigterm()
    try:
        uvicorn.run(
            "backroom.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=None if reload else workers,
            reload=reload,
            log_config=uvicorn_log_config(settings),
            log_level=settings.LOG_LEVEL.lower(),
            timeout_keep_alive=timeout_keep_alive,
            backlog=backlog,
            limit_concurrency=limit_concurrency,
            **UVICORN_FIXED,
        )
    finally:
        if metrics_dir is not None:
            clear_metrics_dir(metrics_dir)  # a stopped server's samples count no more


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from backroom.core.migrations import upgrade

    upgrade(_reachable(_settings().DATABASE_URL), revision)


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument()]) -> None:
    """Revert migrations down to REVISION (`base` reverts all)."""
    from backroom.core.migrations import downgrade

    downgrade(_reachable(_settings().DATABASE_URL), revision)


@db_app.command("current")
def db_current() -> None:
    """Print the database's revision and the newest one."""
    from backroom.core.migrations import database_revision, head_revision

    current, head = database_revision(_reachable(_settings().DATABASE_URL)), head_revision()
    state = "at head" if current == head else "behind: run `backroom db upgrade`"
    typer.echo(f"database: {current or 'empty'}  head: {head}  ({state})")


@db_app.command("check")
def db_check() -> None:
    """Fail unless the database is at head and the models match the migrations."""
    from backroom.core.migrations import database_revision, head_revision, schema_diff
    from backroom.models import metadata

    url = _reachable(_settings().DATABASE_URL)
    current, head = database_revision(url), head_revision()
    if current != head:
        typer.echo(f"database is at {current or 'empty'}, not {head}: run `backroom db upgrade`")
        raise typer.Exit(1)
    diff = schema_diff(url, metadata)
    for change in diff:
        typer.echo(f"models differ from migrations: {change}")
    if diff:
        raise typer.Exit(1)
    typer.echo("ok: the database is at head and the models match the migrations")


@db_app.command("purge-idempotency")
def db_purge_idempotency() -> None:
    """Delete the Idempotency-Key records past their expiry (run it daily, e.g. from cron)."""
    from backroom.core.db import Database
    from backroom.core.idempotency import purge_expired

    settings = _settings()
    _reachable(settings.DATABASE_URL)

    async def purge() -> int:
        database = Database(settings)
        try:
            async with database.sessionmaker() as session:
                removed = await purge_expired(session)
                await session.commit()
                return removed
        finally:
            await database.dispose()

    typer.echo(f"removed {asyncio.run(purge())} expired idempotency keys")


@db_app.command("backup")
def db_backup(path: Annotated[Path, typer.Argument(help="File to write.")]) -> None:
    """Write a consistent copy of the database to PATH while the server keeps serving."""
    from backroom.core.backup import BackupError, backup

    settings = _settings()
    try:
        backup(settings.DATABASE_URL, path)
    except BackupError as exc:
        typer.echo(f"backroom: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"backed up to {path}")


@db_app.command("restore")
def db_restore(path: Annotated[Path, typer.Argument(help="Backup to load.")]) -> None:
    """Load the backup at PATH into the database, which must be empty."""
    from backroom.core.backup import BackupError, restore

    settings = _settings()
    try:
        restore(settings.DATABASE_URL, path)
    except BackupError as exc:
        typer.echo(f"backroom: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"restored {path}; run `backroom db upgrade` if it comes from an older release")


@app.command()
def openapi(
    out: Annotated[Path | None, typer.Option(help="Write to this file instead of stdout.")] = None,
) -> None:
    """Print or write the OpenAPI 3.1 document."""
    from backroom.app import create_app

    document = json.dumps(create_app(_settings()).openapi(), indent=2)
    if out is None:
        typer.echo(document)
    else:
        out.write_text(document + "\n", encoding="utf-8")


@app.command()
def config(
    update: Annotated[
        Path | None, typer.Option(help="Rewrite the settings table in this Markdown file.")
    ] = None,
) -> None:
    """Print every setting with its default and meaning (the table of docs/OPERATIONS.md)."""
    from backroom.core.settings_doc import replace_table, settings_table

    if update is None:
        typer.echo(settings_table())
        return
    try:
        document = replace_table(update.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        typer.echo(f"backroom: {exc}", err=True)
        raise typer.Exit(1) from None
    update.write_text(document, encoding="utf-8")


def main() -> None:
    app(prog_name="backroom")
