"""Read paths without ORM objects: select the columns a response needs, dump the rows once.

Loading ORM instances for a read costs an identity-map entry, instrumented attributes
and collection adapters per row, then a response model per row that FastAPI validates
again before it serialises. A read path that every tool can share instead

1. runs a Core `select()` whose columns are labelled with the response's field names
   (child lists, such as a task's tags, aggregated in the same statement with
   `aggregated_strings`, so a page is one round trip);
2. dumps the rows with `RowEncoder(ReadSchema)`, one pydantic serialiser call for the
   whole page, which writes exactly what `ReadSchema.model_dump_json()` would (same keys,
   same types, UTC timestamps ending in `Z`);
3. returns the bytes through `json_response`, while the route keeps
   `response_model=ReadSchema` for the OpenAPI document.

    rows = await fetch_rows(session, select(Thing.id, Thing.name.label("name")))
    return json_response(THING_JSON.many(rows))
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from fastapi import Response
from pydantic import BaseModel, TypeAdapter
from sqlalchemy import ColumnElement, Executable, String, func, select, type_coerce
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.engine import CursorResult, Dialect, Result
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.types import TypeDecorator
from typing_extensions import TypedDict

# The one place JSON responses of the fast path get their media type.
JSON_MEDIA_TYPE = "application/json"


def json_response(
    body: bytes, *, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """A response of JSON bytes that are already serialised."""
    return Response(body, status_code=status_code, headers=headers, media_type=JSON_MEDIA_TYPE)


class RowEncoder:
    """Serialises mappings shaped like `schema` to JSON without building `schema` objects.

    The row type is a TypedDict made from the schema's own field annotations, so the
    output is the schema's: pydantic's serialiser writes both. Keys a row has beyond the
    schema's fields (sort keys for a cursor, say) are left out. Validators and custom
    serialisers of the schema do not run: use it for plain read schemas.
    """

    def __init__(self, schema: type[BaseModel]) -> None:
        fields = {
            name: Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
            for name, info in schema.model_fields.items()
        }
        make_typed_dict: Any = TypedDict  # built at run time from the schema's fields
        row_type = make_typed_dict(f"{schema.__name__}Row", fields)
        self.fields = tuple(fields)
        self._one: TypeAdapter[Any] = TypeAdapter(row_type)
        self._many: TypeAdapter[Any] = TypeAdapter(list[row_type])  # type: ignore[valid-type]

    def one(self, row: Mapping[str, Any]) -> bytes:
        return self._one.dump_json(row)

    def many(self, rows: Sequence[Mapping[str, Any]]) -> bytes:
        return self._many.dump_json(rows)


def row_dicts(result: Result[Any]) -> list[dict[str, Any]]:
    """The rows of `result` as dicts keyed by their labels, ready for `RowEncoder`.

    Zipping the keys once with each tuple costs about a third of `dict(row)` over
    `.mappings()`, which looks the keys up again for every row (docs/BENCHMARKS.md).
    """
    keys = tuple(result.keys())
    return [dict(zip(keys, row, strict=True)) for row in result]


async def execute_core(
    session: AsyncSession, statement: Executable, values: Mapping[str, Any] | None = None
) -> CursorResult[*tuple[Any, ...]]:
    """Run a Core statement on the session's connection, in its transaction, without
    the ORM's per-statement set-up (see `fetch_rows`)."""
    connection = await session.connection()
    return await connection.execute(statement, values)


async def fetch_rows(
    session: AsyncSession, statement: Executable, values: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The rows of a Core `select()` as `row_dicts`, run on the session's connection
    with `values` for its bind parameters (a statement built once, say).

    `session.execute` would hand the statement to the ORM first, which sets up entity
    loading and a result wrapper per statement even for plain columns; the connection
    runs it as Core, in the session's transaction all the same.
    """
    return row_dicts(await execute_core(session, statement, values))


def json_envelope(**members: bytes | int) -> bytes:
    """A JSON object of `members` in the given order: JSON already serialised (a page
    from `RowEncoder.many`) or integers (its count), as in `{"items": [...], "count": 3}`."""
    parts = (
        f'"{name}":'.encode() + (value if isinstance(value, bytes) else str(int(value)).encode())
        for name, value in members.items()
    )
    return b"{" + b",".join(parts) + b"}"


class StringList(TypeDecorator[list[str]]):
    """The result of `aggregated_strings`: a text array (PostgreSQL) or a JSON array text
    (SQLite), and NULL when there is nothing to aggregate; always a `list[str]` in Python."""

    impl = String
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Dialect) -> list[str]:
        if value is None:
            return []
        if isinstance(value, str):
            return list(json.loads(value))
        return list(value)


def aggregated_strings(
    dialect_name: str,
    value: QueryableAttribute[str],
    *,
    order_by: QueryableAttribute[Any],
    where: ColumnElement[bool],
    parent: Any,
) -> ColumnElement[list[str]]:
    """A scalar subquery correlated to `parent` (the outer query's table or entity):
    the `value`s of the rows matching `where`, in `order_by` order.

    PostgreSQL aggregates with `array_agg(... ORDER BY ...)`; SQLite before 3.44 has no
    ORDER BY inside an aggregate, so `json_group_array` reads an ordered subquery.
    """
    if dialect_name == "postgresql":
        ordered_values = aggregate_order_by(value, order_by)
        aggregate = select(func.array_agg(ordered_values)).where(where).correlate(parent)
    else:
        inner = select(value.label("value")).where(where).order_by(order_by).correlate(parent)
        ordered = inner.subquery()
        aggregate = select(func.json_group_array(ordered.c.value))
    return type_coerce(aggregate.scalar_subquery(), StringList())


def dialect_name(session: AsyncSession) -> str:
    """The engine a session talks to, for statements that differ between engines."""
    return session.get_bind().dialect.name
