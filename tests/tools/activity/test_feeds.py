"""The dashboard feed (`/api/activity/recent`) and the admin feed (`/api/admin/activity`)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.core.audit import AuditAction
from tests.tools.activity.conftest import Crew, Member, tracking_added, write_event

BASE = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


def _z(instant: dt.datetime) -> str:
    return instant.isoformat().replace("+00:00", "Z")


# --- Who may read ----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/activity/recent", "/api/admin/activity"])
async def test_no_token_is_401(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("path", ["/api/activity/recent", "/api/admin/activity"])
async def test_a_user_without_a_store_is_403(
    client: httpx.AsyncClient, plain_user: Member, path: str
) -> None:
    response = await client.get(path, headers=plain_user.headers)
    assert response.status_code == 403
    assert response.json()["code"] == "insufficient_role"


async def test_staff_may_not_read_the_admin_feed(client: httpx.AsyncClient, crew_a: Crew) -> None:
    response = await client.get("/api/admin/activity", headers=crew_a.staff.headers)
    assert response.status_code == 403
    assert response.json()["code"] == "insufficient_role"


@pytest.mark.parametrize(
    ("path", "limit"),
    [
        ("/api/activity/recent", 21),
        ("/api/activity/recent", 0),
        ("/api/admin/activity", 31),
        ("/api/admin/activity", -1),
        ("/api/admin/activity", "ten"),
    ],
)
async def test_limit_out_of_range_is_422(
    client: httpx.AsyncClient, crew_a: Crew, path: str, limit: Any
) -> None:
    response = await client.get(path, params={"limit": limit}, headers=crew_a.admin.headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "limit"


# --- Isolation ---------------------------------------------------------------------------


async def test_another_stores_events_never_show(
    client: httpx.AsyncClient, session: AsyncSession, crew_a: Crew, crew_b: Crew
) -> None:
    await tracking_added(session, crew_b, "Hazelnut Syrup", "0007")
    await client.post(
        "/api/admin/users",
        json={"partner_number": "BNEW01", "name": "Bea New", "pin": "2468"},
        headers=crew_b.admin.headers,
    )
    mine = await tracking_added(session, crew_a, "Vanilla Syrup", "0042")

    dashboard = (await client.get("/api/activity/recent", headers=crew_a.staff.headers)).json()
    admin = (await client.get("/api/admin/activity", headers=crew_a.admin.headers)).json()

    assert [item["id"] for item in dashboard["activities"]] == [str(mine.id)]
    assert admin == {"activities": [], "count": 0}
    # Store B sees its own, in the same feeds.
    theirs = (await client.get("/api/admin/activity", headers=crew_b.admin.headers)).json()
    assert [item["title"] for item in theirs["activities"]] == ["Created user Bea New"]


async def test_task_events_never_reach_a_store_feed(
    client: httpx.AsyncClient, session: AsyncSession, crew_a: Crew
) -> None:
    created = await client.post(
        "/api/tasks", json={"title": "Order lids"}, headers=crew_a.staff.headers
    )
    assert created.status_code == 201
    # Even a private event that carries a store id and a feed action stays private.
    await write_event(
        session,
        AuditAction.TRACKING_ITEM_ADDED,
        store=crew_a.store,
        actor=crew_a.staff.actor,
        target_type="tracking_item",
        target_label="Secret",
        details={"code": "0001", "category": "other", "name": "Secret"},
        owner_id=crew_a.staff.user.id,
    )
    for member, path in (
        (crew_a.staff, "/api/activity/recent"),
        (crew_a.admin, "/api/admin/activity"),
    ):
        body = (await client.get(path, headers=member.headers)).json()
        assert body == {"activities": [], "count": 0}


# --- The dashboard feed ----------------------------------------------------------------

# (action, target_type, target_label, details) -> (type, tool, title, description), as
# each store tool writes its events (docs/audit-events.md).
DASHBOARD_CASES = [
    (
        AuditAction.TRACKING_ITEM_ADDED,
        "tracking_item",
        "Vanilla Syrup",
        {"code": "0042", "category": "syrups", "name": "Vanilla Syrup"},
        ("inventory_add", "inventory", "Added Vanilla Syrup", "Code 0042 · syrups"),
    ),
    (
        AuditAction.TRACKING_ITEM_REMOVED,
        "tracking_item",
        "Dark Roast",
        {"code": "0913", "category": "coffee_beans", "name": "Dark Roast"},
        ("inventory_remove", "inventory", "Removed Dark Roast", "Code 0913 · coffee beans"),
    ),
    (
        AuditAction.TRACKING_ITEM_RESTORED,
        "tracking_item",
        "Dark Roast",
        {"code": "0913", "category": "coffee_beans", "name": "Dark Roast"},
        ("inventory_restore", "inventory", "Restored Dark Roast", "Code 0913 · coffee beans"),
    ),
    (
        AuditAction.MILK_NIGHT_FOH_SAVED,
        "milk_session",
        "2026-11-19",
        {"activity_type": "milk_order_foh", "date": "2026-11-19", "status": "night_boh"},
        ("milk_order_foh", "milk-count", "Night FOH count saved", "Milk count of 2026-11-19"),
    ),
    (
        AuditAction.MILK_NIGHT_BOH_SAVED,
        "milk_session",
        "2026-11-19",
        {"activity_type": "milk_order_boh", "date": "2026-11-19", "status": "morning"},
        ("milk_order_boh", "milk-count", "Night BOH count saved", "Milk count of 2026-11-19"),
    ),
    (
        AuditAction.MILK_MORNING_SAVED,
        "milk_session",
        "2026-11-19",
        {"activity_type": "milk_order_morning", "date": "2026-11-19", "status": "on_order"},
        ("milk_order_morning", "milk-count", "Morning count saved", "Milk count of 2026-11-19"),
    ),
    (
        AuditAction.MILK_SESSION_COMPLETED,
        "milk_session",
        "2026-11-19",
        {
            "activity_type": "milk_order_completed",
            "date": "2026-11-19",
            "status": "completed",
            "total_order": 14,
        },
        (
            "milk_order_completed",
            "milk-count",
            "Milk order completed",
            "Milk count of 2026-11-19 · 14 to order",
        ),
    ),
    (
        AuditAction.RTDE_SESSION_COMPLETED,
        "rtde_session",
        None,
        {"activity_type": "rtde_completed", "items_counted": 12, "items_pulled": 5},
        ("rtde_completed", "rtde", "RTD&E pull completed", "12 counted · 5 pulled"),
    ),
]


@pytest.mark.parametrize(
    ("action", "target_type", "label", "details", "expected"),
    DASHBOARD_CASES,
    ids=[case[0].value for case in DASHBOARD_CASES],
)
async def test_each_store_tool_event_reads_as_the_app_expects(
    *,
    client: httpx.AsyncClient,
    session: AsyncSession,
    crew_a: Crew,
    action: AuditAction,
    target_type: str,
    label: str | None,
    details: dict[str, Any],
    expected: tuple[str, str, str, str],
) -> None:
    event = await write_event(
        session,
        action,
        store=crew_a.store,
        actor=crew_a.staff.actor,
        target_type=target_type,
        target_id=uuid.uuid4(),
        target_label=label,
        details=details,
        at=BASE,
    )
    response = await client.get("/api/activity/recent", headers=crew_a.staff.headers)
    assert response.status_code == 200
    kind, tool, title, description = expected
    assert response.json() == {
        "activities": [
            {
                "id": str(event.id),
                "type": kind,
                "title": title,
                "description": description,
                "user_name": "StaffA Hand",
                "timestamp": "2026-11-20T09:00:00Z",
                "tool": tool,
            }
        ],
        "count": 1,
    }


async def test_dashboard_is_newest_first_eight_by_default_at_most_twenty(
    client: httpx.AsyncClient, session: AsyncSession, crew_a: Crew
) -> None:
    events = [
        await tracking_added(
            session, crew_a, f"Item {n}", f"{n:04d}", at=BASE + dt.timedelta(minutes=n)
        )
        for n in range(25)
    ]
    newest_first = [str(event.id) for event in reversed(events)]

    default = (await client.get("/api/activity/recent", headers=crew_a.staff.headers)).json()
    assert [item["id"] for item in default["activities"]] == newest_first[:8]
    assert default["count"] == 8
    most = await client.get(
        "/api/activity/recent", params={"limit": 20}, headers=crew_a.admin.headers
    )
    assert [item["id"] for item in most.json()["activities"]] == newest_first[:20]
    assert most.json()["activities"][0]["timestamp"] == _z(BASE + dt.timedelta(minutes=24))


async def test_dashboard_leaves_out_admin_and_sign_in_events(
    client: httpx.AsyncClient, session: AsyncSession, crew_a: Crew
) -> None:
    await client.post(
        "/api/admin/users",
        json={"partner_number": "ANEW01", "name": "Ann New", "pin": "1357"},
        headers=crew_a.admin.headers,
    )
    await write_event(
        session,
        AuditAction.MILK_PAR_UPDATED,
        store=crew_a.store,
        actor=crew_a.admin.actor,
        target_type="milk_par_level",
        target_label="Oat",
        details={"activity_type": "milk_par_updated", "milk_type_name": "Oat", "old": 4, "new": 6},
    )
    body = (await client.get("/api/activity/recent", headers=crew_a.staff.headers)).json()
    assert body == {"activities": [], "count": 0}


async def test_the_name_is_the_one_at_the_time_of_the_event(
    client: httpx.AsyncClient, session: AsyncSession, crew_a: Crew
) -> None:
    await tracking_added(session, crew_a, "Vanilla Syrup", "0042")
    renamed = await client.patch(
        "/api/auth/me", json={"first_name": "Renamed"}, headers=crew_a.staff.headers
    )
    assert renamed.status_code == 200
    body = (await client.get("/api/activity/recent", headers=crew_a.staff.headers)).json()
    assert body["activities"][0]["user_name"] == "StaffA Hand"


async def test_an_event_missing_details_still_reads(
    client: httpx.AsyncClient, session: AsyncSession, crew_a: Crew
) -> None:
    await write_event(
        session,
        AuditAction.TRACKING_ITEM_REMOVED,
        store=crew_a.store,
        actor=None,
        target_type="tracking_item",
        details={},
    )
    [item] = (await client.get("/api/activity/recent", headers=crew_a.staff.headers)).json()[
        "activities"
    ]
    assert (item["title"], item["description"], item["user_name"]) == (
        "Removed an item",
        "",
        "System",
    )


# --- The admin feed ----------------------------------------------------------------------


async def test_admin_feed_tells_user_changes_made_through_the_api(
    client: httpx.AsyncClient, crew_a: Crew
) -> None:
    created = await client.post(
        "/api/admin/users",
        json={"partner_number": "ANEW01", "name": "Ann New", "pin": "1357"},
        headers=crew_a.admin.headers,
    )
    assert created.status_code == 201
    user_id = created.json()["user"]["id"]
    deleted = await client.delete(f"/api/admin/users/{user_id}", headers=crew_a.admin.headers)
    assert deleted.status_code == 200

    body = (await client.get("/api/admin/activity", headers=crew_a.admin.headers)).json()
    assert [
        (item["type"], item["title"], item["description"], item["admin_name"])
        for item in body["activities"]
    ] == [
        ("user_deleted", "Deleted user Ann New", "", "AdminA Boss"),
        ("user_created", "Created user Ann New", "Role: staff", "AdminA Boss"),
    ]
    assert body["count"] == 2
    assert set(body["activities"][0]) == {
        "id",
        "type",
        "title",
        "description",
        "admin_name",
        "timestamp",
    }
    assert body["activities"][0]["timestamp"].endswith("Z")


ADMIN_CASES = [
    (
        AuditAction.MILK_PAR_UPDATED,
        "milk_par_level",
        "Oat",
        {
            "activity_type": "milk_par_updated",
            "milk_type_id": "x",
            "milk_type_name": "Oat",
            "old": 4,
            "new": 6,
        },
        ("milk_par_updated", "Par level for Oat", "4 → 6"),
    ),
    (
        AuditAction.MILK_PAR_UPDATED,
        "milk_par_level",
        "Soy",
        {"activity_type": "milk_par_updated", "milk_type_name": "Soy", "old": None, "new": 3},
        ("milk_par_updated", "Par level for Soy", "Set to 3"),
    ),
    (
        AuditAction.RTDE_ITEM_CREATED,
        "rtde_item",
        "Cold Brew",
        {"activity_type": "rtde_item_created", "name": "Cold Brew", "par_level": 6},
        ("rtde_item_created", "Added RTD&E item Cold Brew", "Par 6"),
    ),
    (
        AuditAction.RTDE_ITEM_UPDATED,
        "rtde_item",
        "Cold Brew",
        {
            "activity_type": "rtde_item_updated",
            "name": "Cold Brew",
            "changes": {"par_level": [6, 8], "brand": [None, "Acme"]},
        },
        ("rtde_item_updated", "Updated RTD&E item Cold Brew", "Changed brand, par level"),
    ),
    (
        AuditAction.RTDE_ITEM_DELETED,
        "rtde_item",
        "Cold Brew",
        {"activity_type": "rtde_item_deleted", "name": "Cold Brew", "deleted_permanently": True},
        ("rtde_item_deleted", "Removed RTD&E item Cold Brew", "Deleted for good"),
    ),
    (
        AuditAction.RTDE_ITEM_DEACTIVATED,
        "rtde_item",
        "Cold Brew",
        {"activity_type": "rtde_item_deleted", "name": "Cold Brew", "deleted_permanently": False},
        (
            "rtde_item_deleted",
            "Removed RTD&E item Cold Brew",
            "Deactivated: it appears in past sessions",
        ),
    ),
]


@pytest.mark.parametrize(
    ("action", "target_type", "label", "details", "expected"),
    ADMIN_CASES,
    ids=[f"{case[0].value}-{case[2]}" for case in ADMIN_CASES],
)
async def test_each_admin_change_reads_as_the_app_expects(
    *,
    client: httpx.AsyncClient,
    session: AsyncSession,
    crew_a: Crew,
    action: AuditAction,
    target_type: str,
    label: str,
    details: dict[str, Any],
    expected: tuple[str, str, str],
) -> None:
    event = await write_event(
        session,
        action,
        store=crew_a.store,
        actor=crew_a.admin.actor,
        target_type=target_type,
        target_id=uuid.uuid4(),
        target_label=label,
        details=details,
        at=BASE,
    )
    body = (await client.get("/api/admin/activity", headers=crew_a.admin.headers)).json()
    kind, title, description = expected
    assert body == {
        "activities": [
            {
                "id": str(event.id),
                "type": kind,
                "title": title,
                "description": description,
                "admin_name": "AdminA Boss",
                "timestamp": "2026-11-20T09:00:00Z",
            }
        ],
        "count": 1,
    }


async def test_admin_feed_is_ten_by_default_at_most_thirty(
    client: httpx.AsyncClient, session: AsyncSession, crew_a: Crew
) -> None:
    events = [
        await write_event(
            session,
            AuditAction.RTDE_ITEM_CREATED,
            store=crew_a.store,
            actor=crew_a.admin.actor,
            target_type="rtde_item",
            target_label=f"Item {n}",
            details={"name": f"Item {n}", "par_level": n + 1},
            at=BASE + dt.timedelta(seconds=n),
        )
        for n in range(35)
    ]
    newest_first = [str(event.id) for event in reversed(events)]
    default = (await client.get("/api/admin/activity", headers=crew_a.admin.headers)).json()
    assert [item["id"] for item in default["activities"]] == newest_first[:10]
    most = await client.get(
        "/api/admin/activity", params={"limit": 30}, headers=crew_a.admin.headers
    )
    assert [item["id"] for item in most.json()["activities"]] == newest_first[:30]
