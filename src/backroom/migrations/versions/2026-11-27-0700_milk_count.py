"""Milk count: milk types, par levels, count sessions and their entries.

Every existing store gets the nine default milk types at par 0, as a new store does.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 07:00:00
"""

import datetime as dt
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from backroom.core.db import UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "milk_type",
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("name_key", sa.String(length=150), nullable=False),
        sa.Column("category", sa.String(length=10), nullable=False),
        sa.Column("display_order", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "category IN ('dairy', 'non_dairy')", name=op.f("ck_milk_type_category")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_milk_type_store_id_store"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milk_type")),
        sa.UniqueConstraint("store_id", "name_key", name=op.f("uq_milk_type_store_id_name_key")),
    )
    with op.batch_alter_table("milk_type", schema=None) as batch_op:
        batch_op.create_index(
            "ix_milk_type_store_id_display_order", ["store_id", "display_order"], unique=False
        )

    op.create_table(
        "milk_par_level",
        sa.Column("milk_type_id", sa.Uuid(), nullable=False),
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("par_value", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("updated_by_name", sa.String(length=200), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["milk_type_id"],
            ["milk_type.id"],
            name=op.f("fk_milk_par_level_milk_type_id_milk_type"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["store.id"],
            name=op.f("fk_milk_par_level_store_id_store"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["user.id"],
            name=op.f("fk_milk_par_level_updated_by_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milk_par_level")),
        sa.UniqueConstraint("milk_type_id", name=op.f("uq_milk_par_level_milk_type_id")),
    )
    with op.batch_alter_table("milk_par_level", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_milk_par_level_store_id"), ["store_id"], unique=False)

    op.create_table(
        "milk_session",
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("night_foh_saved_at", UTCDateTime(), nullable=True),
        sa.Column("night_foh_user_id", sa.Uuid(), nullable=True),
        sa.Column("night_foh_user_name", sa.String(length=200), nullable=True),
        sa.Column("night_boh_saved_at", UTCDateTime(), nullable=True),
        sa.Column("night_boh_user_id", sa.Uuid(), nullable=True),
        sa.Column("night_boh_user_name", sa.String(length=200), nullable=True),
        sa.Column("morning_saved_at", UTCDateTime(), nullable=True),
        sa.Column("morning_user_id", sa.Uuid(), nullable=True),
        sa.Column("morning_user_name", sa.String(length=200), nullable=True),
        sa.Column("on_order_saved_at", UTCDateTime(), nullable=True),
        sa.Column("on_order_user_id", sa.Uuid(), nullable=True),
        sa.Column("on_order_user_name", sa.String(length=200), nullable=True),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('night_foh', 'night_boh', 'morning', 'on_order', 'completed')",
            name=op.f("ck_milk_session_status"),
        ),
        sa.ForeignKeyConstraint(
            ["morning_user_id"],
            ["user.id"],
            name=op.f("fk_milk_session_morning_user_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["night_boh_user_id"],
            ["user.id"],
            name=op.f("fk_milk_session_night_boh_user_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["night_foh_user_id"],
            ["user.id"],
            name=op.f("fk_milk_session_night_foh_user_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["on_order_user_id"],
            ["user.id"],
            name=op.f("fk_milk_session_on_order_user_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["store.id"],
            name=op.f("fk_milk_session_store_id_store"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milk_session")),
        sa.UniqueConstraint(
            "store_id", "business_date", name=op.f("uq_milk_session_store_id_business_date")
        ),
    )
    with op.batch_alter_table("milk_session", schema=None) as batch_op:
        batch_op.create_index(
            "ix_milk_session_store_id_created_at", ["store_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_milk_session_store_id_status_business_date",
            ["store_id", "status", "business_date"],
            unique=False,
        )

    op.create_table(
        "milk_entry",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("milk_type_id", sa.Uuid(), nullable=False),
        sa.Column("foh_count", sa.Integer(), nullable=True),
        sa.Column("boh_count", sa.Integer(), nullable=True),
        sa.Column("morning_method", sa.String(length=20), nullable=True),
        sa.Column("current_boh", sa.Integer(), nullable=True),
        sa.Column("delivered", sa.Integer(), nullable=True),
        sa.Column("on_order", sa.Integer(), nullable=True),
        sa.Column("par", sa.Integer(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "morning_method IS NULL OR morning_method IN ('boh_count', 'direct_delivered')",
            name=op.f("ck_milk_entry_morning_method"),
        ),
        sa.ForeignKeyConstraint(
            ["milk_type_id"],
            ["milk_type.id"],
            name=op.f("fk_milk_entry_milk_type_id_milk_type"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["milk_session.id"],
            name=op.f("fk_milk_entry_session_id_milk_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milk_entry")),
        sa.UniqueConstraint(
            "session_id", "milk_type_id", name=op.f("uq_milk_entry_session_id_milk_type_id")
        ),
    )
    with op.batch_alter_table("milk_entry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_milk_entry_milk_type_id"), ["milk_type_id"], unique=False
        )

    _seed_default_milk_types()


# The defaults of API.md §5.2 as they stood when this revision was written.
_DEFAULTS = (
    ("2%", "dairy"),
    ("Whole", "dairy"),
    ("Non-Fat", "dairy"),
    ("Half & Half", "dairy"),
    ("Heavy Cream", "dairy"),
    ("Soy", "non_dairy"),
    ("Oat", "non_dairy"),
    ("Coconut", "non_dairy"),
    ("Almond", "non_dairy"),
)


def _seed_default_milk_types() -> None:
    store = sa.table("store", sa.column("id", sa.Uuid()))
    milk_type = sa.table(
        "milk_type",
        *(sa.column(name, sa.String()) for name in ("name", "name_key", "category")),
        sa.column("id", sa.Uuid()),
        sa.column("store_id", sa.Uuid()),
        sa.column("display_order", sa.Integer()),
        sa.column("active", sa.Boolean()),
        sa.column("created_at", UTCDateTime()),
        sa.column("updated_at", UTCDateTime()),
    )
    par_level = sa.table(
        "milk_par_level",
        sa.column("id", sa.Uuid()),
        sa.column("milk_type_id", sa.Uuid()),
        sa.column("store_id", sa.Uuid()),
        sa.column("par_value", sa.Integer()),
        sa.column("version", sa.Integer()),
        sa.column("created_at", UTCDateTime()),
        sa.column("updated_at", UTCDateTime()),
    )
    store_ids = [row.id for row in op.get_bind().execute(sa.select(store.c.id))]
    now = dt.datetime.now(dt.UTC)
    types, pars = [], []
    for store_id in store_ids:
        for position, (name, category) in enumerate(_DEFAULTS, start=1):
            type_id = uuid.uuid4()
            types.append(
                {
                    "id": type_id,
                    "store_id": store_id,
                    "name": name,
                    "name_key": name.casefold(),
                    "category": category,
                    "display_order": position,
                    "active": True,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            pars.append(
                {
                    "id": uuid.uuid4(),
                    "milk_type_id": type_id,
                    "store_id": store_id,
                    "par_value": 0,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    if types:
        op.bulk_insert(milk_type, types)
        op.bulk_insert(par_level, pars)


def downgrade() -> None:
    with op.batch_alter_table("milk_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_milk_entry_milk_type_id"))

    op.drop_table("milk_entry")
    with op.batch_alter_table("milk_session", schema=None) as batch_op:
        batch_op.drop_index("ix_milk_session_store_id_status_business_date")
        batch_op.drop_index("ix_milk_session_store_id_created_at")

    op.drop_table("milk_session")
    with op.batch_alter_table("milk_par_level", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_milk_par_level_store_id"))

    op.drop_table("milk_par_level")
    with op.batch_alter_table("milk_type", schema=None) as batch_op:
        batch_op.drop_index("ix_milk_type_store_id_display_order")

    op.drop_table("milk_type")
