"""Tasks: per-owner task counts kept by triggers, and trigram search indexes on PostgreSQL.

`task_count` holds, per owner, how many tasks there are and how many are completed, so
`X-Total-Count` of an unfiltered or status-only list is one primary-key read instead of
a count over the owner's rows. Triggers keep it exact in the same transaction as every
INSERT, DELETE and change of `completed` (or of the owner) of a task, whoever writes:
the API, a factory, a bulk load or an operator's SQL. Each change is one atomic
`UPDATE ... SET n = n + 1`, so concurrent writers never lose a count.

Beware on SQLite: a later migration that rebuilds `task` in batch mode (copy and move)
drops these triggers; it must create them again (`_create_sqlite_triggers`).

On PostgreSQL, `pg_trgm` GIN indexes on the folded title and on the description serve
the list's `search` (`LIKE '%text%'` / `ILIKE`) without scanning the owner's rows. When
the extension cannot be created (not available, or no privilege), the migration goes on
without them and search stays a scan, as on SQLite.

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-27 05:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BACKFILL = """
INSERT INTO task_count (user_id, total, completed)
SELECT user_id, count(*), sum(CASE WHEN completed THEN 1 ELSE 0 END)
FROM task GROUP BY user_id
"""

# PostgreSQL: one function for the three events. A delete never inserts a count row: when
# the owner is being deleted, the cascade may already have removed it.
_PG_FUNCTION = """
CREATE FUNCTION task_count_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE task_count
        SET total = total - 1, completed = completed - CASE WHEN OLD.completed THEN 1 ELSE 0 END
        WHERE user_id = OLD.user_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO task_count (user_id, total, completed)
        VALUES (NEW.user_id, 1, CASE WHEN NEW.completed THEN 1 ELSE 0 END)
        ON CONFLICT (user_id) DO UPDATE
        SET total = task_count.total + 1, completed = task_count.completed + EXCLUDED.completed;
    END IF;
    RETURN NULL;
END
$$
"""
_PG_TRIGGERS = (
    "CREATE TRIGGER task_count_insert_delete AFTER INSERT OR DELETE ON task "
    "FOR EACH ROW EXECUTE FUNCTION task_count_apply()",
    "CREATE TRIGGER task_count_update AFTER UPDATE OF user_id, completed ON task "
    "FOR EACH ROW WHEN (OLD.user_id IS DISTINCT FROM NEW.user_id "
    "OR OLD.completed IS DISTINCT FROM NEW.completed) EXECUTE FUNCTION task_count_apply()",
)

_SQLITE_ADD = """
    INSERT OR IGNORE INTO task_count (user_id, total, completed) VALUES (NEW.user_id, 0, 0);
    UPDATE task_count SET total = total + 1, completed = completed + NEW.completed
    WHERE user_id = NEW.user_id;
"""
_SQLITE_REMOVE = """
    UPDATE task_count SET total = total - 1, completed = completed - OLD.completed
    WHERE user_id = OLD.user_id;
"""
_SQLITE_TRIGGERS = (
    f"CREATE TRIGGER task_count_insert AFTER INSERT ON task BEGIN {_SQLITE_ADD} END",
    f"CREATE TRIGGER task_count_delete AFTER DELETE ON task BEGIN {_SQLITE_REMOVE} END",
    "CREATE TRIGGER task_count_update AFTER UPDATE OF user_id, completed ON task "
    "WHEN OLD.user_id IS NOT NEW.user_id OR OLD.completed IS NOT NEW.completed "
    f"BEGIN {_SQLITE_REMOVE} {_SQLITE_ADD} END",
)

_TRIGRAM_INDEXES = {
    "ix_task_title_key_trgm": "title_key",
    "ix_task_description_trgm": "description",
}


def _create_sqlite_triggers() -> None:
    for statement in _SQLITE_TRIGGERS:
        op.execute(statement)


def _create_trigram_indexes() -> None:
    bind = op.get_bind()
    available = bind.execute(
        sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
    ).first()
    if available is None:
        return
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError:
        return  # no privilege to create it: search keeps scanning the owner's rows
    for name, column in _TRIGRAM_INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON task USING gin ({column} gin_trgm_ops)")


def upgrade() -> None:
    op.create_table(
        "task_count",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("completed", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_task_count_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_task_count")),
    )
    op.execute(_BACKFILL)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        for statement in _PG_TRIGGERS:
            op.execute(statement)
        _create_trigram_indexes()
    else:
        _create_sqlite_triggers()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in _TRIGRAM_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
        op.execute("DROP TRIGGER IF EXISTS task_count_update ON task")
        op.execute("DROP TRIGGER IF EXISTS task_count_insert_delete ON task")
        op.execute("DROP FUNCTION IF EXISTS task_count_apply()")
    else:
        for name in ("task_count_update", "task_count_delete", "task_count_insert"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("task_count")
