"""Every query of the tracking tool. Each one takes the store: another store's rows never match."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, insert, select
from sqlalchemy.orm import make_transient_to_detached

from backroom.core.fastread import dialect_name, execute_core, fetch_rows
from backroom.core.repository import Repository, escape_like
from backroom.tools.tracking import statements
from backroom.tools.tracking.models import (
    Action,
    TrackingHistory,
    TrackingHistoryCount,
    TrackingItem,
    TrackingSuggestion,
    fold,
)
from backroom.tools.tracking.schemas import ITEM_JSON, HistoryQuery, ItemListQuery


def _search_values(store_id: uuid.UUID, category: str, text: str, limit: int) -> dict[str, Any]:
    folded = escape_like(fold(text))
    return {
        "store": store_id,
        "category": category,
        "contains": f"%{folded}%",
        "prefix": f"{folded}%",
        "limit": limit,
    }


class ItemRepository(Repository[TrackingItem]):
    model = TrackingItem

    async def active_by_code(
        self, store_id: uuid.UUID, code: str, *, for_update: bool = False
    ) -> TrackingItem | None:
        statement = select(TrackingItem).where(
            TrackingItem.store_id == store_id, TrackingItem.code == code, statements.ACTIVE
        )
        if for_update:
            statement = statement.with_for_update()
        return await self.one_or_none(statement)

    async def insert_unless_code_taken(self, item: TrackingItem) -> bool:
        """Insert `item` unless an active item of its store holds its code; True if inserted.

        One `INSERT ... ON CONFLICT DO NOTHING` on the partial unique index: a lost race
        is a row not inserted, not an error that would abort the transaction, so no
        savepoint is needed. The item then joins the session as the persistent row.
        """
        values = {column.key: getattr(item, column.key) for column in statements.ITEM_COLUMNS}
        statement = statements.insert_unless_code_taken(dialect_name(self.session))
        if (await execute_core(self.session, statement, values)).first() is None:
            return False
        make_transient_to_detached(item)
        self.session.add(item)
        return True

    async def has_removed_with_code(self, store_id: uuid.UUID, code: str) -> bool:
        statement = select(TrackingItem.id).where(
            TrackingItem.store_id == store_id,
            TrackingItem.code == code,
            TrackingItem.is_removed,
        )
        return (await self.session.execute(statement.limit(1))).first() is not None

    async def by_id(
        self, store_id: uuid.UUID, item_id: uuid.UUID, *, for_update: bool = False
    ) -> TrackingItem | None:
        statement = select(TrackingItem).where(
            TrackingItem.id == item_id, TrackingItem.store_id == store_id
        )
        if for_update:
            statement = statement.with_for_update()
        return await self.one_or_none(statement)

    async def list_page(
        self, store_id: uuid.UUID, query: ItemListQuery, *, limit: int, offset: int
    ) -> tuple[bytes, int]:
        """One page, newest first, as the JSON array of its `ItemRead`s, and the match count.

        PostgreSQL writes the page's JSON itself (core/jsonsql.py); SQLite's rows are
        dumped by `ITEM_JSON`. Either way no ORM object is built: a page may hold
        thousands of items that are only read.
        """
        dialect = dialect_name(self.session)
        searching = bool(query.search)
        page, counted = statements.list_statements(
            dialect, query.include_removed, query.category is not None, searching
        )
        values: dict[str, Any] = {"store": store_id, "limit": limit, "offset": offset}
        if query.category is not None:
            values["category"] = query.category.value
        if query.search:
            values["contains"] = f"%{escape_like(fold(query.search))}%"
            values["prefix"] = f"{escape_like(query.search)}%"
        if dialect == "postgresql":
            joined, read = (await self.session.execute(page, values)).one()
            items = b"[" + (joined or "").encode() + b"]"
        else:
            rows = await fetch_rows(self.session, page, values)
            read, items = len(rows), ITEM_JSON.many(rows[:limit])
        # One row past the page tells whether the page reaches the end; then the count
        # is known without counting (the tablet's lists, the last page of any list).
        if read <= limit and (read or offset == 0):
            return items, offset + read
        return items, int((await self.session.execute(counted, values)).scalar_one())

    async def code_space(self, store_id: uuid.UUID) -> tuple[int, int | None]:
        """How many active items the store has, and, once that is over
        `DENSE_THRESHOLD`, the lowest free code (None below it, or when none is free).

        One round trip: the lowest free code is only computed for a store full
        enough to need it.
        """
        result = await execute_core(self.session, statements.CODE_SPACE_USE, {"store": store_id})
        active, lowest = result.one()
        return int(active), None if lowest is None else int(lowest)

    async def code_usage(
        self, store_id: uuid.UUID, codes: Iterable[str]
    ) -> list[tuple[str, bool, dt.datetime | None]]:
        """For each of `codes` ever used in the store: (code, held now, last freed at)."""
        values = {"store": store_id, "codes": list(codes)}
        rows = (await execute_core(self.session, statements.CODE_USAGE, values)).all()
        return [(str(code), bool(active), freed) for code, active, freed in rows]

    async def lowest_free_code(self, store_id: uuid.UUID) -> int | None:
        """The lowest code no active item holds, in one query; None when all are held."""
        result = await execute_core(self.session, statements.LOWEST_FREE, {"store": store_id})
        found = result.scalar()
        return None if found is None else int(found)

    async def search_names(
        self, store_id: uuid.UUID, category: str, text: str, *, limit: int
    ) -> list[tuple[str, str]]:
        """Active items of the category whose name contains `text`: (name, code), best first."""
        values = _search_values(store_id, category, text, limit)
        rows = (await self.session.execute(statements.ITEM_NAMES, values)).all()
        return [(str(name), str(code)) for name, code in rows]


class HistoryRepository(Repository[TrackingHistory]):
    model = TrackingHistory

    async def append(self, **values: Any) -> None:
        """Insert one history row at once, in the session's transaction.

        A Core insert built once: the row is never read back in the request that
        writes it, so it needs no ORM object and no unit-of-work flush.
        """
        await execute_core(self.session, statements.APPEND_HISTORY, {"id": uuid.uuid4(), **values})

    async def list_page(
        self, store_id: uuid.UUID, query: HistoryQuery, *, limit: int, offset: int
    ) -> tuple[Sequence[TrackingHistory], int]:
        conditions: list[ColumnElement[bool]] = [TrackingHistory.store_id == store_id]
        if query.user_id is not None:
            conditions.append(TrackingHistory.user_id == query.user_id)
        if query.action is not None:
            conditions.append(TrackingHistory.action == query.action.value)
        if query.item_code is not None:
            conditions.append(TrackingHistory.item_code == query.item_code)
        statement = (
            select(TrackingHistory)
            .where(*conditions)
            .order_by(TrackingHistory.timestamp.desc(), TrackingHistory.id.desc())
        )
        if query.user_id is not None or query.item_code is not None:
            return await self.page(statement, limit=limit, offset=offset)
        rows = await self.all(statement.limit(limit).offset(offset))
        return rows, await self._counted(store_id, query.action)

    async def _counted(self, store_id: uuid.UUID, action: Action | None) -> int:
        """The store's history rows (of one action), from the counts the triggers keep."""
        counts = TrackingHistoryCount
        column = {
            None: counts.adds + counts.removes,
            Action.ADD: counts.adds,
            Action.REMOVE: counts.removes,
        }[action]
        found = await self.session.scalar(select(column).where(counts.store_id == store_id))
        return int(found or 0)


class SuggestionRepository(Repository[TrackingSuggestion]):
    model = TrackingSuggestion

    async def list_for_store(
        self, store_id: uuid.UUID, category: str | None
    ) -> Sequence[TrackingSuggestion]:
        statement = select(TrackingSuggestion).where(TrackingSuggestion.store_id == store_id)
        if category is not None:
            statement = statement.where(TrackingSuggestion.category == category)
        statement = statement.order_by(TrackingSuggestion.category, TrackingSuggestion.name_key)
        return await self.all(statement)

    async def by_id(
        self, store_id: uuid.UUID, suggestion_id: uuid.UUID
    ) -> TrackingSuggestion | None:
        statement = select(TrackingSuggestion).where(
            TrackingSuggestion.id == suggestion_id, TrackingSuggestion.store_id == store_id
        )
        return await self.one_or_none(statement)

    async def by_name(
        self, store_id: uuid.UUID, category: str, name: str
    ) -> TrackingSuggestion | None:
        statement = select(TrackingSuggestion).where(
            TrackingSuggestion.store_id == store_id,
            TrackingSuggestion.category == category,
            TrackingSuggestion.name_key == fold(name),
        )
        return await self.one_or_none(statement)

    async def search_names(
        self, store_id: uuid.UUID, category: str, text: str, *, limit: int
    ) -> list[str]:
        """Templates of the category whose name contains `text`, best first."""
        values = _search_values(store_id, category, text, limit)
        return [
            str(name)
            for name in (await self.session.execute(statements.TEMPLATE_NAMES, values)).scalars()
        ]

    async def add_many(self, store_id: uuid.UUID, templates: Iterable[tuple[str, str]]) -> None:
        """Insert (category, name) templates in one statement."""
        rows = [
            {
                "id": uuid.uuid4(),
                "store_id": store_id,
                "category": category,
                "name": name,
                "name_key": fold(name),
            }
            for category, name in templates
        ]
        if rows:
            await self.session.execute(insert(TrackingSuggestion), rows)
