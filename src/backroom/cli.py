"""The `backroom` command: serve, database migrations, the OpenAPI document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from backroom.accounts import cli as accounts_cli
from backroom.core.config import Settings, SettingsError, get_settings

app = typer.Typer(help="Backroom: the store's backend.", no_args_is_help=True)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(accounts_cli.stores_app, name="stores")
app.add_typer(accounts_cli.users_app, name="users")


def _settings() -> Settings:
    try:
        return get_settings()
    except SettingsError as exc:
        typer.echo(f"backroom: bad setting: {exc}", err=True)
        raise typer.Exit(2) from None


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
    migrate: Annotated[bool, typer.Option(help="Bring the database to head first.")] = True,
) -> None:
    """Serve the API with uvicorn."""
    import uvicorn

    from backroom.core.migrations import upgrade

    settings = _settings()
    if migrate:
        upgrade(settings.DATABASE_URL)
    typer.echo(f"Backroom on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    uvicorn.run(
        "backroom.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=None if reload else workers,
        reload=reload,
        proxy_headers=False,  # the app applies FORWARDED_ALLOW_IPS itself
        server_header=False,
        access_log=False,  # the app writes its own access log
        log_level=settings.LOG_LEVEL.lower(),
    )


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from backroom.core.migrations import upgrade

    upgrade(_settings().DATABASE_URL, revision)


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument()]) -> None:
    """Revert migrations down to REVISION (`base` reverts all)."""
    from backroom.core.migrations import downgrade

    downgrade(_settings().DATABASE_URL, revision)


@app.command()
def openapi(
    out: Annotated[Path | None, typer.Option(help="Write to this file instead of stdout.")] = None,
) -> None:
    """Print or write the OpenAPI document."""
    from backroom.app import create_app

    document = json.dumps(create_app(_settings()).openapi(), indent=2)
    if out is None:
        typer.echo(document)
    else:
        out.write_text(document + "\n", encoding="utf-8")


def main() -> None:
    app()
