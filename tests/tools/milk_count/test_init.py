"""The package registers the default milk types as a new store's set-up, and the
migration gives them to the stores that existed before it."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Role
from backroom.accounts.service.stores import create_store
from backroom.core.config import Settings
from backroom.core.migrations import upgrade, with_connection
from tests.factories import auth_headers, make_user
from tests.tools.milk_count.factories import DEFAULT_NAMES, active_types


async def test_a_store_created_by_accounts_starts_with_the_default_milk_types(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    store = await create_store(session, "Harbour Street", "Europe/Lisbon")
    await session.commit()
    admin = await make_user(session, role=Role.ADMIN, store=store)

    types = await active_types(client, auth_headers(settings, admin))

    assert [t["name"] for t in types] == DEFAULT_NAMES
    assert {t["par_value"] for t in types} == {0}
    pars = await client.get(
        "/api/milk-count/admin/par-levels", headers=auth_headers(settings, admin)
    )
    assert [p["version"] for p in pars.json()["par_levels"]] == [1] * 9


def test_the_migration_gives_existing_stores_the_default_milk_types(fresh_database: str) -> None:
    upgrade(fresh_database, "0003")
    stores = [uuid.uuid4(), uuid.uuid4()]

    def add_stores(connection: Connection) -> None:
        table = sa.table(
            "store",
            sa.column("id", sa.Uuid()),
            sa.column("name", sa.String()),
            sa.column("timezone", sa.String()),
            sa.column("created_at", sa.DateTime()),
            sa.column("updated_at", sa.DateTime()),
        )
        for number, ident in enumerate(stores):
            connection.execute(
                table.insert().values(
                    id=ident,
                    name=f"Old store {number}",
                    timezone="UTC",
                    created_at=sa.func.now(),
                    updated_at=sa.func.now(),
                )
            )
        connection.commit()

    with_connection(fresh_database, add_stores)
    upgrade(fresh_database)

    def seeded(connection: Connection) -> list[tuple[uuid.UUID, str, int, int]]:
        rows = connection.execute(
            sa.text(
                "SELECT t.store_id, t.name, t.display_order, p.par_value FROM milk_type t "
                "JOIN milk_par_level p ON p.milk_type_id = t.id "
                "ORDER BY t.store_id, t.display_order"
            )
        ).all()
        return [(uuid.UUID(str(r[0])), r[1], r[2], r[3]) for r in rows]

    rows = with_connection(fresh_database, seeded)
    for store_id in stores:
        mine = [row for row in rows if row[0] == store_id]
        assert [row[1] for row in mine] == DEFAULT_NAMES
        assert [row[2] for row in mine] == list(range(1, 10))
        assert {row[3] for row in mine} == {0}


def test_a_store_created_on_the_command_line_gets_the_default_milk_types(tmp_path: Path) -> None:
    """In a process of its own, as an operator runs it: nothing but the command imports
    the tool packages there."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    env = {"DATABASE_URL": url, "DATA_DIR": str(tmp_path / "data"), "ENVIRONMENT": "development"}
    for command in (["db", "upgrade"], ["stores", "create", "Quay Street", "--timezone", "UTC"]):
        result = subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "backroom", *command],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr

    def names(connection: Connection) -> list[str]:
        statement = sa.text("SELECT name FROM milk_type ORDER BY display_order")
        return [row[0] for row in connection.execute(statement)]

    assert with_connection(url, names) == DEFAULT_NAMES
