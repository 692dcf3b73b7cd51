"""`GET /api/audit`: the admin's search over their store's audit trail."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Role
from backroom.core.audit import AuditAction, AuditEvent
from backroom.core.config import Settings
from tests.factories import make_user
from tests.tools.activity.conftest import Crew, Member, tracking_added, write_event

BASE = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


async def _search(client: httpx.AsyncClient, member: Member, **params: Any) -> httpx.Response:
    return await client.get("/api/audit", params=params, headers=member.headers)


async def _ids(client: httpx.AsyncClient, member: Member, **params: Any) -> list[str]:
    response = await _search(client, member, **params)
    assert response.status_code == 200, response.text
    return [event["id"] for event in response.json()["events"]]


# --- Refusals ------------------------------------------------------------------------------


async def test_no_token_is_401(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/audit")).status_code == 401


async def test_staff_and_users_are_403(
    client: httpx.AsyncClient, crew_a: Crew, plain_user: Member
) -> None:
    for member in (crew_a.staff, plain_user):
        response = await _search(client, member)
        assert response.status_code == 403
        assert response.json()["code"] == "insufficient_role"


async def test_since_after_until_is_422(client: httpx.AsyncClient, crew_a: Crew) -> None:
    response = await _search(
        client, crew_a.admin, since="2026-11-21T00:00:00Z", until="2026-11-20T00:00:00Z"
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_time_range"
    assert body["errors"] == [{"field": "since", "message": "Must not be after until"}]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"actor_id": "not-a-uuid"}, "actor_id"),
        ({"since": "yesterday"}, "since"),
        ({"until": "1700000000"}, "until"),
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"action": "tracking.\x00"}, "action"),
        ({"q": "x" * 201}, "q"),
        ({"target_id": "t" * 65}, "target_id"),
    ],
)
async def test_bad_filters_are_422(
    client: httpx.AsyncClient, crew_a: Crew, params: dict[str, Any], field: str
) -> None:
    response = await _search(client, crew_a.admin, **params)
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == [field]


async def test_a_forged_or_foreign_cursor_is_422(
    client: httpx.AsyncClient, session: AsyncSession, crew_a: Crew
) -> None:
    for n in range(3):
        await tracking_added(session, crew_a, f"Item {n}", f"{n:04d}")
    page = (await _search(client, crew_a.admin, limit=1)).json()
    cursor = page["next_cursor"]
    assert cursor is not None
    for params in (
        {"cursor": "garbage"},
        {"cursor": ("B" if cursor[0] != "B" else "C") + cursor[1:]},  # an edited position
        {"cursor": cursor, "action": "tracking."},  # another query's cursor
    ):
        response = await _search(client, crew_a.admin, limit=1, **params)
        assert response.status_code == 422
        assert response.json()["code"] == "invalid_cursor"


# --- Isolation -------------------------------------------------------------------------------


async def test_another_stores_events_are_never_found(
    client: httpx.AsyncClient, session: AsyncSession, crew_a: Crew, crew_b: Crew
) -> None:
    theirs = await tracking_added(session, crew_b, "Vanilla Syrup", "0042")
    mine = await tracking_added(session, crew_a, "Vanilla Bean", "0043")
    task = await client.post(
        "/api/tasks", json={"title": "Vanilla order"}, headers=crew_a.admin.headers
    )
    assert task.status_code == 201

    assert await _ids(client, crew_a.admin) == [str(mine.id)]
    assert await _ids(client, crew_a.admin, q="vanilla") == [str(mine.id)]
    assert await _ids(client, crew_a.admin, target_id=theirs.target_id) == []
    assert await _ids(client, crew_a.admin, actor_id=str(crew_b.staff.user.id)) == []
    assert await _ids(client, crew_b.admin, q="vani") == [str(theirs.id)]


# --- The event ---------------------------------------------------------------------------------


async def test_an_event_carries_who_what_and_the_request(
    client: httpx.AsyncClient, crew_a: Crew
) -> None:
    created = await client.post(
        "/api/admin/users",
        json={"partner_number": "ANEW01", "name": "Ann New", "pin": "1357"},
        headers={
            **crew_a.admin.headers,
            "X-Request-ID": "req-create-ann",
            "X-Forwarded-For": "203.0.113.9",
        },
    )
    assert created.status_code == 201
    user_id = created.json()["user"]["id"]

    body = (await _search(client, crew_a.admin)).json()
    [event] = body["events"]
    assert body["next_cursor"] is None
    assert event.pop("at").endswith("Z")
    assert uuid.UUID(event.pop("id"))
    assert event == {
        "actor_id": str(crew_a.admin.user.id),
        "actor_name": "AdminA Boss",
        "action": "accounts.user.created",
        "target_type": "user",
        "target_id": user_id,
        "target_label": "Ann New",
        "details": {"role": "staff"},
        "request_id": "req-create-ann",
        "ip": "203.0.113.9",
    }


async def test_forwarded_for_from_an_untrusted_peer_is_not_believed(
    app: FastAPI, crew_a: Crew
) -> None:
    transport = httpx.ASGITransport(app=app, client=("198.51.100.2", 4321))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as peer:
        created = await peer.post(
            "/api/admin/users",
            json={"partner_number": "ANEW02", "name": "Bo New", "pin": "1357"},
            headers={**crew_a.admin.headers, "X-Forwarded-For": "203.0.113.9"},
        )
        assert created.status_code == 201
        request_id = created.headers["x-request-id"]
        [event] = (await peer.get("/api/audit", headers=crew_a.admin.headers)).json()["events"]
    assert (event["ip"], event["request_id"]) == ("198.51.100.2", request_id)


async def test_sign_ins_of_the_store_are_in_its_trail(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, crew_a: Crew
) -> None:
    staff = await make_user(
        session,
        role=Role.STAFF,
        store=crew_a.store,
        partner_number="SIGN01",
        pin="2468",
        settings=settings,
    )
    ok = await client.post("/api/auth/login", json={"partner_number": "SIGN01", "pin": "2468"})
    bad = await client.post("/api/auth/login", json={"partner_number": "SIGN01", "pin": "0000"})
    assert (ok.status_code, bad.status_code) == (200, 401)
    body = (await _search(client, crew_a.admin, action="auth.login.")).json()
    assert [(e["action"], e["target_id"]) for e in body["events"]] == [
        ("auth.login.failed", str(staff.id)),
        ("auth.login.succeeded", str(staff.id)),
    ]


# --- Filters ---------------------------------------------------------------------------------


@pytest.fixture
async def trail(session: AsyncSession, crew_a: Crew) -> dict[str, AuditEvent]:
    """A small trail of store A, one event a minute from BASE."""
    staff, admin = crew_a.staff.actor, crew_a.admin.actor
    item = uuid.uuid4()
    tracked = "tracking_item"
    rows: list[tuple[str, AuditAction, Any, str, Any, str | None, dict[str, Any]]] = [
        ("added", AuditAction.TRACKING_ITEM_ADDED, staff, tracked, item, "Vanilla Syrup",
         {"code": "0042", "category": "syrups", "name": "Vanilla Syrup"}),
        ("removed", AuditAction.TRACKING_ITEM_REMOVED, staff, tracked, item, "Vanilla Syrup",
         {"code": "0042", "category": "syrups", "name": "Vanilla Syrup"}),
        ("mocha", AuditAction.TRACKING_ITEM_ADDED, admin, tracked, uuid.uuid4(), "Mocha Sauce",
         {"code": "0100", "category": "sauces", "name": "Mocha Sauce"}),
        ("par", AuditAction.MILK_PAR_UPDATED, admin, "milk_par_level", uuid.uuid4(), "Oat Milk",
         {"activity_type": "milk_par_updated", "milk_type_name": "Oat Milk", "old": 4, "new": 6}),
        ("rtde", AuditAction.RTDE_ITEM_CREATED, admin, "rtde_item", uuid.uuid4(),
         "Vanilla Latte Can",
         {"activity_type": "rtde_item_created", "name": "Vanilla Latte Can", "par_level": 6}),
    ]  # fmt: skip
    events = {}
    for minute, (key, action, actor, target_type, target_id, label, details) in enumerate(rows):
        events[key] = await write_event(
            session,
            action,
            store=crew_a.store,
            actor=actor,
            target_type=target_type,
            target_id=target_id,
            target_label=label,
            details=details,
            at=BASE + dt.timedelta(minutes=minute),
        )
    return events


def _keys(trail: dict[str, AuditEvent], *names: str) -> list[str]:
    return [str(trail[name].id) for name in names]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["rtde", "par", "mocha", "removed", "added"]),
        ({"action": "tracking."}, ["mocha", "removed", "added"]),
        ({"action": "tracking.item.removed"}, ["removed"]),
        ({"action": "tracking.item.remove"}, ["removed"]),  # a prefix, not a word
        ({"action": "milk_count.par_level.updated"}, ["par"]),
        ({"action": "tracking_"}, []),  # `_` is a character, not a wildcard
        ({"target_type": "tracking_item"}, ["mocha", "removed", "added"]),
        ({"since": "2026-11-20T09:01:00Z"}, ["rtde", "par", "mocha", "removed"]),
        ({"until": "2026-11-20T09:01:00Z"}, ["added"]),  # until is excluded
        ({"since": "2026-11-20T09:01:00Z", "until": "2026-11-20T09:03:00Z"}, ["mocha", "removed"]),
        ({"since": "2026-11-20T01:01:00-08:00"}, ["rtde", "par", "mocha", "removed"]),
        ({"since": "2026-11-20", "until": "2026-11-21"},
         ["rtde", "par", "mocha", "removed", "added"]),
        ({"since": "2026-11-21T09:00:00Z", "until": "2026-11-21T09:00:00Z"}, []),
    ],
)  # fmt: skip
async def test_each_filter(
    client: httpx.AsyncClient,
    crew_a: Crew,
    trail: dict[str, AuditEvent],
    params: dict[str, Any],
    expected: list[str],
) -> None:
    assert await _ids(client, crew_a.admin, **params) == _keys(trail, *expected)


async def test_actor_and_target_filters(
    client: httpx.AsyncClient, crew_a: Crew, trail: dict[str, AuditEvent]
) -> None:
    staff_id, admin_id = str(crew_a.staff.user.id), str(crew_a.admin.user.id)
    assert await _ids(client, crew_a.admin, actor_id=staff_id) == _keys(trail, "removed", "added")
    assert await _ids(client, crew_a.admin, actor_id=admin_id) == _keys(
        trail, "rtde", "par", "mocha"
    )
    item = trail["added"].target_id
    assert await _ids(client, crew_a.admin, target_id=item) == _keys(trail, "removed", "added")
    assert await _ids(client, crew_a.admin, actor_id=str(uuid.uuid4())) == []


async def test_filters_combine(
    client: httpx.AsyncClient, crew_a: Crew, trail: dict[str, AuditEvent]
) -> None:
    admin_id = str(crew_a.admin.user.id)
    assert await _ids(client, crew_a.admin, q="vani", action="tracking.") == _keys(
        trail, "removed", "added"
    )
    assert await _ids(client, crew_a.admin, q="vani", actor_id=admin_id) == _keys(trail, "rtde")
    assert await _ids(
        client,
        crew_a.admin,
        q="vanilla",
        target_type="tracking_item",
        since="2026-11-20T09:01:00Z",
        action="tracking.item",
    ) == _keys(trail, "removed")
    assert await _ids(client, crew_a.admin, q="mocha", action="milk_count.") == []


# --- Full text ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("vani", ["rtde", "removed", "added"]),  # a partial word is a prefix
        ("VANI", ["rtde", "removed", "added"]),
        ("Vanilla Syrup", ["removed", "added"]),  # every word must match
        ("syr", ["removed", "added"]),
        ("0042", ["removed", "added"]),  # a detail value
        ("sauces", ["mocha"]),
        ("staffa", ["removed", "added"]),  # the actor's name
        ("oat", ["par"]),
        ("vanilla -syrup", ["rtde"]),
        ("-vanilla", ["par", "mocha"]),  # only what to leave out
        ("mocha or oat", ["par", "mocha"]),
        ('"latte can"', ["rtde"]),
        ('"can latte"', []),  # a quoted phrase keeps its order
        ("code", []),  # detail keys are not searched
        ("nothing-like-it", []),
        ("!!!", []),  # no words: nothing matches
    ],
)
async def test_full_text(
    client: httpx.AsyncClient,
    crew_a: Crew,
    trail: dict[str, AuditEvent],
    q: str,
    expected: list[str],
) -> None:
    assert await _ids(client, crew_a.admin, q=q) == _keys(trail, *expected)


async def test_blank_q_is_no_filter(
    client: httpx.AsyncClient, crew_a: Crew, trail: dict[str, AuditEvent]
) -> None:
    assert len(await _ids(client, crew_a.admin, q="   ")) == len(trail)


# --- Paging ------------------------------------------------------------------------------


async def test_cursor_paging_visits_every_event_once_while_events_are_added(
    client: httpx.AsyncClient, session: AsyncSession, crew_a: Crew
) -> None:
    # Two events share each instant, so the id must break the ties.
    original = [
        await tracking_added(
            session, crew_a, f"Item {n}", f"{n:04d}", at=BASE + dt.timedelta(minutes=n // 2)
        )
        for n in range(23)
    ]
    expected = sorted(original, key=lambda event: (event.at, event.id), reverse=True)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 5, "action": "tracking."}
        if cursor:
            params["cursor"] = cursor
        body = (await _search(client, crew_a.admin, **params)).json()
        seen.extend(event["id"] for event in body["events"])
        pages += 1
        # Writes between pages: newer events, and one at an instant already passed.
        await tracking_added(
            session, crew_a, f"Late {pages}", "9999", at=BASE + dt.timedelta(days=1)
        )
        await tracking_added(session, crew_a, f"Tied {pages}", "9998", at=BASE)
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen))
    originals = [event_id for event_id in seen if event_id in {str(e.id) for e in original}]
    assert originals == [str(event.id) for event in expected]
    assert pages >= 5


async def test_default_page_is_fifty(
    client: httpx.AsyncClient, session: AsyncSession, crew_a: Crew
) -> None:
    for n in range(51):
        await tracking_added(session, crew_a, f"Item {n}", f"{n:04d}")
    first = (await _search(client, crew_a.admin)).json()
    assert len(first["events"]) == 50
    rest = (await _search(client, crew_a.admin, cursor=first["next_cursor"])).json()
    assert len(rest["events"]) == 1
    assert rest["next_cursor"] is None
