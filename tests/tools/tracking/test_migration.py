"""The tracking migration gives the stores that already exist their name templates."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from backroom.core.migrations import downgrade, upgrade, with_connection
from backroom.tools.tracking.templates import DEFAULT_TEMPLATES

BEFORE_TRACKING = "0003"


def test_existing_stores_get_the_default_templates_and_downgrade_drops_them(
    fresh_database: str,
) -> None:
    upgrade(fresh_database, BEFORE_TRACKING)
    store_id = uuid.uuid4()
    now = dt.datetime.now(dt.UTC)

    def add_store(connection: Connection) -> None:
        store = sa.table(
            "store",
            sa.column("id", sa.Uuid()),
            sa.column("name", sa.String()),
            sa.column("timezone", sa.String()),
            sa.column("created_at", sa.DateTime(timezone=True)),
            sa.column("updated_at", sa.DateTime(timezone=True)),
        )
        connection.execute(
            sa.insert(store).values(
                id=store_id, name="Old Store", timezone="UTC", created_at=now, updated_at=now
            )
        )
        connection.commit()

    with_connection(fresh_database, add_store)
    upgrade(fresh_database)

    def templates(connection: Connection) -> list[tuple[str, str]]:
        rows = connection.execute(
            sa.text("SELECT category, name FROM tracking_suggestion WHERE store_id = :store"),
            {"store": store_id.hex if "sqlite" in fresh_database else store_id},
        )
        return sorted((str(category), str(name)) for category, name in rows)

    expected = sorted(
        (category.value, name) for category, names in DEFAULT_TEMPLATES.items() for name in names
    )
    assert with_connection(fresh_database, templates) == expected

    downgrade(fresh_database, BEFORE_TRACKING)

    def tables(connection: Connection) -> set[str]:
        return set(sa.inspect(connection).get_table_names())

    assert not {"tracking_item", "tracking_history", "tracking_suggestion"} & with_connection(
        fresh_database, tables
    )
