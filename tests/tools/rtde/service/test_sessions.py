"""Session rules: the need arithmetic, the pull-list filter, and races between requests."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Store, User
from backroom.core.audit import AuditEvent
from backroom.tools.rtde.models import RTDECount, RTDESession
from backroom.tools.rtde.repository import SessionLine
from backroom.tools.rtde.service.sessions import need, pull_lines
from tests.tools.rtde.factories import make_items

SESSIONS = "/api/rtde/sessions"


@pytest.mark.parametrize(
    ("par", "counted", "expected"),
    [(5, None, 5), (5, 0, 5), (5, 3, 2), (5, 5, 0), (5, 7, 0), (999, 0, 999)],
)
def test_need_is_what_brings_the_item_to_par(par: int, counted: int | None, expected: int) -> None:
    assert need(par, counted) == expected


def _line(name: str, par: int, counted: int | None) -> SessionLine:
    return SessionLine(uuid.uuid4(), name, None, None, None, par, 1, counted, False)


def test_pull_lines_keeps_counted_shortfalls_and_uncounted_only_when_asked() -> None:
    lines = [_line("short", 4, 1), _line("full", 4, 4), _line("new", 3, None), _line("zero", 2, 0)]
    assert [line.name for line in pull_lines(lines, include_uncounted=False)] == ["short", "zero"]
    assert [line.name for line in pull_lines(lines, include_uncounted=True)] == [
        "short",
        "new",
        "zero",
    ]


async def test_twenty_concurrent_starts_leave_exactly_one_open_session(
    client: httpx.AsyncClient,
    session: AsyncSession,
    store: Store,
    staff: User,
    as_staff: dict[str, str],
) -> None:
    await make_items(session, store, {}, {}, {})
    responses = await asyncio.gather(
        *(client.post(f"{SESSIONS}/start", json={}, headers=as_staff) for _ in range(20))
    )
    assert [response.status_code for response in responses] == [201] * 20
    started = {response.json()["session_id"] for response in responses}
    assert len(started) == 20

    rows = (
        (await session.execute(select(RTDESession).where(RTDESession.user_id == staff.id)))
        .scalars()
        .all()
    )
    pinned = await session.execute(
        select(RTDECount.session_id, func.count()).group_by(RTDECount.session_id)
    )
    events = await session.execute(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "rtde.session.started")
    )
    await session.commit()
    open_rows = [row for row in rows if row.status == "in_progress"]
    assert len(open_rows) == 1
    assert {str(row.id) for row in rows} == started
    assert sorted(row.status for row in rows) == ["expired"] * 19 + ["in_progress"]
    # Every session pinned the three items, the ended ones included.
    assert dict(pinned.all()) == {row.id: 3 for row in rows}
    assert events.scalar_one() == 20
    active = (await client.get(f"{SESSIONS}/active", headers=as_staff)).json()["session"]
    assert active["id"] == str(open_rows[0].id)
    assert (active["items_counted"], active["total_items"]) == (0, 3)


async def test_counts_racing_a_completion_never_land_after_it(
    client: httpx.AsyncClient, session: AsyncSession, store: Store, as_staff: dict[str, str]
) -> None:
    items = await make_items(session, store, *({"par_level": 9} for _ in range(5)))
    started = await client.post(f"{SESSIONS}/start", headers=as_staff)
    url = f"{SESSIONS}/{started.json()['session_id']}"
    counts = [
        client.put(
            f"{url}/count",
            json={"item_id": str(item.id), "counted_quantity": 4},
            headers=as_staff,
        )
        for item in items
    ]
    *counted, completed = await asyncio.gather(
        *counts, client.post(f"{url}/complete", headers=as_staff)
    )
    assert completed.status_code == 200
    accepted = sum(1 for response in counted if response.status_code == 200)
    refused = [response for response in counted if response.status_code != 200]
    assert {response.json()["code"] for response in refused} <= {"session_completed"}
    event = (
        await session.execute(
            select(AuditEvent).where(AuditEvent.action == "rtde.session.completed")
        )
    ).scalar_one()
    await session.commit()
    view = (await client.get(url, headers=as_staff)).json()
    stored = sum(1 for line in view["items"] if line["counted_quantity"] is not None)
    # What completion recorded is what the session holds: no count slipped in after it.
    assert stored == accepted == event.details["items_counted"]
