"""The search index beside the audit table, which the models cannot describe.

The audit table itself belongs to `core.audit` (every domain writes it). Its full-text
index is made by the migration `2026-11-27-0900_activity`: an expression index on
PostgreSQL, an FTS5 table with its shadow tables and triggers on SQLite. Their names
are listed here so that comparing models and database leaves them alone.
"""

from __future__ import annotations

from sqlalchemy import column, table

from backroom.core.audit import AuditEvent
from backroom.core.db import Base

SEARCH_INDEX = "ix_audit_event_search"
FTS_TABLE = "audit_event_fts"
_FTS_SHADOWS = ("data", "idx", "content", "docsize", "config")

Base.metadata.info.setdefault("unmanaged", set()).update(
    {SEARCH_INDEX, FTS_TABLE, *(f"{FTS_TABLE}_{shadow}" for shadow in _FTS_SHADOWS)}
)

# The FTS5 table, for queries only (SQLite): one row per event, found by `event_id`.
audit_event_fts = table(FTS_TABLE, column("event_id"))

__all__ = ["FTS_TABLE", "SEARCH_INDEX", "AuditEvent", "audit_event_fts"]
