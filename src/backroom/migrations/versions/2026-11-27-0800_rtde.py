"""RTD&E: display items, count sessions (one open per user) and their counts.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from backroom.core.db import UTCDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = sa.text("status = 'in_progress'")


def upgrade() -> None:
    op.create_table(
        "rtde_item",
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("brand", sa.String(length=50), nullable=True),
        sa.Column("icon", sa.String(length=10), nullable=True),
        sa.Column("image_filename", sa.String(length=100), nullable=True),
        sa.Column("par_level", sa.Integer(), nullable=False),
        sa.Column("display_order", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("par_level BETWEEN 1 AND 999", name=op.f("ck_rtde_item_par_level")),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_rtde_item_store_id_store"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rtde_item")),
    )
    op.create_index(
        "ix_rtde_item_store_id_active_display_order",
        "rtde_item",
        ["store_id", "active", "display_order"],
    )

    op.create_table(
        "rtde_session",
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "status IN ('in_progress', 'completed', 'expired')",
            name=op.f("ck_rtde_session_status"),
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["store.id"],
            name=op.f("fk_rtde_session_store_id_store"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_rtde_session_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rtde_session")),
    )
    op.create_index(
        "ix_rtde_session_store_id_status_completed_at",
        "rtde_session",
        ["store_id", "status", "completed_at"],
    )
    op.create_index(
        "uq_rtde_session_user_id_in_progress",
        "rtde_session",
        ["user_id"],
        unique=True,
        sqlite_where=_OPEN,
        postgresql_where=_OPEN,
    )

    op.create_table(
        "rtde_count",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("counted_quantity", sa.Integer(), nullable=True),
        sa.Column("is_pulled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "counted_quantity IS NULL OR counted_quantity BETWEEN 0 AND 999",
            name=op.f("ck_rtde_count_counted_quantity"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["rtde_item.id"], name=op.f("fk_rtde_count_item_id_rtde_item")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["rtde_session.id"],
            name=op.f("fk_rtde_count_session_id_rtde_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", "item_id", name=op.f("pk_rtde_count")),
    )
    op.create_index("ix_rtde_count_item_id", "rtde_count", ["item_id"])


def downgrade() -> None:
    op.drop_index("ix_rtde_count_item_id", table_name="rtde_count")
    op.drop_table("rtde_count")
    op.drop_index("uq_rtde_session_user_id_in_progress", table_name="rtde_session")
    op.drop_index("ix_rtde_session_store_id_status_completed_at", table_name="rtde_session")
    op.drop_table("rtde_session")
    op.drop_index("ix_rtde_item_store_id_active_display_order", table_name="rtde_item")
    op.drop_table("rtde_item")
