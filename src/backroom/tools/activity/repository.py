"""Every query of the audit trail's reader. Each one takes the store: other stores'
events never match, and private events (tasks) have no store, so they never match either.

Nothing here updates an event; the only delete is retention (`prune`), which works
through the whole trail by age, never through a route.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, delete, select
from sqlalchemy.orm import aliased

from backroom.core.audit import AuditAction
from backroom.core.pagination import SortKey, keyset_statement
from backroom.core.repository import Repository, escape_like
from backroom.tools.activity import search
from backroom.tools.activity.models import AuditEvent
from backroom.tools.activity.schemas import AuditFilters

# Newest first; the id orders events written in the same instant.
NEWEST_FIRST = [SortKey(AuditEvent.at, descending=True), SortKey(AuditEvent.id, descending=True)]
# Rows fetched from the server-side cursor at a time while exporting.
STREAM_BATCH = 500
# PostgreSQL full text: the newest events a search first looks through (see `search_page`).
SEARCH_WINDOW = 2000


class AuditRepository(Repository[AuditEvent]):
    model = AuditEvent

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name

    def _in_store(self, store_id: uuid.UUID) -> list[ColumnElement[bool]]:
        return [AuditEvent.store_id == store_id, AuditEvent.owner_id.is_(None)]

    def _filters(self, store_id: uuid.UUID, filters: AuditFilters) -> list[ColumnElement[bool]]:
        conditions = self._in_store(store_id)
        if filters.actor_id is not None:
            conditions.append(AuditEvent.actor_id == filters.actor_id)
        if filters.action is not None:
            prefix = f"{escape_like(filters.action)}%"
            conditions.append(AuditEvent.action.like(prefix, escape="\\"))
        if filters.target_type is not None:
            conditions.append(AuditEvent.target_type == filters.target_type)
        if filters.target_id is not None:
            conditions.append(AuditEvent.target_id == filters.target_id)
        if filters.since is not None:
            conditions.append(AuditEvent.at >= filters.since)
        if filters.until is not None:
            conditions.append(AuditEvent.at < filters.until)
        if filters.q is not None:
            conditions.append(search.matches(self.dialect, filters.q))
        return conditions

    async def feed(
        self, store_id: uuid.UUID, actions: Sequence[str], *, limit: int
    ) -> Sequence[AuditEvent]:
        """The store's newest events among `actions`."""
        statement = (
            select(AuditEvent)
            .where(*self._in_store(store_id), AuditEvent.action.in_(actions))
            .order_by(*(key.order_clause() for key in NEWEST_FIRST))
            .limit(limit)
        )
        return await self.all(statement)

    async def search_page(
        self,
        store_id: uuid.UUID,
        filters: AuditFilters,
        *,
        limit: int,
        after: tuple[dt.datetime, uuid.UUID] | None,
    ) -> Sequence[AuditEvent]:
        """Up to `limit + 1` matching events, newest first, after the key `after`.

        A PostgreSQL full-text search first reads the newest `SEARCH_WINDOW` events of
        the page's range, newest first, and stops at the first `limit + 1` matches: a
        common word ("vani" in a store full of Vanilla) is found there in a few hundred
        rows, where the GIN index would fetch every match of the store to sort them
        (17x slower at 10^6 events). When the window holds fewer matches, the index
        answers (a rare word has few matches to fetch). Both give the same rows.
        """
        if filters.q is not None and self.dialect == "postgresql":
            found = await self._search_window(store_id, filters, limit=limit, after=after)
            if len(found) > limit:
                return found
        statement = keyset_statement(
            select(AuditEvent).where(*self._filters(store_id, filters)),
            NEWEST_FIRST,
            limit=limit,
            after=after,
            fixed=[AuditEvent.store_id],
        )
        return await self.all(statement)

    async def _search_window(
        self,
        store_id: uuid.UUID,
        filters: AuditFilters,
        *,
        limit: int,
        after: tuple[dt.datetime, uuid.UUID] | None,
    ) -> Sequence[AuditEvent]:
        assert filters.q is not None
        newest = keyset_statement(
            select(AuditEvent).where(*self._filters(store_id, replace(filters, q=None))),
            NEWEST_FIRST,
            limit=SEARCH_WINDOW - 1,
            after=after,
            fixed=[AuditEvent.store_id],
        )
        # Named like the table, so the search expression (written against
        # `audit_event.<column>`) reads the window's columns.
        window = aliased(AuditEvent, newest.subquery(AuditEvent.__tablename__))
        statement = (
            select(window)
            .where(search.matches(self.dialect, filters.q))
            .order_by(window.at.desc(), window.id.desc())
            .limit(limit + 1)
        )
        return await self.all(statement)

    def _export_statement(self, store_id: uuid.UUID, filters: AuditFilters) -> Select[Any]:
        # Plain rows, not ORM objects: nothing is kept per row once it is written out.
        return (
            select(AuditEvent.__table__)
            .where(*self._filters(store_id, filters))
            .order_by(*(key.order_clause() for key in NEWEST_FIRST))
        )

    async def stream(self, store_id: uuid.UUID, filters: AuditFilters) -> AsyncIterator[Row[Any]]:
        """Every matching event, newest first, read through a server-side cursor."""
        statement = self._export_statement(store_id, filters).execution_options(
            yield_per=STREAM_BATCH
        )
        result = await self.session.stream(statement)
        try:
            async for row in result:
                yield row
        finally:
            await result.close()

    async def prunable(
        self, before: dt.datetime, *, limit: int
    ) -> list[tuple[uuid.UUID, uuid.UUID | None]]:
        """Up to `limit` of the oldest events older than `before`, as (id, store_id).

        The records of earlier prunes are kept: they are what says the trail was cut.
        """
        statement = (
            select(AuditEvent.id, AuditEvent.store_id)
            .where(
                AuditEvent.at < before,
                AuditEvent.action != AuditAction.AUDIT_EVENTS_PRUNED.value,
            )
            .order_by(AuditEvent.at, AuditEvent.id)
            .limit(limit)
        )
        rows = (await self.session.execute(statement)).all()
        return [(event_id, store_id) for event_id, store_id in rows]

    async def delete_events(self, ids: Sequence[uuid.UUID]) -> None:
        await self.session.execute(delete(AuditEvent).where(AuditEvent.id.in_(ids)))
