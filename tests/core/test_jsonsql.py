"""PostgreSQL's JSON of a page is the serialiser's, byte for byte, and pages like LIMIT/OFFSET.

The rows live in a table of the test's own, so the comparison covers every column type
the builder knows, NULLs and the characters JSON escapes, whatever a domain stores.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import (
    Boolean,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    column,
    insert,
    select,
)
from sqlalchemy.types import Uuid

from backroom.core.db import UTCDateTime
from backroom.core.fastread import RowEncoder
from backroom.core.jsonsql import json_object, json_page

pytestmark = pytest.mark.postgres_only

PROBE = Table(
    "probe_jsonsql",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("ref", Uuid()),
    Column("name", String(100)),
    Column("note", String(100), nullable=True),
    Column("at", UTCDateTime()),
    Column("gone_at", UTCDateTime(), nullable=True),
    Column("done", Boolean),
)
COLUMNS = [PROBE.c.id, PROBE.c.ref, PROBE.c.name, PROBE.c.note, PROBE.c.at]
COLUMNS += [PROBE.c.gone_at, PROBE.c.done]
ORDER = (PROBE.c.at.desc(), PROBE.c.id.desc())
START = dt.datetime(2026, 12, 7, 9, 30, tzinfo=dt.UTC)


class Probe(BaseModel):
    id: int
    ref: uuid.UUID
    name: str
    note: str | None
    at: dt.datetime
    gone_at: dt.datetime | None
    done: bool


PROBE_JSON = RowEncoder(Probe)
NAMES = ['say "hi"', "back\\slash", "café ☕ 𝄞", "line\u2028sep", "tab\there", "</script>"]


def _rows() -> list[dict[str, Any]]:
    return [
        {
            "id": n,
            "ref": uuid.uuid4(),
            "name": name,
            "note": None if n % 2 else f"note {n}",
            # Whole seconds, a fraction, a microsecond: the fraction is written only when set.
            "at": START + dt.timedelta(minutes=n, microseconds=(0, 250_000, 1)[n % 3]),
            "gone_at": None if n % 3 else START + dt.timedelta(days=1, seconds=n),
            "done": n % 2 == 0,
        }
        for n, name in enumerate(NAMES, start=1)
    ]


@pytest.fixture
async def probe(app: FastAPI) -> AsyncIterator[FastAPI]:
    async with app.state.db.engine.begin() as connection:
        await connection.run_sync(PROBE.create)
        await connection.execute(insert(PROBE), _rows())
    try:
        yield app
    finally:
        async with app.state.db.engine.begin() as connection:
            await connection.run_sync(PROBE.drop)


async def _read(app: FastAPI, statement: Any, values: dict[str, Any]) -> Any:
    async with app.state.db.engine.connect() as connection:
        # The session's zone must not show through: timestamps are written in UTC.
        await connection.exec_driver_sql("SET TIME ZONE 'America/St_Johns'")
        return (await connection.execute(statement, values)).all()


PAGE = json_page(
    COLUMNS,
    where=[PROBE.c.id > bindparam("after", type_=Integer())],
    order_by=ORDER,
    limit=bindparam("limit", type_=Integer()),
    offset=bindparam("offset", type_=Integer()),
)


async def test_every_object_is_what_the_serialiser_writes_for_the_same_row(probe: FastAPI) -> None:
    rows = await _read(probe, select(json_object(COLUMNS), *COLUMNS).order_by(PROBE.c.id), {})
    expected = row_dicts_of(rows)
    assert [text for text, *_ in rows] == [PROBE_JSON.one(row).decode() for row in expected]
    assert [json.loads(text)["name"] for text, *_ in rows] == NAMES


def row_dicts_of(rows: list[Any]) -> list[dict[str, Any]]:
    keys = [c.key for c in COLUMNS]
    return [dict(zip(keys, row[1:], strict=True)) for row in rows]


@pytest.mark.parametrize(
    ("limit", "offset", "codes", "read"),
    [
        (6, 0, [6, 5, 4, 3, 2, 1], 6),
        (2, 0, [6, 5], 3),
        (2, 3, [3, 2], 3),
        (2, 4, [2, 1], 2),
        (4, 5, [1], 1),
        (3, 6, [], 0),
    ],
)
async def test_a_page_holds_its_window_newest_first_and_reads_one_past_it(
    probe: FastAPI, *, limit: int, offset: int, codes: list[int], read: int
) -> None:
    values = {"after": 0, "limit": limit, "offset": offset}
    ((joined, counted),) = await _read(probe, PAGE, values)
    everything = await _read(probe, select(*COLUMNS).order_by(*ORDER), {})
    by_id = {row.id: dict(row._mapping) for row in everything}
    expected = PROBE_JSON.many([by_id[n] for n in codes])
    assert ("[" + (joined or "") + "]").encode() == expected
    assert counted == read


async def test_only_plain_names_become_keys() -> None:
    with pytest.raises(ValueError, match="plain column name"):
        json_object([column("it's")])
