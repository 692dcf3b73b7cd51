"""The CSV form of audit events: one row per event, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import AsyncIterator
from typing import Any

COLUMNS = (
    "id",
    "at",
    "actor_id",
    "actor_name",
    "action",
    "target_type",
    "target_id",
    "target_label",
    "details",
    "request_id",
    "ip",
)
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Bytes gathered before a chunk is sent: few enough writes, first bytes early.
CHUNK_BYTES = 32 * 1024


def neutral(cell: str) -> str:
    """The cell as text a spreadsheet shows and never evaluates."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return str(value)


def row_cells(row: Any) -> list[str]:
    return [neutral(_cell(getattr(row, name))) for name in COLUMNS]


async def csv_chunks(rows: AsyncIterator[Any]) -> AsyncIterator[bytes]:
    """The header, then the rows, as UTF-8 chunks of about `CHUNK_BYTES`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    async for row in rows:
        writer.writerow(row_cells(row))
        if buffer.tell() >= CHUNK_BYTES:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


_UNSAFE = re.compile(r"[^a-z0-9]+")


def filename(store_name: str, store_id: object, day: dt.date) -> str:
    """`audit-<store>-<date>.csv`, the store as a plain ASCII slug (its id if none is left)."""
    slug = _UNSAFE.sub("-", store_name.lower()).strip("-") or str(store_id)
    return f"audit-{slug}-{day.isoformat()}.csv"
