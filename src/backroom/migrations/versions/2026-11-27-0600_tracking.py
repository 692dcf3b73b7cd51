"""Tracking: items with 4-digit codes, their history, and name templates per store.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 06:00:00

The templates seeded here for stores that already exist are a frozen copy of the list
new stores get (`backroom.tools.tracking.templates`): a migration must not change
meaning when the application code does.
"""

import datetime as dt
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from backroom.core.db import UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CATEGORIES = (
    "category IN ('syrups', 'sauces', 'coffee_beans', 'powders', 'cups', 'lids', "
    "'condiments', 'cleaning_supplies', 'other')"
)

TEMPLATES = {
    "syrups": (
        "Vanilla Syrup", "Caramel Syrup", "Hazelnut Syrup", "Classic Syrup",
        "Peppermint Syrup", "Toffee Nut Syrup", "Brown Sugar Syrup", "Sugar-Free Vanilla Syrup",
    ),
    "sauces": (
        "Mocha Sauce", "White Chocolate Mocha Sauce", "Caramel Sauce", "Pumpkin Spice Sauce",
        "Dark Caramel Sauce",
    ),
    "coffee_beans": (
        "Pike Place Roast", "Espresso Roast", "Blonde Espresso Roast", "Decaf Espresso Roast",
        "Cold Brew Blend", "French Roast", "Veranda Blend",
    ),
    "powders": (
        "Matcha Powder", "Vanilla Bean Powder", "Chocolate Malt Powder",
        "Cinnamon Dolce Topping", "Protein Powder",
    ),
    "cups": (
        "Short Hot Cups", "Tall Hot Cups", "Grande Hot Cups", "Venti Hot Cups",
        "Tall Cold Cups", "Grande Cold Cups", "Venti Cold Cups", "Trenta Cold Cups",
    ),
    "lids": ("Hot Cup Lids", "Cold Cup Lids", "Dome Lids", "Strawless Lids", "Sip Lids"),
    "condiments": (
        "Sugar Packets", "Raw Sugar Packets", "Stevia Packets", "Honey Packets", "Stir Sticks",
        "Napkins", "Straws",
    ),
    "cleaning_supplies": (
        "Sanitizer Tablets", "Dish Soap", "Glass Cleaner", "Floor Cleaner",
        "Espresso Machine Cleaner", "Paper Towels",
    ),
    "other": ("Whipped Cream Chargers", "Cup Sleeves", "Drink Carriers", "Pastry Bags"),
}  # fmt: skip


def _create_item_table() -> None:
    op.create_table(
        "tracking_item",
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_key", sa.String(length=300), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("code", sa.CHAR(length=4), nullable=False),
        sa.Column("added_by", sa.Uuid(), nullable=True),
        sa.Column("added_by_name", sa.String(length=200), nullable=True),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.Column("is_removed", sa.Boolean(), nullable=False),
        sa.Column("removed_by", sa.Uuid(), nullable=True),
        sa.Column("removed_by_name", sa.String(length=200), nullable=True),
        sa.Column("removed_at", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(CATEGORIES, name=op.f("ck_tracking_item_category")),
        sa.ForeignKeyConstraint(
            ["added_by"], ["user.id"], name=op.f("fk_tracking_item_added_by_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["removed_by"], ["user.id"], name=op.f("fk_tracking_item_removed_by_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_tracking_item_store_id_store"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_item")),
    )  # fmt: skip
    with op.batch_alter_table("tracking_item", schema=None) as batch_op:
        batch_op.create_index(
            "uq_tracking_item_store_id_code_active",
            ["store_id", "code"],
            unique=True,
            sqlite_where=sa.text("is_removed = 0"),
            postgresql_where=sa.text("NOT is_removed"),
        )
        batch_op.create_index("ix_tracking_item_store_id_code", ["store_id", "code"])
        batch_op.create_index(
            "ix_tracking_item_store_id_is_removed_added_at",
            ["store_id", "is_removed", "added_at"],
        )
        batch_op.create_index("ix_tracking_item_store_id_added_at", ["store_id", "added_at"])
        batch_op.create_index(
            "ix_tracking_item_store_id_category_is_removed_added_at",
            ["store_id", "category", "is_removed", "added_at"],
        )


def _create_history_table() -> None:
    op.create_table(
        "tracking_history",
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("item_name", sa.String(length=100), nullable=False),
        sa.Column("item_code", sa.CHAR(length=4), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("user_name", sa.String(length=200), nullable=True),
        sa.Column("timestamp", UTCDateTime(), nullable=False),
        sa.Column("notes", sa.String(length=500), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("action IN ('ADD', 'REMOVE')", name=op.f("ck_tracking_history_action")),
        sa.ForeignKeyConstraint(
            ["item_id"], ["tracking_item.id"],
            name=op.f("fk_tracking_history_item_id_tracking_item"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_tracking_history_store_id_store"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_tracking_history_user_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_history")),
    )  # fmt: skip
    with op.batch_alter_table("tracking_history", schema=None) as batch_op:
        batch_op.create_index("ix_tracking_history_item_id", ["item_id"])
        batch_op.create_index("ix_tracking_history_store_id_timestamp", ["store_id", "timestamp"])
        batch_op.create_index(
            "ix_tracking_history_store_id_user_id_timestamp", ["store_id", "user_id", "timestamp"]
        )
        batch_op.create_index(
            "ix_tracking_history_store_id_action_timestamp", ["store_id", "action", "timestamp"]
        )
        batch_op.create_index(
            "ix_tracking_history_store_id_item_code_timestamp",
            ["store_id", "item_code", "timestamp"],
        )


def _create_suggestion_table() -> sa.Table:
    table = op.create_table(
        "tracking_suggestion",
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_key", sa.String(length=300), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(CATEGORIES, name=op.f("ck_tracking_suggestion_category")),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_tracking_suggestion_store_id_store"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_suggestion")),
    )  # fmt: skip
    with op.batch_alter_table("tracking_suggestion", schema=None) as batch_op:
        batch_op.create_index(
            "uq_tracking_suggestion_store_id_category_name_key",
            ["store_id", "category", "name_key"],
            unique=True,
        )
    assert table is not None
    return table


def _seed_existing_stores(suggestions: sa.Table) -> None:
    connection = op.get_bind()
    store = sa.table("store", sa.column("id", sa.Uuid()))
    store_ids = connection.execute(sa.select(store.c.id)).scalars().all()
    now = dt.datetime.now(dt.UTC)
    rows = [
        {
            "id": uuid.uuid4(),
            "store_id": store_id,
            "category": category,
            "name": name,
            "name_key": name.casefold(),
            "created_at": now,
            "updated_at": now,
        }
        for store_id in store_ids
        for category, names in TEMPLATES.items()
        for name in names
    ]
    if rows:
        op.bulk_insert(suggestions, rows)


def upgrade() -> None:
    _create_item_table()
    _create_history_table()
    _seed_existing_stores(_create_suggestion_table())


def downgrade() -> None:
    op.drop_table("tracking_suggestion")
    op.drop_table("tracking_history")
    op.drop_table("tracking_item")
