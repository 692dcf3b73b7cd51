"""The paging helpers on their own: cursors, keyset clauses on a real database, links.

The keyset tests use a table of their own in an in-memory SQLite database, so they
depend on no domain.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from starlette.datastructures import URL

from backroom.core.db import UTCDateTime
from backroom.core.pagination import (
    Cursor,
    CursorCodec,
    CursorWithOffset,
    InvalidCursor,
    PageParams,
    SortKey,
    Window,
    fingerprint,
    keyset_statement,
    nulls_last,
    offset_prev_params,
    page_headers,
    page_params,
    reverse,
    window,
    window_headers,
)

WHEN = dt.datetime(2026, 11, 22, 9, 30, 0, 123456, tzinfo=dt.UTC)


# --- Cursors ----------------------------------------------------------------------------------


def test_cursor_round_trips_every_kind_of_value() -> None:
    codec = CursorCodec("secret", scope="things")
    cursor = Cursor((1, "naïve ☃", None, WHEN, True), backward=True)
    token = codec.encode(cursor, "q1")
    assert codec.decode(token, "q1") == cursor
    assert "=" not in token
    assert token.isascii()


@pytest.mark.parametrize(
    "token",
    ["", "nodot", "a.b.c", "!!!.???", "eyJ4Ijoi.AAAA", "W1tdLDBd.AAAAAAAAAAAAAAAAAAAAAA"],
)
def test_garbage_is_an_invalid_cursor(token: str) -> None:
    with pytest.raises(InvalidCursor):
        CursorCodec("secret", scope="things").decode(token, "q")


def test_a_cursor_for_another_query_scope_or_key_is_refused() -> None:
    token = CursorCodec("secret", scope="things").encode(Cursor((1,)), "q1")
    with pytest.raises(InvalidCursor):
        CursorCodec("secret", scope="things").decode(token, "q2")
    with pytest.raises(InvalidCursor):
        CursorCodec("secret", scope="others").decode(token, "q1")
    with pytest.raises(InvalidCursor):
        CursorCodec("other-secret", scope="things").decode(token, "q1")


def test_an_edited_cursor_is_refused() -> None:
    codec = CursorCodec("secret", scope="things")
    payload, signature = codec.encode(Cursor((41,)), "q").split(".")
    forged_payload = codec.encode(Cursor((42,)), "q").split(".")[0]
    with pytest.raises(InvalidCursor):
        codec.decode(f"{forged_payload}.{signature}", "q")
    assert codec.decode(f"{payload}.{signature}", "q") == Cursor((41,))


def test_fingerprint_depends_on_every_part_and_their_order() -> None:
    assert fingerprint("a", 1, None) == fingerprint("a", 1, None)
    assert fingerprint("a", 1, None) != fingerprint("a", 1, False)
    assert fingerprint("a", "b") != fingerprint("b", "a")


# --- Parameters and links ---------------------------------------------------------------------


async def test_cursor_and_offset_together_are_refused() -> None:
    with pytest.raises(CursorWithOffset):
        await page_params(limit=10, offset=5, cursor="abc")
    assert await page_params(limit=10, offset=0, cursor="abc") == PageParams(10, 0, "abc")


def test_page_headers_keep_other_parameters_and_replace_paging_ones() -> None:
    url = URL("http://h/api/things?tag=a&tag=b&offset=20&limit=10&cursor=old")
    headers = page_headers(
        url, total=95, next_params={"cursor": "NEXT"}, prev_params={"offset": 10}
    )
    assert headers["X-Total-Count"] == "95"
    next_link, prev_link = headers["Link"].split(", ")
    assert next_link == '<http://h/api/things?tag=a&tag=b&limit=10&cursor=NEXT>; rel="next"'
    assert prev_link == '<http://h/api/things?tag=a&tag=b&limit=10&offset=10>; rel="prev"'


def test_no_neighbours_means_no_link_header() -> None:
    assert page_headers(URL("http://h/x"), total=0) == {"X-Total-Count": "0"}


def test_offset_prev_is_clamped_at_zero_and_absent_on_the_first_page() -> None:
    assert offset_prev_params(PageParams(limit=10, offset=0)) is None
    assert offset_prev_params(PageParams(limit=10, offset=4)) == {"offset": 0, "limit": 10}
    assert offset_prev_params(PageParams(limit=10, offset=25)) == {"offset": 15, "limit": 10}
    assert offset_prev_params(PageParams(limit=10, cursor="c")) is None


# --- Keyset statements on a real database ------------------------------------------------------

metadata = MetaData()
thing = Table(
    "thing",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(20)),
    Column("due_at", UTCDateTime(), nullable=True),
)


@pytest.fixture
async def connection() -> AsyncIterator[AsyncConnection]:
    engine = create_async_engine("sqlite+aiosqlite:///:memory:")
    async with engine.connect() as conn:
        await conn.run_sync(metadata.create_all)
        names = ["b", "a", "c", "a", "b", "c", "a"]
        days: list[int | None] = [2, None, 1, 2, None, 0, 1]
        await conn.execute(
            insert(thing),
            [
                {
                    "id": index + 1,
                    "name": name,
                    "due_at": None if day is None else WHEN + dt.timedelta(days=day),
                }
                for index, (name, day) in enumerate(zip(names, days, strict=True))
            ],
        )
        yield conn
    await engine.dispose()


def _keys(kind: str, descending: bool) -> list[SortKey]:
    by_id = SortKey(thing.c.id, descending)
    if kind == "name":
        return [SortKey(thing.c.name, descending), by_id]
    return [nulls_last(thing.c.due_at), SortKey(thing.c.due_at, descending), by_id]


def _values(row: Any, kind: str) -> tuple[Any, ...]:
    if kind == "name":
        return (row.name, row.id)
    return (1 if row.due_at is None else 0, row.due_at, row.id)


async def _walk(
    connection: AsyncConnection, kind: str, descending: bool, limit: int
) -> list[list[int]]:
    """Every page, forwards through `next` cursors."""
    pages: list[list[int]] = []
    cursor: Cursor | None = None
    while True:
        keys = _keys(kind, descending)
        statement = keyset_statement(
            select(thing), keys, limit=limit, after=cursor.values if cursor else None
        )
        fetched = (await connection.execute(statement)).all()
        page = window(fetched, limit=limit, cursor=cursor, key=lambda row: _values(row, kind))
        pages.append([row.id for row in page.rows])
        if page.next is None:
            return pages
        cursor = page.next


@pytest.mark.parametrize(
    ("kind", "descending", "expected"),
    [
        ("name", False, [2, 4, 7, 1, 5, 3, 6]),
        ("name", True, [6, 3, 5, 1, 7, 4, 2]),
        ("due", False, [6, 3, 7, 1, 4, 2, 5]),
        ("due", True, [4, 1, 7, 3, 6, 5, 2]),
    ],
)
@pytest.mark.parametrize("limit", [1, 2, 3, 7, 10])
async def test_keyset_pages_cover_the_order_exactly_with_nulls_last(
    connection: AsyncConnection, kind: str, descending: bool, expected: list[int], limit: int
) -> None:
    pages = await _walk(connection, kind, descending, limit)
    assert list(itertools.chain.from_iterable(pages)) == expected
    assert all(len(page) == limit for page in pages[:-1])


async def test_a_backward_cursor_returns_the_rows_before_in_list_order(
    connection: AsyncConnection,
) -> None:
    keys = _keys("due", descending=False)
    # The full order is 6, 3, 7, 1, 4, 2, 5: take the two rows before id 4.
    row = (await connection.execute(select(thing).where(thing.c.id == 4))).one()
    cursor = Cursor(_values(row, "due"), backward=True)
    statement = keyset_statement(select(thing), reverse(keys), limit=2, after=cursor.values)
    fetched = (await connection.execute(statement)).all()
    page = window(fetched, limit=2, cursor=cursor, key=lambda r: _values(r, "due"))
    assert [r.id for r in page.rows] == [7, 1]
    assert page.prev is not None
    assert page.next is not None
    assert page.next.values == _values(fetched[0], "due")


def test_window_headers_link_next_by_cursor_and_prev_by_offset_or_cursor() -> None:
    codec = CursorCodec("secret", scope="things")
    url = URL("http://h/things?limit=2&offset=4")
    offset_page = Window(rows=[1, 2], next=Cursor((2,)), prev=None)
    headers = window_headers(
        url, total=9, page=offset_page, params=PageParams(2, 4), codec=codec, query="q"
    )
    links = {
        part.split("; ")[1]: part.split("; ")[0].strip("<>") for part in headers["Link"].split(", ")
    }
    token = URL(links['rel="next"']).query.split("cursor=")[1]
    assert codec.decode(token, "q") == Cursor((2,))
    assert links['rel="prev"'] == "http://h/things?offset=2&limit=2"
    cursor_page = Window(rows=[3], next=None, prev=Cursor((3,), backward=True))
    headers = window_headers(
        url, total=9, page=cursor_page, params=PageParams(2, 0, "c"), codec=codec, query="q"
    )
    assert 'rel="next"' not in headers["Link"]
    prev_token = headers["Link"].split("cursor=")[1].split(">")[0]
    assert codec.decode(prev_token, "q") == Cursor((3,), backward=True)


def test_fixed_columns_lead_the_order_in_the_first_key_direction() -> None:
    # The owner column leads so that only the (owner, id) index yields the order.
    owner = Column("owner_id", Integer)
    for descending, word in ((True, "DESC"), (False, "ASC")):
        statement = keyset_statement(
            select(thing).where(owner == 1),
            [SortKey(thing.c.id, descending)],
            limit=5,
            fixed=[owner],
        )
        order = str(statement.compile()).split("ORDER BY", 1)[1]
        assert order.split("LIMIT")[0].split() == ["owner_id", f"{word},", "thing.id", word]
