"""The trail is append-only: the activity routes only read, and nothing else touches events."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

import backroom
from tests.tools.activity.conftest import Crew

SOURCE = Path(backroom.__file__).parent
_READER_PATHS = ("/api/audit", "/api/activity", "/api/admin/activity")


def test_the_reader_routes_only_read(app: FastAPI) -> None:
    paths = {
        path: sorted(operations)
        for path, operations in app.openapi()["paths"].items()
        if path.startswith(_READER_PATHS)
    }
    assert paths == {
        "/api/activity/recent": ["get"],
        "/api/admin/activity": ["get"],
        "/api/audit": ["get"],
        "/api/audit/export": ["get"],
    }


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
async def test_writing_to_the_trail_is_405(
    client: httpx.AsyncClient, crew_a: Crew, method: str
) -> None:
    response = await client.request(method, "/api/audit", headers=crew_a.admin.headers)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


def test_only_retention_deletes_events_and_nothing_updates_them() -> None:
    """A change to an event anywhere in the code is a change to this test."""
    writes = re.compile(
        r"\b(update|delete)\(\s*AuditEvent\b|AuditEvent\.__table__\.(update|delete)"
    )
    found = sorted(
        str(path.relative_to(SOURCE))
        for path in SOURCE.rglob("*.py")
        if writes.search(path.read_text(encoding="utf-8"))
    )
    assert found == ["tools/activity/repository.py"]
