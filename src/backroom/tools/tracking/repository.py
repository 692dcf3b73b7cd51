"""Every query of the tracking tool. Each one takes the store: another store's rows never match."""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Insert,
    Integer,
    Select,
    String,
    TextClause,
    bindparam,
    case,
    cast,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute, make_transient_to_detached
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.selectable import ScalarSelect
from sqlalchemy.types import Uuid

from backroom.core.fastread import dialect_name, fetch_rows
from backroom.core.jsonsql import json_page
from backroom.core.repository import Repository
from backroom.tools.tracking.models import (
    CODE_SPACE,
    Action,
    TrackingHistory,
    TrackingHistoryCount,
    TrackingItem,
    TrackingSuggestion,
    fold,
)
from backroom.tools.tracking.schemas import ITEM_JSON, HistoryQuery, ItemListQuery


def escape_like(text: str) -> str:
    """`%`, `_` and the escape character itself stand for themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


ACTIVE = TrackingItem.is_removed == false()
LISTED_COLUMNS = (
    "id", "name", "category", "code", "added_by", "added_by_name", "added_at",
    "is_removed", "removed_at", "removed_by", "removed_by_name",
)  # fmt: skip
# The predicate of the partial unique index, as each engine declares it (see models.py).
_INDEX_WHERE: dict[str, TextClause] = {
    "postgresql": text("NOT is_removed"),
    "sqlite": text("is_removed = 0"),
}


# A store with more active items than this takes the lowest free code instead of a
# random one (service/codes.py).
DENSE_THRESHOLD = 9_000


def _lowest_free_code(store: BindParameter[uuid.UUID]) -> ScalarSelect[int]:
    """The lowest code no active item of `store` holds (NULL when all are held).

    Each held code is compared with the one before it (-1 before the first), and a
    sentinel past the last code closes the range: the first gap starts the answer.
    """
    used = select(cast(TrackingItem.code, Integer).label("n")).where(
        TrackingItem.store_id == store, ACTIVE
    )
    numbers = union_all(used, select(literal(CODE_SPACE, Integer).label("n"))).subquery()
    previous = func.lag(numbers.c.n, 1, -1).over(order_by=numbers.c.n)
    pairs = select(numbers.c.n, previous.label("previous")).subquery()
    return (
        select(pairs.c.previous + 1)
        .where(pairs.c.n - pairs.c.previous > 1)
        .order_by(pairs.c.n)
        .limit(1)
        .scalar_subquery()
    )


# Built once: a statement made per request costs more Python than the query's round trip.
_STORE = bindparam("store", type_=Uuid())
_ACTIVE_COUNT = (
    select(func.count()).where(TrackingItem.store_id == _STORE, ACTIVE).scalar_subquery()
)
_CODE_SPACE = select(
    _ACTIVE_COUNT, case((_ACTIVE_COUNT > DENSE_THRESHOLD, _lowest_free_code(_STORE)))
)
_LOWEST_FREE = select(_lowest_free_code(_STORE))


@functools.cache
def _list_statements(
    dialect: str, include_removed: bool, by_category: bool, searching: bool
) -> tuple[Select[Any], Select[Any]]:
    """The page and the count of one shape of list query, built once; values are bound."""
    conditions: list[ColumnElement[bool]] = [TrackingItem.store_id == _STORE]
    if not include_removed:
        conditions.append(ACTIVE)
    if by_category:
        conditions.append(TrackingItem.category == bindparam("category", type_=String()))
    if searching:
        contains = bindparam("contains", type_=String())
        prefix = bindparam("prefix", type_=String())
        conditions.append(
            or_(
                TrackingItem.name_key.like(contains, escape="\\"),
                TrackingItem.code.like(prefix, escape="\\"),
            )
        )
    columns = [getattr(TrackingItem, name) for name in LISTED_COLUMNS]
    order = (TrackingItem.added_at.desc(), TrackingItem.id.desc())
    limit = bindparam("limit", type_=Integer())
    offset = bindparam("offset", type_=Integer())
    page: Select[Any]
    if dialect == "postgresql":
        page = json_page(columns, where=conditions, order_by=order, limit=limit, offset=offset)
    else:
        page = select(*columns).where(*conditions).order_by(*order)
        page = page.limit(limit + 1).offset(offset)
    return page, select(func.count()).where(*conditions)


def _best_matches(
    name_key: InstrumentedAttribute[str],
) -> tuple[ColumnElement[bool], list[ColumnElement[Any]]]:
    """Names containing the bound `contains`; those starting with `prefix` first, then
    the shortest, then A-Z."""
    contains = bindparam("contains", type_=String())
    prefix = bindparam("prefix", type_=String())
    starts = case((name_key.like(prefix, escape="\\"), 0), else_=1)
    return name_key.like(contains, escape="\\"), [
        starts,
        func.length(name_key),
        name_key.expression,
    ]


def _search_values(store_id: uuid.UUID, category: str, text: str, limit: int) -> dict[str, Any]:
    folded = escape_like(fold(text))
    return {
        "store": store_id,
        "category": category,
        "contains": f"%{folded}%",
        "prefix": f"{folded}%",
        "limit": limit,
    }


_CATEGORY = bindparam("category", type_=String())
_LIMIT = bindparam("limit", type_=Integer())
_item_match, _item_order = _best_matches(TrackingItem.name_key)
_ITEM_NAMES = (
    select(TrackingItem.name, TrackingItem.code)
    .where(TrackingItem.store_id == _STORE, ACTIVE, TrackingItem.category == _CATEGORY, _item_match)
    .order_by(*_item_order, TrackingItem.added_at.desc())
    .limit(_LIMIT)
)
_template_match, _template_order = _best_matches(TrackingSuggestion.name_key)
_TEMPLATE_NAMES = (
    select(TrackingSuggestion.name)
    .where(
        TrackingSuggestion.store_id == _STORE,
        TrackingSuggestion.category == _CATEGORY,
        _template_match,
    )
    .order_by(*_template_order)
    .limit(_LIMIT)
)


_ITEM_COLUMNS = tuple(TrackingItem.__table__.columns)


@functools.cache
def _insert_unless_code_taken(dialect: str) -> Insert:
    """`INSERT ... ON CONFLICT DO NOTHING` on the partial unique index, built once."""
    builder = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        builder(TrackingItem)
        .on_conflict_do_nothing(
            index_elements=["store_id", "code"], index_where=_INDEX_WHERE[dialect]
        )
        .returning(TrackingItem.id)
    )


class ItemRepository(Repository[TrackingItem]):
    model = TrackingItem

    async def active_by_code(
        self, store_id: uuid.UUID, code: str, *, for_update: bool = False
    ) -> TrackingItem | None:
        statement = select(TrackingItem).where(
            TrackingItem.store_id == store_id, TrackingItem.code == code, ACTIVE
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
        values = {column.key: getattr(item, column.key) for column in _ITEM_COLUMNS}
        statement = _insert_unless_code_taken(dialect_name(self.session))
        if (await self.session.execute(statement, values)).first() is None:
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
        page, counted = _list_statements(
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

        One round trip of a statement built once: the lowest free code is only
        computed for a store full enough to need it.
        """
        active, lowest = (await self.session.execute(_CODE_SPACE, {"store": store_id})).one()
        return int(active), None if lowest is None else int(lowest)

    async def code_usage(
        self, store_id: uuid.UUID, codes: Iterable[str]
    ) -> list[tuple[str, bool, dt.datetime | None]]:
        """For each of `codes` ever used in the store: (code, held now, last freed at)."""
        held = func.max(case((ACTIVE, 1), else_=0))
        statement = (
            select(TrackingItem.code, held, func.max(TrackingItem.removed_at))
            .where(TrackingItem.store_id == store_id, TrackingItem.code.in_(list(codes)))
            .group_by(TrackingItem.code)
        )
        rows = (await self.session.execute(statement)).all()
        return [(str(code), bool(active), freed) for code, active, freed in rows]

    async def lowest_free_code(self, store_id: uuid.UUID) -> int | None:
        """The lowest code no active item holds, in one query; None when all are held."""
        found = (await self.session.execute(_LOWEST_FREE, {"store": store_id})).scalar()
        return None if found is None else int(found)

    async def search_names(
        self, store_id: uuid.UUID, category: str, text: str, *, limit: int
    ) -> list[tuple[str, str]]:
        """Active items of the category whose name contains `text`: (name, code), best first."""
        values = _search_values(store_id, category, text, limit)
        rows = (await self.session.execute(_ITEM_NAMES, values)).all()
        return [(str(name), str(code)) for name, code in rows]


class HistoryRepository(Repository[TrackingHistory]):
    model = TrackingHistory

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
            str(name) for name in (await self.session.execute(_TEMPLATE_NAMES, values)).scalars()
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
