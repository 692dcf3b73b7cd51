"""The reader's rules: which events each feed shows and how, audit pages, the export, retention."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.repository import StoreRepository
from backroom.core import audit
from backroom.core.audit import AuditAction, AuditEvent
from backroom.core.db import Database
from backroom.core.db_errors import run_transaction
from backroom.core.pagination import Cursor, InvalidCursor
from backroom.tools.activity.catalog import Feed, actions_of, entry_of
from backroom.tools.activity.export import csv_chunks, filename
from backroom.tools.activity.repository import AuditRepository
from backroom.tools.activity.schemas import (
    SYSTEM_NAME,
    ActivityRead,
    AdminActivityRead,
    AuditFilters,
)

PRUNE_BATCH = 1000


async def dashboard_feed(
    session: AsyncSession, store_id: uuid.UUID, *, limit: int
) -> list[ActivityRead]:
    """The store tools at work, newest first, each told as a title and a description."""
    events = await AuditRepository(session).feed(store_id, actions_of(Feed.DASHBOARD), limit=limit)
    activities = []
    for event in events:
        entry = entry_of(event)
        assert entry.tool is not None  # every dashboard entry names its tool
        activities.append(
            ActivityRead(
                id=event.id,
                type=entry.type,
                title=entry.title(event),
                description=entry.description(event),
                user_name=event.actor_name or SYSTEM_NAME,
                timestamp=event.at,
                tool=entry.tool,
            )
        )
    return activities


async def admin_feed(
    session: AsyncSession, store_id: uuid.UUID, *, limit: int
) -> list[AdminActivityRead]:
    """What admins changed in the store, newest first."""
    events = await AuditRepository(session).feed(store_id, actions_of(Feed.ADMIN), limit=limit)
    return [
        AdminActivityRead(
            id=event.id,
            type=(entry := entry_of(event)).type,
            title=entry.title(event),
            description=entry.description(event),
            admin_name=event.actor_name or SYSTEM_NAME,
            timestamp=event.at,
        )
        for event in events
    ]


def _position(cursor: Cursor) -> tuple[dt.datetime, uuid.UUID]:
    """The (at, id) key inside a cursor (signed, so only a corrupt one fails here)."""
    try:
        at, event_id = cursor.values
        if not isinstance(at, dt.datetime) or not isinstance(event_id, str):
            raise InvalidCursor
        return at, uuid.UUID(event_id)
    except ValueError:
        raise InvalidCursor from None


@dataclass(frozen=True, slots=True)
class AuditWindow:
    events: list[AuditEvent]
    next: Cursor | None


async def audit_page(
    session: AsyncSession,
    store_id: uuid.UUID,
    filters: AuditFilters,
    *,
    limit: int,
    cursor: Cursor | None,
) -> AuditWindow:
    """One page of the store's matching events, newest first, and where the next starts."""
    after = _position(cursor) if cursor is not None else None
    fetched = await AuditRepository(session).search_page(
        store_id, filters, limit=limit, after=after
    )
    events = list(fetched[:limit])
    more = len(fetched) > limit
    following = Cursor((events[-1].at, str(events[-1].id))) if more else None
    return AuditWindow(events, following)


async def export_csv(
    database: Database, store_id: uuid.UUID, filters: AuditFilters
) -> AsyncIterator[bytes]:
    """Every matching event as CSV, streamed from a server-side cursor.

    It runs after the response has started, so it reads through a session of its own,
    in one transaction: the replica's while it keeps up, else the primary's (on SQLite
    that one leaves the write lock to writers).
    """
    async with await database.snapshot_session() as session:
        async for chunk in csv_chunks(AuditRepository(session).stream(store_id, filters)):
            yield chunk


@dataclass
class PruneReport:
    before: dt.datetime
    deleted: int = 0
    by_store: Counter[str] = field(default_factory=Counter)


async def prune(
    database: Database, before: dt.datetime, *, batch: int = PRUNE_BATCH
) -> PruneReport:
    """Delete the events older than `before`, a batch per transaction, then record the prune.

    Short transactions keep the lock time of each batch small on a busy database.
    """
    report = PruneReport(before=before)

    async def one_batch(session: AsyncSession) -> Sequence[tuple[uuid.UUID, uuid.UUID | None]]:
        repository = AuditRepository(session)
        rows = await repository.prunable(before, limit=batch)
        if rows:
            await repository.delete_events([event_id for event_id, _store in rows])
        return rows

    while rows := await run_transaction(database.sessionmaker, one_batch):
        report.deleted += len(rows)
        report.by_store.update(str(store) if store else "none" for _event, store in rows)

    async def record_prune(session: AsyncSession) -> None:
        await audit.record(
            session,
            AuditAction.AUDIT_EVENTS_PRUNED,
            actor=None,
            target_type="audit_event",
            details={
                "before": before.isoformat().replace("+00:00", "Z"),
                "deleted": report.deleted,
                "by_store": dict(sorted(report.by_store.items())),
            },
        )

    await run_transaction(database.sessionmaker, record_prune)
    return report


async def export_filename(session: AsyncSession, store_id: uuid.UUID, day: dt.date) -> str:
    store = await StoreRepository(session).get(store_id)
    return filename(store.name if store is not None else "", store_id, day)
