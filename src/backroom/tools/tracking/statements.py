"""The tracking tool's statements, built once at import (or once per engine).

A statement built per request costs more Python than its round trip: these take
their values as bind parameters, and the repository only binds and runs them.
Every one is scoped by the bound `store`.
"""

from __future__ import annotations

import functools
from typing import Any
from typing import cast as cast_type

from sqlalchemy import (
    ColumnElement,
    Insert,
    Integer,
    Select,
    String,
    Table,
    TextClause,
    bindparam,
    case,
    cast,
    false,
    func,
    insert,
    or_,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.selectable import ScalarSelect
from sqlalchemy.types import Uuid

from backroom.core.jsonsql import json_page
from backroom.tools.tracking.models import (
    CODE_SPACE,
    TrackingHistory,
    TrackingItem,
    TrackingSuggestion,
)

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


STORE = bindparam("store", type_=Uuid())


def _first_gap() -> ScalarSelect[int]:
    """The first code missing among the store's held codes, walked in code order
    (NULL when they run 0000, 0001, ... without a gap).

    Each held code is compared with the one before it (-1 before the first). Codes are
    zero-padded, so their text order is their numeric order: the walk follows the
    unique index on (store, code) with no sort, and PostgreSQL stops at the first gap.
    """
    code = TrackingItem.code
    held = select(
        code.label("code"),
        cast(code, Integer).label("n"),
        func.lag(cast(code, Integer), 1, -1).over(order_by=code).label("previous"),
    ).where(TrackingItem.store_id == STORE, ACTIVE)
    pairs = held.subquery()
    return (
        select(pairs.c.previous + 1)
        .where(pairs.c.n - pairs.c.previous > 1)
        .order_by(pairs.c.code)
        .limit(1)
        .scalar_subquery()
    )


def _code_space() -> tuple[Select[Any], Select[Any]]:
    """(active count, lowest free code once the store is dense) and (lowest free code).

    The count is taken once. Without a gap the held codes are exactly 0 .. count-1, so
    the lowest free code is the count itself, unless every code is held (NULL).
    """
    counted = (
        select(func.count().label("active"))
        .where(TrackingItem.store_id == STORE, ACTIVE)
        .subquery()
    )
    active = counted.c.active
    lowest = case((active < CODE_SPACE, func.coalesce(_first_gap(), active)))
    dense = case((active > DENSE_THRESHOLD, lowest))
    return select(active, dense).select_from(counted), select(lowest).select_from(counted)


CODE_SPACE_USE, LOWEST_FREE = _code_space()
# Which of the bound `codes` the store ever used: (code, held now, last freed at).
CODE_USAGE = (
    select(
        TrackingItem.code,
        func.max(case((ACTIVE, 1), else_=0)),
        func.max(TrackingItem.removed_at),
    )
    .where(
        TrackingItem.store_id == STORE,
        TrackingItem.code.in_(bindparam("codes", expanding=True)),
    )
    .group_by(TrackingItem.code)
)


@functools.cache
def list_statements(
    dialect: str, include_removed: bool, by_category: bool, searching: bool
) -> tuple[Select[Any], Select[Any]]:
    """The page and the count of one shape of list query, built once; values are bound."""
    conditions: list[ColumnElement[bool]] = [TrackingItem.store_id == STORE]
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


_CATEGORY = bindparam("category", type_=String())
_LIMIT = bindparam("limit", type_=Integer())
_item_match, _item_order = _best_matches(TrackingItem.name_key)
ITEM_NAMES = (
    select(TrackingItem.name, TrackingItem.code)
    .where(TrackingItem.store_id == STORE, ACTIVE, TrackingItem.category == _CATEGORY, _item_match)
    .order_by(*_item_order, TrackingItem.added_at.desc())
    .limit(_LIMIT)
)
_template_match, _template_order = _best_matches(TrackingSuggestion.name_key)
TEMPLATE_NAMES = (
    select(TrackingSuggestion.name)
    .where(
        TrackingSuggestion.store_id == STORE,
        TrackingSuggestion.category == _CATEGORY,
        _template_match,
    )
    .order_by(*_template_order)
    .limit(_LIMIT)
)


_ITEM_TABLE = cast_type(Table, TrackingItem.__table__)
ITEM_COLUMNS = tuple(_ITEM_TABLE.columns)


@functools.cache
def insert_unless_code_taken(dialect: str) -> Insert:
    """`INSERT ... ON CONFLICT DO NOTHING` on the partial unique index, built once.

    A Core insert on the table: the repository runs it on the session's connection,
    which skips the ORM's bulk-insert set-up for a single row.
    """
    builder = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        builder(_ITEM_TABLE)
        .on_conflict_do_nothing(
            index_elements=["store_id", "code"], index_where=_INDEX_WHERE[dialect]
        )
        .returning(_ITEM_TABLE.c.id)
    )


# A history row is never read back by the request that writes it: a Core insert.
APPEND_HISTORY = insert(cast_type(Table, TrackingHistory.__table__))
