"""PostgreSQL writes a page of rows as JSON itself, byte for byte as `RowEncoder` would.

A long list read through Python costs a decoded value per column, a row and a dict per
row, then the serialiser (docs/BENCHMARKS.md: about 6 µs per row of eleven columns).
PostgreSQL builds the same text in C while it reads the rows, and the page reaches
Python as one string. The text is the serialiser's, so a client cannot tell the two
paths apart, and the tests compare them byte for byte:

- keys in the order of the columns (their labels), no spaces, `null` for NULL;
- strings and UUIDs as JSON strings (`to_json` escapes as pydantic does);
- timestamps in UTC as `2026-12-07T09:30:00Z`, with `.ffffff` when there is a fraction;
- booleans and integers as JSON literals.

Build the statement once per query shape (values as bind parameters): a statement this
size costs more Python to build and key for the compiled cache than its round trip.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, Text, case, cast, func, literal_column, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.types import Uuid

from backroom.core.db import UTCDateTime

# The key fragments are this module's SQL literals, so only plain names are allowed.
_KEY_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


def _json_value(column: ColumnElement[Any]) -> ColumnElement[str]:
    value: ColumnElement[Any]
    if isinstance(column.type, UTCDateTime):
        utc = func.timezone("UTC", column)
        fraction = func.to_char(utc, ".US")
        stamp = func.concat(
            func.to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS'),
            case((fraction == ".000000", ""), else_=fraction),
            "Z",
        )
        # concat() skips a NULL, so a NULL timestamp is tested on its own.
        value = case((column.is_(None), None), else_=func.to_json(stamp))
    elif isinstance(column.type, Uuid):
        value = func.to_json(cast(column, Text))
    else:
        value = func.to_json(column)
    return func.coalesce(cast(value, Text), "null")


def json_object(columns: Sequence[ColumnElement[Any]]) -> ColumnElement[str]:
    """The text of a JSON object of `columns`, keyed by their names, in their order."""
    parts: list[ColumnElement[Any]] = []
    for position, column in enumerate(columns):
        key = column.key
        if not key or not set(key) <= _KEY_CHARACTERS:
            raise ValueError(f"not a plain column name: {key!r}")
        opening = "{" if position == 0 else ","
        parts += [literal_column(f"'{opening}\"{key}\":'"), _json_value(column)]
    return func.concat(*parts, literal_column("'}'"))


def json_page(
    columns: Sequence[ColumnElement[Any]],
    *,
    where: Sequence[ColumnElement[bool]],
    order_by: Sequence[ColumnElement[Any]],
    limit: ColumnElement[int],
    offset: ColumnElement[int],
) -> Select[tuple[str | None, int]]:
    """One row: the page's objects joined by commas (NULL for an empty page), and how
    many rows were read, up to `limit + 1`: one past the page tells that more follow."""
    position = func.row_number().over(order_by=list(order_by)).label("position")
    rows = (
        select(json_object(columns).label("item"), position)
        .where(*where)
        .order_by(*order_by)
        .limit(limit + 1)
        .offset(offset)
        .subquery()
    )
    joined = func.string_agg(
        rows.c.item, aggregate_order_by(literal_column("','"), rows.c.position)
    )
    return select(
        joined.filter(rows.c.position <= offset + limit).label("items"),
        func.count().label("read"),
    )
