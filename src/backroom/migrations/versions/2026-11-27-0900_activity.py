"""Activity: full-text search over the audit trail.

PostgreSQL: a GIN index on the store and a `tsvector` expression (labels and the
string/number values of `details`), queried with the same expression. SQLite: an FTS5
table kept in sync by triggers; it holds the event id as an indexed column so a delete
finds its row through the index (the audit table's implicit rowid is not stable across
VACUUM).

The expressions here are a frozen copy of the ones in `tools/activity/search.py`.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_POSTGRES_DOCUMENT = (
    "(to_tsvector('simple', coalesce(target_label, '') || ' ' || coalesce(actor_name, ''))"
    " || jsonb_to_tsvector('simple', details::jsonb, '[\"string\", \"numeric\"]'))"
)

_SQLITE_VALUES = (
    "coalesce((SELECT group_concat(value, ' ') FROM json_tree({row}.details)"
    " WHERE type IN ('text', 'integer', 'real')), '')"
)
_SQLITE_INSERT = (
    "INSERT INTO audit_event_fts (event_id, target_label, actor_name, details)"  # noqa: S608
    " VALUES (new.id, coalesce(new.target_label, ''), coalesce(new.actor_name, ''), "
    + _SQLITE_VALUES.format(row="new")
    + ");"
)
_SQLITE_DELETE = (
    "DELETE FROM audit_event_fts WHERE rowid IN (SELECT rowid FROM audit_event_fts"
    " WHERE audit_event_fts MATCH 'event_id : \"' || old.id || '\"');"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # btree_gin puts the store in the same GIN index as the text, so a search reads
        # the matches of one store, not those of every store (a trusted extension: the
        # database owner may create it).
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
        op.execute(
            "CREATE INDEX ix_audit_event_search ON audit_event"
            f" USING gin (store_id, ({_POSTGRES_DOCUMENT}))"
        )
        return
    op.execute(
        "CREATE VIRTUAL TABLE audit_event_fts USING fts5("
        "event_id, target_label, actor_name, details,"
        " tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')"
    )
    triggers = {
        "audit_event_fts_insert": f"AFTER INSERT ON audit_event BEGIN {_SQLITE_INSERT} END",
        "audit_event_fts_delete": f"AFTER DELETE ON audit_event BEGIN {_SQLITE_DELETE} END",
        # Backroom never updates an event; should a repair script do it, the index follows.
        "audit_event_fts_update": (
            f"AFTER UPDATE ON audit_event BEGIN {_SQLITE_DELETE} {_SQLITE_INSERT} END"
        ),
    }
    for name, body in triggers.items():
        op.execute(f"CREATE TRIGGER {name} {body}")
    values = _SQLITE_VALUES.format(row="audit_event")
    op.execute(
        "INSERT INTO audit_event_fts (event_id, target_label, actor_name, details)"  # noqa: S608
        f" SELECT id, coalesce(target_label, ''), coalesce(actor_name, ''), {values}"
        " FROM audit_event"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # btree_gin stays: other objects may have come to use it.
        op.execute("DROP INDEX IF EXISTS ix_audit_event_search")
        return
    for trigger in ("audit_event_fts_update", "audit_event_fts_delete", "audit_event_fts_insert"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS audit_event_fts")
