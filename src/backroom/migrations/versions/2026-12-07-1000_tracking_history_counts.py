"""Tracking: per-store history counts kept by triggers.

`tracking_history_count` holds, per store, how many history rows are adds and how many
removes, so the `total` of an unfiltered or action-only history page is one primary-key
read instead of a count over the store's whole history (which grows by every add and
remove, forever). Triggers keep it exact in the same transaction as every INSERT and
DELETE of a history row, whoever writes; history rows are never updated. PostgreSQL runs
them once per statement over its transition tables, SQLite once per row, as the task
counts of migration 0005 do.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BACKFILL = """
INSERT INTO tracking_history_count (store_id, adds, removes)
SELECT store_id, sum(CASE WHEN action = 'ADD' THEN 1 ELSE 0 END),
       sum(CASE WHEN action = 'REMOVE' THEN 1 ELSE 0 END)
FROM tracking_history GROUP BY store_id
"""

# A delete never inserts a count row: when the store is being deleted, the cascade may
# have removed it already.
_PG_FUNCTIONS = (
    """
CREATE FUNCTION tracking_history_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tracking_history_count (store_id, adds, removes)
    SELECT store_id, count(*) FILTER (WHERE action = 'ADD'),
           count(*) FILTER (WHERE action = 'REMOVE')
    FROM new_rows GROUP BY store_id
    ON CONFLICT (store_id) DO UPDATE
    SET adds = tracking_history_count.adds + EXCLUDED.adds,
        removes = tracking_history_count.removes + EXCLUDED.removes;
    RETURN NULL;
END
$$
""",
    """
CREATE FUNCTION tracking_history_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tracking_history_count AS counts
    SET adds = counts.adds - gone.adds, removes = counts.removes - gone.removes
    FROM (
        SELECT store_id, count(*) FILTER (WHERE action = 'ADD') AS adds,
               count(*) FILTER (WHERE action = 'REMOVE') AS removes
        FROM old_rows GROUP BY store_id
    ) AS gone
    WHERE counts.store_id = gone.store_id;
    RETURN NULL;
END
$$
""",
)
_PG_TRIGGERS = (
    "CREATE TRIGGER tracking_history_count_insert AFTER INSERT ON tracking_history "
    "REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION tracking_history_count_inserted()",
    "CREATE TRIGGER tracking_history_count_delete AFTER DELETE ON tracking_history "
    "REFERENCING OLD TABLE AS old_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION tracking_history_count_deleted()",
)

_SQLITE_TRIGGERS = (
    """CREATE TRIGGER tracking_history_count_insert AFTER INSERT ON tracking_history BEGIN
    INSERT OR IGNORE INTO tracking_history_count (store_id, adds, removes)
    VALUES (NEW.store_id, 0, 0);
    UPDATE tracking_history_count
    SET adds = adds + (NEW.action = 'ADD'), removes = removes + (NEW.action = 'REMOVE')
    WHERE store_id = NEW.store_id;
END""",
    """CREATE TRIGGER tracking_history_count_delete AFTER DELETE ON tracking_history BEGIN
    UPDATE tracking_history_count
    SET adds = adds - (OLD.action = 'ADD'), removes = removes - (OLD.action = 'REMOVE')
    WHERE store_id = OLD.store_id;
END""",
)


def upgrade() -> None:
    op.create_table(
        "tracking_history_count",
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("adds", sa.Integer(), nullable=False),
        sa.Column("removes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["store.id"],
            name=op.f("fk_tracking_history_count_store_id_store"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("store_id", name=op.f("pk_tracking_history_count")),
    )
    # Triggers first: creating one locks the history against writers until this
    # migration commits, so the backfill counts every row committed before it and the
    # triggers every row after; a writer of the running version just waits a moment.
    if op.get_bind().dialect.name == "postgresql":
        for statement in (*_PG_FUNCTIONS, *_PG_TRIGGERS):
            op.execute(statement)
    else:
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)
    op.execute(_BACKFILL)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in ("delete", "insert"):
            op.execute(f"DROP TRIGGER IF EXISTS tracking_history_count_{name} ON tracking_history")
        for name in ("deleted", "inserted"):
            op.execute(f"DROP FUNCTION IF EXISTS tracking_history_count_{name}()")
    else:
        for name in ("delete", "insert"):
            op.execute(f"DROP TRIGGER IF EXISTS tracking_history_count_{name}")
    op.drop_table("tracking_history_count")
