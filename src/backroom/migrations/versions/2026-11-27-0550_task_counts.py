"""Tasks: per-owner task counts kept by triggers, and trigram search indexes on PostgreSQL.

`task_count` holds, per owner, how many tasks there are and how many are completed, so
`X-Total-Count` of an unfiltered or status-only list is one primary-key read instead of
a count over the owner's rows. Triggers keep it exact in the same transaction as every
INSERT, DELETE and change of `completed` (or of the owner) of a task, whoever writes:
the API, a factory, a bulk load or an operator's SQL. Each change is one atomic
`UPDATE ... SET n = n + k` (an upsert for a new owner), so concurrent writers never
lose a count. PostgreSQL runs them once per statement over its transition tables;
SQLite, which has none, once per row.

Beware on SQLite: a later migration that rebuilds `task` in batch mode (copy and move)
drops these triggers; it must create them again (`_create_sqlite_triggers`).

On PostgreSQL, `pg_trgm` GIN indexes on the folded title and on the description serve
the list's `search` (`LIKE '%text%'` / `ILIKE`) without scanning the owner's rows. When
the extension cannot be created (not available, or no privilege), the migration goes on
without them and search stays a scan, as on SQLite.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 05:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BACKFILL = """
INSERT INTO task_count (user_id, total, completed)
SELECT user_id, count(*), sum(CASE WHEN completed THEN 1 ELSE 0 END)
FROM task GROUP BY user_id
"""

# PostgreSQL: statement-level triggers over the transition tables, so a statement that
# touches many tasks (a bulk load, a cascade) updates each owner's row once; a row-level
# trigger would update one owner's row once per task, and PostgreSQL walks every earlier
# version of that row in the same transaction on each update (quadratic). A delete never
# inserts a count row: when the owner is being deleted, the cascade may have removed it.
_PG_FUNCTIONS = (
    """
CREATE FUNCTION task_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_count (user_id, total, completed)
    SELECT user_id, count(*), count(*) FILTER (WHERE completed) FROM new_rows GROUP BY user_id
    ON CONFLICT (user_id) DO UPDATE
    SET total = task_count.total + EXCLUDED.total,
        completed = task_count.completed + EXCLUDED.completed;
    RETURN NULL;
END
$$
""",
    """
CREATE FUNCTION task_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE task_count AS counts
    SET total = counts.total - gone.total, completed = counts.completed - gone.completed
    FROM (
        SELECT user_id, count(*) AS total, count(*) FILTER (WHERE completed) AS completed
        FROM old_rows GROUP BY user_id
    ) AS gone
    WHERE counts.user_id = gone.user_id;
    RETURN NULL;
END
$$
""",
    """
CREATE FUNCTION task_count_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_count (user_id, total, completed)
    SELECT user_id, sum(total), sum(completed) FROM (
        SELECT prior.user_id, -1 AS total, CASE WHEN prior.completed THEN -1 ELSE 0 END AS completed
        FROM old_rows AS prior JOIN new_rows AS later ON later.id = prior.id
        WHERE prior.user_id <> later.user_id OR prior.completed <> later.completed
        UNION ALL
        SELECT later.user_id, 1, CASE WHEN later.completed THEN 1 ELSE 0 END
        FROM old_rows AS prior JOIN new_rows AS later ON later.id = prior.id
        WHERE prior.user_id <> later.user_id OR prior.completed <> later.completed
    ) AS moves
    GROUP BY user_id
    ON CONFLICT (user_id) DO UPDATE
    SET total = task_count.total + EXCLUDED.total,
        completed = task_count.completed + EXCLUDED.completed;
    RETURN NULL;
END
$$
""",
)
_PG_TRIGGERS = (
    "CREATE TRIGGER task_count_insert AFTER INSERT ON task REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION task_count_inserted()",
    "CREATE TRIGGER task_count_delete AFTER DELETE ON task REFERENCING OLD TABLE AS old_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION task_count_deleted()",
    "CREATE TRIGGER task_count_update AFTER UPDATE ON task "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION task_count_updated()",
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
    # Triggers first, then the backfill: creating a trigger locks `task` against writes
    # until this migration commits, so a task written by the version still serving is
    # either in the backfill's snapshot or blocked until the trigger counts it.
    if op.get_bind().dialect.name == "postgresql":
        for statement in (*_PG_FUNCTIONS, *_PG_TRIGGERS):
            op.execute(statement)
    else:
        _create_sqlite_triggers()
    op.execute(_BACKFILL)
    if op.get_bind().dialect.name == "postgresql":
        _create_trigram_indexes()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in _TRIGRAM_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
        for name in ("update", "delete", "insert"):
            op.execute(f"DROP TRIGGER IF EXISTS task_count_{name} ON task")
        for name in ("updated", "deleted", "inserted"):
            op.execute(f"DROP FUNCTION IF EXISTS task_count_{name}()")
    else:
        for name in ("task_count_update", "task_count_delete", "task_count_insert"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("task_count")
