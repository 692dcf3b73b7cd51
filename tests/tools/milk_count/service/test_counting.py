"""The four phase saves over HTTP: the phase machine, whole-payload validation, races,
what each phase writes, and a cost that does not grow with the number of milk types."""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from backroom.accounts.authentication import Principal
from backroom.accounts.deps import StoreCaller
from backroom.accounts.models import Role, Store, User
from backroom.core.clock import FixedClock
from backroom.tools.milk_count.errors import WrongPhase
from backroom.tools.milk_count.repository import SessionRepository
from backroom.tools.milk_count.schemas import FohLine
from backroom.tools.milk_count.service import counting
from tests.tools.milk_count.factories import (
    BASE,
    StatementCounter,
    active_types,
    audit_events,
    lines,
    morning_lines,
    save,
    start,
    valid_body,
    walk_to,
)

PHASES = ["night_foh", "night_boh", "morning", "on_order"]
STATUSES = [*PHASES, "completed"]


async def _detail(client: httpx.AsyncClient, headers: dict[str, str], sid: str) -> dict[str, Any]:
    response = await client.get(f"{BASE}/sessions/{sid}", headers=headers)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


# --- Wrong phase --------------------------------------------------------------------------


@pytest.mark.parametrize("status", STATUSES)
async def test_a_save_outside_its_phase_is_409_naming_the_current_phase(
    client: httpx.AsyncClient,
    app: FastAPI,
    clock: FixedClock,
    as_staff: dict[str, str],
    status: str,
) -> None:
    types = await active_types(client, as_staff)
    sid = (await start(client, as_staff))["id"]
    await walk_to(client, as_staff, sid, status, types)
    before = await _detail(client, as_staff, sid)
    events = len(await audit_events(app))

    for phase in PHASES:
        if phase == status:
            continue
        response = await save(client, as_staff, sid, phase, valid_body(phase, types))
        assert response.status_code == 409, phase
        body = response.json()
        assert body["code"] == "wrong_phase"
        assert body["current_phase"] == status
        assert status in body["error"]
        assert body["error"] == body["detail"]

    assert await _detail(client, as_staff, sid) == before
    assert len(await audit_events(app)) == events


# --- Whole-payload validation --------------------------------------------------------------


def _mutations() -> list[tuple[str, str, Any]]:
    """(phase, description, how to spoil a valid body) for every way a payload is wrong."""

    def set_value(field: str, value: Any) -> Any:
        def spoil(body: dict[str, Any], _types: list[dict[str, Any]]) -> None:
            body[next(iter(body))][0][field] = value

        return spoil

    def drop_first(body: dict[str, Any], _types: list[dict[str, Any]]) -> None:
        body[next(iter(body))].pop(0)

    def duplicate(body: dict[str, Any], _types: list[dict[str, Any]]) -> None:
        items = body[next(iter(body))]
        items.append(copy.deepcopy(items[0]))

    def twice_instead(body: dict[str, Any], _types: list[dict[str, Any]]) -> None:
        items = body[next(iter(body))]
        items[1]["milk_type_id"] = items[0]["milk_type_id"]

    def empty(body: dict[str, Any], _types: list[dict[str, Any]]) -> None:
        body[next(iter(body))] = []

    def extra_top(body: dict[str, Any], _types: list[dict[str, Any]]) -> None:
        body["note"] = "x"

    def not_a_list(body: dict[str, Any], _types: list[dict[str, Any]]) -> None:
        body[next(iter(body))] = {"a": 1}

    def renamed(body: dict[str, Any], _types: list[dict[str, Any]]) -> None:
        key = next(iter(body))
        body["items"] = body.pop(key)

    def count_field(phase: str) -> str:
        return {"night_foh": "foh_count", "night_boh": "boh_count", "on_order": "on_order"}.get(
            phase, "current_boh"
        )

    cases: list[tuple[str, str, Any]] = []
    for phase in PHASES:
        field = count_field(phase)
        cases += [
            (phase, "a milk type missing", drop_first),
            (phase, "a milk type twice", duplicate),
            (phase, "a milk type twice, another missing", twice_instead),
            (phase, "no lines", empty),
            (phase, "an unknown milk type", set_value("milk_type_id", str(uuid.uuid4()))),
            (phase, "a malformed milk type id", set_value("milk_type_id", "oat")),
            (phase, "a boolean count", set_value(field, True)),
            (phase, "a fractional count", set_value(field, 1.5)),
            (phase, "a count as text", set_value(field, "3")),
            (phase, "a negative count", set_value(field, -1)),
            (phase, "a count over 9999", set_value(field, 10_000)),
            (phase, "a null count", set_value(field, None)),
            (phase, "an unknown key in a line", set_value("note", "x")),
            (phase, "an unknown top-level key", extra_top),
            (phase, "lines that are not a list", not_a_list),
            (phase, "the lines under another name", renamed),
        ]
    cases += [
        ("morning", "no method", set_value("method", None)),
        ("morning", "an unknown method", set_value("method", "guess")),
        ("morning", "boh_count without current_boh", set_value("current_boh", None)),
        ("morning", "a boolean delivered", set_value("delivered", True)),
    ]
    return cases


def _direct_without_delivered(body: dict[str, Any], _types: list[dict[str, Any]]) -> None:
    body["counts"][0] = {
        "milk_type_id": body["counts"][0]["milk_type_id"],
        "method": "direct_delivered",
    }


MUTATIONS = [
    *_mutations(),
    ("morning", "direct_delivered without delivered", _direct_without_delivered),
]


@pytest.mark.parametrize(
    ("phase", "spoil"),
    [pytest.param(phase, spoil, id=f"{phase}: {what}") for phase, what, spoil in MUTATIONS],
)
async def test_an_invalid_payload_is_422_and_saves_nothing(
    *,
    client: httpx.AsyncClient,
    app: FastAPI,
    clock: FixedClock,
    as_staff: dict[str, str],
    phase: str,
    spoil: Any,
) -> None:
    types = await active_types(client, as_staff)
    sid = (await start(client, as_staff))["id"]
    await walk_to(client, as_staff, sid, phase, types)
    before = await _detail(client, as_staff, sid)
    events = len(await audit_events(app))

    body = valid_body(phase, types)
    spoil(body, types)
    response = await save(client, as_staff, sid, phase, body)

    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] in {"validation_error", "invalid_counts"}
    assert problem["errors"]
    assert isinstance(problem["error"], str)
    assert await _detail(client, as_staff, sid) == before
    assert len(await audit_events(app)) == events
    # And the valid payload still goes through afterwards.
    ok = await save(client, as_staff, sid, phase, valid_body(phase, types))
    assert ok.status_code == 200


async def test_the_422_names_the_missing_milk_types(
    client: httpx.AsyncClient, clock: FixedClock, as_staff: dict[str, str]
) -> None:
    types = await active_types(client, as_staff)
    sid = (await start(client, as_staff))["id"]
    body = {"counts": lines(types[2:], "foh_count", 1)}
    response = await save(client, as_staff, sid, "night_foh", body)
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "invalid_counts"
    assert problem["error"] == (
        "Every active milk type must be counted exactly once (missing: 2%, Whole)"
    )
    assert problem["errors"] == [{"field": "counts", "message": "Missing milk types: 2%, Whole"}]


async def test_another_stores_milk_type_is_unknown_here(
    client: httpx.AsyncClient,
    clock: FixedClock,
    as_staff: dict[str, str],
    as_other_admin: dict[str, str],
) -> None:
    types = await active_types(client, as_staff)
    theirs = await active_types(client, as_other_admin)
    sid = (await start(client, as_staff))["id"]
    body = {"counts": lines([*types, theirs[0]], "foh_count", 1)}
    response = await save(client, as_staff, sid, "night_foh", body)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "counts.9.milk_type_id", "message": "Not an active milk type of this session"}
    ]


# --- Races --------------------------------------------------------------------------------


@pytest.mark.parametrize("phase", PHASES)
async def test_two_concurrent_saves_of_a_phase_one_200_one_409(
    client: httpx.AsyncClient, app: FastAPI, clock: FixedClock, as_staff: dict[str, str], phase: str
) -> None:
    types = await active_types(client, as_staff)
    sid = (await start(client, as_staff))["id"]
    await walk_to(client, as_staff, sid, phase, types)
    first, second = valid_body(phase, types), valid_body(phase, types)
    key = next(iter(first))
    field = next(k for k in first[key][0] if k not in {"milk_type_id", "method"})
    for item in first[key]:
        item[field] = 1
    for item in second[key]:
        item[field] = 2

    responses = await asyncio.gather(
        save(client, as_staff, sid, phase, first), save(client, as_staff, sid, phase, second)
    )

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200, 409]
    winner = next(r for r in responses if r.status_code == 200)
    loser = next(r for r in responses if r.status_code == 409)
    next_phase = STATUSES[STATUSES.index(phase) + 1]
    assert winner.json()["session"]["status"] == next_phase
    assert loser.json()["code"] == "wrong_phase"
    assert loser.json()["current_phase"] == next_phase
    won_with = 1 if responses[0] is winner else 2
    entries = (await _detail(client, as_staff, sid))["entries"]
    stored = "on_order" if phase == "on_order" else field
    assert {entry[stored] for entry in entries} == {won_with}
    action = {
        "night_foh": "milk_count.session.night_foh_saved",
        "night_boh": "milk_count.session.night_boh_saved",
        "morning": "milk_count.session.morning_saved",
        "on_order": "milk_count.session.completed",
    }[phase]
    assert len(await audit_events(app, action)) == 1


# --- What each phase writes ---------------------------------------------------------------


async def test_each_phase_writes_its_values_and_its_audit_event(
    client: httpx.AsyncClient,
    app: FastAPI,
    clock: FixedClock,
    as_staff: dict[str, str],
    store: Store,
) -> None:
    types = await active_types(client, as_staff)
    sid = (await start(client, as_staff))["id"]
    foh = list(range(1, 10))
    boh = [2 * n for n in foh]
    current = [b + 3 for b in boh]
    on_order = [n % 3 for n in foh]
    for phase, body in [
        ("night_foh", {"counts": lines(types, "foh_count", foh)}),
        ("night_boh", {"counts": lines(types, "boh_count", boh)}),
        ("morning", {"counts": morning_lines(types, current)}),
        ("on_order", {"on_orders": lines(types, "on_order", on_order)}),
    ]:
        response = await save(client, as_staff, sid, phase, body)
        assert response.status_code == 200, response.text

    entries = (await _detail(client, as_staff, sid))["entries"]
    assert [e["foh_count"] for e in entries] == foh
    assert [e["boh_count"] for e in entries] == boh
    assert [e["current_boh"] for e in entries] == current
    assert [e["delivered"] for e in entries] == [3] * 9
    assert [e["morning_method"] for e in entries] == ["boh_count"] * 9
    assert [e["on_order"] for e in entries] == on_order

    events = [e for e in await audit_events(app) if e.action.startswith("milk_count.session")]
    assert [
        (e.action, e.details.get("activity_type"), e.details.get("status")) for e in events
    ] == [
        ("milk_count.session.started", None, None),
        ("milk_count.session.night_foh_saved", "milk_order_foh", "night_boh"),
        ("milk_count.session.night_boh_saved", "milk_order_boh", "morning"),
        ("milk_count.session.morning_saved", "milk_order_morning", "on_order"),
        ("milk_count.session.completed", "milk_order_completed", "completed"),
    ]
    for event in events:
        assert event.store_id == store.id
        assert event.target_type == "milk_session"
        assert event.target_id == sid
        assert event.target_label == "2026-11-25"
        assert event.details["date"] == "2026-11-25"
    assert events[-1].details["total_order"] == 0


async def test_a_milk_type_added_after_the_start_must_be_counted_and_one_deactivated_need_not(
    client: httpx.AsyncClient,
    clock: FixedClock,
    as_staff: dict[str, str],
    as_admin: dict[str, str],
) -> None:
    sid = (await start(client, as_staff))["id"]
    old = await active_types(client, as_staff)
    created = await client.post(
        f"{BASE}/admin/milk-types",
        json={"name": "Macadamia", "category": "non_dairy"},
        headers=as_admin,
    )
    assert created.status_code == 201
    gone = await client.put(
        f"{BASE}/admin/milk-types/{old[0]['id']}", json={"active": False}, headers=as_admin
    )
    assert gone.status_code == 200
    types = await active_types(client, as_staff)
    assert [t["name"] for t in types][-1] == "Macadamia"

    stale = await save(client, as_staff, sid, "night_foh", {"counts": lines(old, "foh_count", 4)})
    assert stale.status_code == 422
    assert {e["field"] for e in stale.json()["errors"]} == {"counts.0.milk_type_id", "counts"}

    response = await save(
        client, as_staff, sid, "night_foh", {"counts": lines(types, "foh_count", 4)}
    )
    assert response.status_code == 200
    entries = {e["milk_type_name"]: e for e in (await _detail(client, as_staff, sid))["entries"]}
    assert entries["Macadamia"]["foh_count"] == 4
    assert entries["2%"]["foh_count"] is None  # kept, not counted
    assert len(entries) == 10


# --- Cost ---------------------------------------------------------------------------------


async def _save_statements(
    client: httpx.AsyncClient, app: FastAPI, headers: dict[str, str], phase: str
) -> int:
    types = await active_types(client, headers)
    sid = (await start(client, headers))["id"]
    await walk_to(client, headers, sid, phase, types)
    with StatementCounter(app) as counter:
        response = await save(client, headers, sid, phase, valid_body(phase, types))
    assert response.status_code == 200
    return len(counter.statements)


@pytest.mark.parametrize("phase", PHASES)
async def test_a_save_costs_the_same_statements_for_9_or_40_milk_types(
    *,
    client: httpx.AsyncClient,
    app: FastAPI,
    clock: FixedClock,
    as_staff: dict[str, str],
    as_admin: dict[str, str],
    phase: str,
) -> None:
    nine = await _save_statements(client, app, as_staff, phase)
    for number in range(31):
        response = await client.post(
            f"{BASE}/admin/milk-types",
            json={"name": f"Milk {number}", "category": "dairy"},
            headers=as_admin,
        )
        assert response.status_code == 201
    clock.advance(dt.timedelta(days=1))  # the next business day: a session of its own

    forty = await _save_statements(client, app, as_staff, phase)

    assert len(await active_types(client, as_staff)) == 40
    assert forty == nine
    # Load the session, load the lines, advance, write the entries, audit.
    assert nine <= 6


async def test_a_save_that_read_the_phase_before_another_save_committed_is_refused(
    client: httpx.AsyncClient,
    app: FastAPI,
    clock: FixedClock,
    as_staff: dict[str, str],
    staff: User,
) -> None:
    """The phase check a request makes on reading is only a shortcut: the conditional
    UPDATE decides, so a save holding a stale copy of the session loses."""
    types = await active_types(client, as_staff)
    sid = (await start(client, as_staff))["id"]
    caller = StoreCaller(
        principal=Principal(
            user_id=staff.id, role=Role.STAFF, store_id=staff.store_id, subject=str(staff.id)
        ),
        store_id=staff.store_id,
    )
    async with app.state.db.sessionmaker() as db:
        stale = await SessionRepository(db).get_owned(caller.store_id, uuid.UUID(sid))
        assert stale is not None
        await db.commit()  # the copy stays in memory, the transaction ends
        won = await save(client, as_staff, sid, "night_foh", valid_body("night_foh", types))
        assert won.status_code == 200

        items = [FohLine(milk_type_id=uuid.UUID(t["id"]), foh_count=7) for t in types]
        with pytest.raises(WrongPhase) as refused:
            await counting.save_phase(db, caller, stale, counting.NIGHT_FOH, items, clock=clock)
        await db.rollback()

    assert refused.value.extra == {"current_phase": "night_boh"}
    entries = (await _detail(client, as_staff, sid))["entries"]
    assert {entry["foh_count"] for entry in entries} == {0}


async def test_a_whole_number_written_with_a_fraction_is_that_number(
    client: httpx.AsyncClient, clock: FixedClock, as_staff: dict[str, str]
) -> None:
    """JSON does not tell 3 from 3.0 (JSON Schema calls both integers); 1.5 stays a 422."""
    types = await active_types(client, as_staff)
    sid = (await start(client, as_staff))["id"]
    body = {"counts": [{"milk_type_id": t["id"], "foh_count": 3.0} for t in types]}
    response = await save(client, as_staff, sid, "night_foh", body)
    assert response.status_code == 200
    entries = (await _detail(client, as_staff, sid))["entries"]
    assert {(e["foh_count"], type(e["foh_count"])) for e in entries} == {(3, int)}
