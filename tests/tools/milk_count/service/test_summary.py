"""The order summary over HTTP: the worked example, direct deliveries, the clamp at 0 and
the par captured at completion."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from backroom.core.clock import FixedClock
from tests.tools.milk_count.factories import (
    BASE,
    active_types,
    lines,
    save,
    set_par,
    start,
    valid_body,
    walk_to,
)


async def _summary(client: httpx.AsyncClient, headers: dict[str, str], sid: str) -> dict[str, Any]:
    response = await client.get(f"{BASE}/sessions/{sid}/summary", headers=headers)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def _line(summary: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(line for line in summary["summary"] if line["milk_type"] == name)
    return found


async def _count(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    types: list[dict[str, Any]],
    *,
    foh: dict[str, int],
    boh: dict[str, int],
    morning: dict[str, dict[str, Any]],
    on_order: dict[str, int],
) -> str:
    """A whole cycle; milk types not named are counted as 0 (morning: BOH count 0)."""
    sid: str = (await start(client, headers))["id"]

    def values(given: dict[str, int]) -> list[int]:
        return [given.get(t["name"], 0) for t in types]

    morning_body = valid_body("morning", types)
    for item, milk_type in zip(morning_body["counts"], types, strict=True):
        if milk_type["name"] in morning:
            item.clear()
            item.update({"milk_type_id": milk_type["id"], **morning[milk_type["name"]]})
    for phase, body in [
        ("night_foh", {"counts": lines(types, "foh_count", values(foh))}),
        ("night_boh", {"counts": lines(types, "boh_count", values(boh))}),
        ("morning", morning_body),
        ("on_order", {"on_orders": lines(types, "on_order", values(on_order))}),
    ]:
        response = await save(client, headers, sid, phase, body)
        assert response.status_code == 200, response.text
    return sid


async def test_the_worked_example(
    client: httpx.AsyncClient,
    clock: FixedClock,
    as_staff: dict[str, str],
    as_admin: dict[str, str],
) -> None:
    """FOH 10, BOH 20; morning BOH 30 -> delivered 10; on order 5; par 50 -> total 40, order 5."""
    types = await active_types(client, as_staff)
    whole = next(t for t in types if t["name"] == "Whole")
    await set_par(client, as_admin, whole["id"], 50)

    sid = await _count(
        client, as_staff, types,
        foh={"Whole": 10}, boh={"Whole": 20},
        morning={"Whole": {"method": "boh_count", "current_boh": 30}},
        on_order={"Whole": 5},
    )  # fmt: skip

    summary = await _summary(client, as_staff, sid)
    assert _line(summary, "Whole") == {
        "milk_type_id": whole["id"],
        "milk_type": "Whole",
        "category": "dairy",
        "foh": 10,
        "boh": 20,
        "delivered": 10,
        "on_order": 5,
        "total": 40,
        "par": 50,
        "order": 5,
    }
    assert [line["milk_type"] for line in summary["summary"]] == [t["name"] for t in types]
    assert summary["totals"] == {
        "total_foh": 10,
        "total_boh": 20,
        "total_delivered": 10,
        "total_on_order": 5,
        "total_inventory": 40,
        "total_order": 5,
    }
    assert summary["session"]["status"] == "completed"
    assert summary["session"]["completed_at"] == "2026-11-26T06:00:00Z"
    entry = next(
        e
        for e in (await client.get(f"{BASE}/sessions/{sid}", headers=as_staff)).json()["entries"]
        if e["milk_type_id"] == whole["id"]
    )
    assert (entry["morning_method"], entry["current_boh"], entry["delivered"]) == (
        "boh_count",
        30,
        10,
    )
    assert entry["par"] == 50


async def test_direct_delivered_stores_the_delivery_and_clears_current_boh(
    client: httpx.AsyncClient,
    clock: FixedClock,
    as_staff: dict[str, str],
    as_admin: dict[str, str],
) -> None:
    types = await active_types(client, as_staff)
    oat = next(t for t in types if t["name"] == "Oat")
    await set_par(client, as_admin, oat["id"], 30)

    sid = await _count(
        client, as_staff, types,
        foh={"Oat": 4}, boh={"Oat": 6},
        morning={"Oat": {"method": "direct_delivered", "delivered": 12, "current_boh": 99}},
        on_order={"Oat": 2},
    )  # fmt: skip

    entry = next(
        e
        for e in (await client.get(f"{BASE}/sessions/{sid}", headers=as_staff)).json()["entries"]
        if e["milk_type_id"] == oat["id"]
    )
    assert (entry["morning_method"], entry["current_boh"], entry["delivered"]) == (
        "direct_delivered",
        None,
        12,
    )
    line = _line(await _summary(client, as_staff, sid), "Oat")
    assert (line["total"], line["order"]) == (4 + 6 + 12, 30 - 22 - 2)


@pytest.mark.parametrize(
    ("par", "counts", "on_order", "order"),
    [
        (10, (10, 20, 10), 0, 0),  # far above par
        (40, (10, 20, 10), 0, 0),  # exactly at par
        (45, (10, 20, 10), 9, 0),  # on order covers more than the gap
        (45, (10, 20, 10), 4, 1),
    ],
)
async def test_the_order_is_never_below_zero(
    *,
    client: httpx.AsyncClient,
    clock: FixedClock,
    as_staff: dict[str, str],
    as_admin: dict[str, str],
    par: int,
    counts: tuple[int, int, int],
    on_order: int,
    order: int,
) -> None:
    types = await active_types(client, as_staff)
    soy = next(t for t in types if t["name"] == "Soy")
    await set_par(client, as_admin, soy["id"], par)
    foh, boh, delivered = counts

    sid = await _count(
        client, as_staff, types,
        foh={"Soy": foh}, boh={"Soy": boh},
        morning={"Soy": {"method": "boh_count", "current_boh": boh + delivered}},
        on_order={"Soy": on_order},
    )  # fmt: skip

    summary = await _summary(client, as_staff, sid)
    assert _line(summary, "Soy")["order"] == order
    assert summary["totals"]["total_order"] == order


async def test_fewer_in_the_back_in_the_morning_than_at_night_is_no_delivery(
    client: httpx.AsyncClient, clock: FixedClock, as_staff: dict[str, str]
) -> None:
    types = await active_types(client, as_staff)
    sid = await _count(
        client, as_staff, types,
        foh={}, boh={"Almond": 8},
        morning={"Almond": {"method": "boh_count", "current_boh": 5}},
        on_order={},
    )  # fmt: skip
    assert _line(await _summary(client, as_staff, sid), "Almond")["delivered"] == 0


async def test_a_par_change_after_completion_leaves_the_summary_unchanged(
    client: httpx.AsyncClient,
    clock: FixedClock,
    as_staff: dict[str, str],
    as_admin: dict[str, str],
) -> None:
    types = await active_types(client, as_staff)
    whole = next(t for t in types if t["name"] == "Whole")
    await set_par(client, as_admin, whole["id"], 50)
    sid = await _count(
        client, as_staff, types,
        foh={"Whole": 10}, boh={"Whole": 20},
        morning={"Whole": {"method": "boh_count", "current_boh": 30}},
        on_order={"Whole": 5},
    )  # fmt: skip
    before = await _summary(client, as_staff, sid)

    await set_par(client, as_admin, whole["id"], 80)

    assert await _summary(client, as_staff, sid) == before
    assert _line(before, "Whole")["par"] == 50


async def test_an_unfinished_session_uses_the_live_par(
    client: httpx.AsyncClient,
    clock: FixedClock,
    as_staff: dict[str, str],
    as_admin: dict[str, str],
) -> None:
    types = await active_types(client, as_staff)
    coconut = next(t for t in types if t["name"] == "Coconut")
    sid = (await start(client, as_staff))["id"]
    await save(client, as_staff, sid, "night_foh", {"counts": lines(types, "foh_count", 3)})
    assert _line(await _summary(client, as_staff, sid), "Coconut")["order"] == 0

    await set_par(client, as_admin, coconut["id"], 12)

    line = _line(await _summary(client, as_staff, sid), "Coconut")
    assert (line["foh"], line["boh"], line["delivered"], line["par"], line["order"]) == (
        3,
        0,
        0,
        12,
        9,
    )


async def test_a_fresh_session_sums_to_zero(
    client: httpx.AsyncClient, clock: FixedClock, as_staff: dict[str, str]
) -> None:
    types = await active_types(client, as_staff)
    sid = (await start(client, as_staff))["id"]
    summary = await _summary(client, as_staff, sid)
    assert len(summary["summary"]) == len(types)
    assert set(summary["totals"].values()) == {0}
    assert {line["order"] for line in summary["summary"]} == {0}


async def test_reopening_a_completed_session_uses_the_live_par_until_it_completes_again(
    client: httpx.AsyncClient,
    clock: FixedClock,
    as_staff: dict[str, str],
    as_admin: dict[str, str],
) -> None:
    types = await active_types(client, as_staff)
    whole = next(t for t in types if t["name"] == "Whole")
    await set_par(client, as_admin, whole["id"], 20)
    sid = (await start(client, as_staff))["id"]
    await walk_to(client, as_staff, sid, "completed", types)
    await set_par(client, as_admin, whole["id"], 30)
    assert _line(await _summary(client, as_staff, sid), "Whole")["order"] == 20

    reopened = await client.put(
        f"{BASE}/sessions/{sid}/reopen", json={"phase": "on_order"}, headers=as_admin
    )
    assert reopened.status_code == 200
    assert _line(await _summary(client, as_staff, sid), "Whole")["order"] == 30

    await save(client, as_staff, sid, "on_order", valid_body("on_order", types))
    await set_par(client, as_admin, whole["id"], 40)
    assert _line(await _summary(client, as_staff, sid), "Whole")["order"] == 30
