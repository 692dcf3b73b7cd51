"""Paging for list endpoints: limit/offset, opaque keyset cursors, `Link` and `X-Total-Count`.

A list endpoint sorts by a tuple of `SortKey`s that ends in a unique column (the id),
so every row has one place in the order. A page is then either

- an offset page (`limit`, `offset`): simple, but the database walks past `offset` rows;
- a keyset page (`cursor`): "the rows after (or before) this key", which costs the
  same on page 1000 as on page 1 when an index matches the sort.

The cursor is opaque to clients: URL-safe base64 of the key values, signed with an
HMAC over the values and a fingerprint of the query (sort and filters), so a cursor
that was edited or that belongs to another query is refused with a 422.

Nulls are not comparable in SQL, so a nullable sort column is given a companion
"is null" key in front of it (see `nulls_last`); `keyset_after` treats a `None`
cursor value as "equal only to NULL", which keeps paging exact inside the null block.

A list endpoint puts the pieces together like this (the tasks tool is the example):

    router:      page: PageParamsDep; codec = CursorCodec(settings.secret_key, scope="things")
                 query = fingerprint(*filters); cursor = codec.decode(page.cursor, query)
    repository:  keys = [...SortKey..., SortKey(Thing.id, descending)]
                 (reverse(keys) for a backward cursor)
                 rows = keyset_statement(select(...), keys, limit=..., after=..., offset=...)
    service:     window(rows, limit=page.limit, cursor=cursor, key=<a row's key values>)
    router:      response.headers.update(window_headers(request.url, total=..., page=...,
                 params=page, codec=codec, query=query))
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from sqlalchemy import ColumnElement, Select, and_, case, false, or_
from sqlalchemy.orm import QueryableAttribute
from starlette.datastructures import URL

from backroom.core.errors import Unprocessable

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
# Past this an offset is certainly a mistake; it also keeps the value inside BIGINT.
MAX_OFFSET = 1_000_000_000
MAX_CURSOR_LENGTH = 2048

T = TypeVar("T")


class InvalidCursor(Unprocessable):
    code = "invalid_cursor"
    detail = "The cursor is not valid for this query"

    def __init__(
        self, message: str = "Not a cursor from this list; start again without it"
    ) -> None:
        super().__init__(errors=[{"field": "cursor", "message": message}])


class CursorWithOffset(Unprocessable):
    code = "cursor_with_offset"
    detail = "Use either offset or cursor, not both"

    def __init__(self) -> None:
        super().__init__(errors=[{"field": "offset", "message": "Not allowed with a cursor"}])


# --- Query parameters -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PageParams:
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    cursor: str | None = None


async def page_params(
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="Page size (1-100).")
    ] = DEFAULT_LIMIT,
    offset: Annotated[
        int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip; not with `cursor`.")
    ] = 0,
    cursor: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=MAX_CURSOR_LENGTH,
            description="Opaque cursor taken from a `Link` header.",
        ),
    ] = None,
) -> PageParams:
    """The `limit`, `offset` and `cursor` query parameters of a list endpoint.

    `async` though it awaits nothing: FastAPI runs a plain `def` dependency in a worker
    thread, which costs more than the work (the same holds for the others on hot paths).
    """
    if cursor is not None and offset:
        raise CursorWithOffset
    return PageParams(limit=limit, offset=offset, cursor=cursor)


PageParamsDep = Annotated[PageParams, Depends(page_params)]


# --- Keyset ordering ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SortKey:
    """One column (or expression) of a sort order and its direction."""

    column: ColumnElement[Any] | QueryableAttribute[Any]
    descending: bool = False

    def reversed(self) -> SortKey:
        return SortKey(self.column, not self.descending)

    def order_clause(self) -> ColumnElement[Any]:
        return self.column.desc() if self.descending else self.column.asc()


def nulls_last(column: ColumnElement[Any] | QueryableAttribute[Any]) -> SortKey:
    """A key that sorts the rows where `column` is NULL after all others."""
    return SortKey(case((column.is_(None), 1), else_=0))


def reverse(keys: Sequence[SortKey]) -> list[SortKey]:
    return [key.reversed() for key in keys]


def _strictly_after(key: SortKey, value: Any) -> ColumnElement[bool]:
    if value is None:
        return false()  # NULLs are grouped by a `nulls_last` key in front; nothing is beyond
    beyond: ColumnElement[bool] = key.column < value if key.descending else key.column > value
    return beyond


def _equal(key: SortKey, value: Any) -> ColumnElement[bool]:
    return key.column.is_(None) if value is None else key.column == value


def keyset_after(keys: Sequence[SortKey], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after `values` in the order of `keys` (one OR branch per key).

    The OR alone hides the range from the planner, so the first key also gets its
    non-strict bound (`first >= value`), which lets an index on it seek to the page.
    """
    if len(keys) != len(values):
        raise InvalidCursor
    branches = []
    for index, key in enumerate(keys):
        equal_prefix = [_equal(k, v) for k, v in zip(keys[:index], values[:index], strict=True)]
        branches.append(and_(*equal_prefix, _strictly_after(key, values[index])))
    first, value = keys[0], values[0]
    if len(keys) == 1 or value is None:
        return or_(*branches)
    seek = first.column <= value if first.descending else first.column >= value
    return and_(seek, or_(*branches))


def keyset_statement(
    statement: Select[Any],
    keys: Sequence[SortKey],
    *,
    limit: int,
    after: Sequence[Any] | None = None,
    offset: int = 0,
    fixed: Sequence[ColumnElement[Any] | QueryableAttribute[Any]] = (),
) -> Select[Any]:
    """`statement` ordered by `keys`, after a key (or past `offset` rows), one row extra.

    The extra row tells whether another page follows without a second query.

    `fixed` names columns the filters pin to one value (the owner), which lead the
    composite index of the list. Ordering by them first changes no result, but it
    leaves that index as the only one that yields the order: without it PostgreSQL
    may walk the primary key backwards and filter out every other owner's newer rows.
    """
    if after is not None:
        statement = statement.where(keyset_after(keys, after))
    leading = [SortKey(column, keys[0].descending).order_clause() for column in fixed]
    statement = statement.order_by(*leading, *(key.order_clause() for key in keys))
    if offset:
        statement = statement.offset(offset)
    return statement.limit(limit + 1)


# --- Cursors -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cursor:
    """A position in a sorted list: the key of a row, read forwards or backwards from it."""

    values: tuple[Any, ...]
    backward: bool = False


def fingerprint(*parts: object) -> str:
    """A short digest of what a cursor is only valid for (the sort and the filters)."""
    canonical = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _encode_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"t": value.isoformat()}
    if value is None or isinstance(value, bool | int | str):
        return value
    raise TypeError(f"cannot put a {type(value).__name__} in a cursor")


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict):
        parsed = dt.datetime.fromisoformat(str(value["t"]))
        if parsed.tzinfo is None:
            raise ValueError("naive datetime in a cursor")
        return parsed
    if value is None or isinstance(value, bool | int | str):
        return value
    raise ValueError("unexpected value in a cursor")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CursorCodec:
    """Signs and reads cursors for one list (`scope`) with the app's secret key."""

    def __init__(self, secret: str, scope: str) -> None:
        self._key = hashlib.sha256(f"backroom-cursor:{scope}:{secret}".encode()).digest()

    def _signature(self, payload: bytes, query: str) -> bytes:
        return hmac.new(self._key, payload + b"|" + query.encode(), hashlib.sha256).digest()[:16]

    def encode(self, cursor: Cursor, query: str) -> str:
        values = [_encode_value(value) for value in cursor.values]
        payload = json.dumps([values, int(cursor.backward)], separators=(",", ":")).encode()
        return f"{_b64(payload)}.{_b64(self._signature(payload, query))}"

    def decode(self, token: str, query: str) -> Cursor:
        """The cursor in `token`, or `InvalidCursor` if it was altered or is for another query."""
        try:
            payload_part, signature_part = token.split(".")
            payload = _unb64(payload_part)
            signature = _unb64(signature_part)
        except (ValueError, binascii.Error):
            raise InvalidCursor from None
        if not hmac.compare_digest(signature, self._signature(payload, query)):
            raise InvalidCursor
        try:
            values, backward = json.loads(payload)
            return Cursor(tuple(_decode_value(value) for value in values), bool(backward))
        except (ValueError, TypeError, KeyError):
            raise InvalidCursor from None


# --- One page and its links --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Window(Generic[T]):
    """The rows of one page, and where the pages before and after it start."""

    rows: list[T]
    next: Cursor | None
    prev: Cursor | None


def window(
    fetched: Sequence[T], *, limit: int, cursor: Cursor | None, key: Callable[[T], tuple[Any, ...]]
) -> Window[T]:
    """Cut the `limit + 1` rows of `keyset_statement` into a page and its neighbours.

    A backward cursor's rows arrive in reverse order and are put back in list order.
    A page reached through a forward cursor always offers `prev` (the rows before it
    existed when the cursor was made); an offset page leaves `prev` to the caller.
    """
    more = len(fetched) > limit
    rows = list(fetched[:limit])
    if cursor is not None and cursor.backward:
        rows.reverse()
        prev = Cursor(key(rows[0]), backward=True) if more and rows else None
        following = Cursor(key(rows[-1])) if rows else None
        return Window(rows, following, prev)
    following = Cursor(key(rows[-1])) if more else None
    prev = Cursor(key(rows[0]), backward=True) if cursor is not None and rows else None
    return Window(rows, following, prev)


def page_links(
    url: URL, *, next_params: Mapping[str, Any] | None, prev_params: Mapping[str, Any] | None
) -> str | None:
    """A `Link` header value with `rel="next"` and `rel="prev"` built from the request URL."""
    base = url.remove_query_params(["cursor", "offset"])
    links = []
    for rel, params in (("next", next_params), ("prev", prev_params)):
        if params is not None:
            links.append(f'<{base.include_query_params(**params)}>; rel="{rel}"')
    return ", ".join(links) or None


def page_headers(
    url: URL,
    *,
    total: int,
    next_params: Mapping[str, Any] | None = None,
    prev_params: Mapping[str, Any] | None = None,
) -> dict[str, str]:
    """`X-Total-Count` and, when there are neighbours, `Link`."""
    headers = {"X-Total-Count": str(total)}
    link = page_links(url, next_params=next_params, prev_params=prev_params)
    if link:
        headers["Link"] = link
    return headers


def offset_prev_params(params: PageParams) -> dict[str, Any] | None:
    """The `prev` link of an offset page: the previous `limit` rows, clamped at 0."""
    if params.cursor is not None or params.offset == 0:
        return None
    return {"offset": max(0, params.offset - params.limit), "limit": params.limit}


def window_headers(
    url: URL,
    *,
    total: int,
    page: Window[Any],
    params: PageParams,
    codec: CursorCodec,
    query: str,
) -> dict[str, str]:
    """The headers of one page of a list: `next` is always a cursor link; `prev` is a
    cursor link on a page reached through a cursor, and an offset link otherwise."""
    next_params = {"cursor": codec.encode(page.next, query)} if page.next else None
    prev_params = (
        {"cursor": codec.encode(page.prev, query)} if page.prev else offset_prev_params(params)
    )
    return page_headers(url, total=total, next_params=next_params, prev_params=prev_params)
