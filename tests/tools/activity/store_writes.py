"""The writes of the store tools (API.md §5) that `test_coverage_store_tools.py` checks:
each prepares what the write needs through the API, as store A's crew, and says who and
what its audit event must name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests.tools.activity.conftest import Member
from tests.tools.activity.coverage import Ctx, Prepare, Write, send

RTDE, TRACKING, MILK = "/api/rtde", "/api/tracking", "/api/milk-count"

# The path, the payload's list and the count's key of each milk-count phase, in order.
PHASES = {
    "night_foh": ("night-foh", "counts", "foh_count"),
    "night_boh": ("night-boh", "counts", "boh_count"),
    "morning": ("morning", "counts", "current_boh"),
    "on_order": ("on-order", "on_orders", "on_order"),
}


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _by(member: Member, method: str, path: str, json: Any = None, target: Any = None) -> Write:
    return Write(method, path, member.headers, json=json, actor=str(member.user.id), target=target)


def _created(*keys: str) -> Callable[[httpx.Response], str]:
    """The id of what the write created, as its response names it."""

    def read(response: httpx.Response) -> str:
        value = response.json()
        for key in keys:
            value = value[key]
        return str(value)

    return read


async def _rtde_item(ctx: Ctx, name: str = "Cold brew") -> str:
    body = {"name": name, "par_level": 6}
    response = await ctx.client.post(
        f"{RTDE}/admin/items", json=body, headers=ctx.crew.admin.headers
    )
    return str(_ok(response, 201)["item"]["id"])


async def _rtde_session(ctx: Ctx) -> tuple[str, str]:
    """An item, and a session of store A's staff member that lists it."""
    item = await _rtde_item(ctx)
    response = await ctx.client.post(f"{RTDE}/sessions/start", headers=ctx.crew.staff.headers)
    return item, str(_ok(response, 201)["session_id"])


async def rtde_create(ctx: Ctx) -> Write:
    body = {"name": "Cold brew", "par_level": 6}
    return _by(ctx.crew.admin, "POST", f"{RTDE}/admin/items", body, _created("item", "id"))


async def rtde_reorder(ctx: Ctx) -> Write:
    first, second = await _rtde_item(ctx, "First"), await _rtde_item(ctx, "Second")
    orders = [{"id": second, "display_order": 1}, {"id": first, "display_order": 2}]
    # The event is about the store's whole order (`details.order`): it names no item.
    return _by(ctx.crew.admin, "PUT", f"{RTDE}/admin/items/reorder", {"item_orders": orders})


def rtde_item_write(method: str, json: Any = None, *, listed: bool = False) -> Prepare:
    """A write on a new item (`listed`: one that a count session lists)."""

    async def prepare(ctx: Ctx) -> Write:
        item = (await _rtde_session(ctx))[0] if listed else await _rtde_item(ctx)
        return _by(ctx.crew.admin, method, f"{RTDE}/admin/items/{item}", json, item)

    return prepare


async def rtde_start(ctx: Ctx) -> Write:
    return _by(ctx.crew.staff, "POST", f"{RTDE}/sessions/start", target=_created("session_id"))


async def rtde_resume(ctx: Ctx) -> Write:
    """Store A's staff member asks for the session they have open."""
    _, session_id = await _rtde_session(ctx)
    body = {"action": "resume"}
    return _by(ctx.crew.staff, "POST", f"{RTDE}/sessions/start", body, session_id)


def rtde_session_write(
    method: str, suffix: str, body: Callable[[str], Any] | None = None
) -> Prepare:
    """A write on an open session of the staff member, with a body about its item."""

    async def prepare(ctx: Ctx) -> Write:
        item, session_id = await _rtde_session(ctx)
        path = f"{RTDE}/sessions/{session_id}{suffix}"
        return _by(ctx.crew.staff, method, path, body(item) if body else None, session_id)

    return prepare


def tracking_add(code: str | None = None) -> Prepare:
    async def prepare(ctx: Ctx) -> Write:
        body = {"name": "Vanilla syrup", "category": "syrups", **({"code": code} if code else {})}
        return _by(ctx.crew.staff, "POST", f"{TRACKING}/items", body, _created("item", "id"))

    return prepare


def tracking_item_write(method: str, json: Any = None, *, restore: bool = False) -> Prepare:
    """A write on an active item "Vanilla syrup" by its code (on a removed one by its id,
    with `restore`)."""

    async def prepare(ctx: Ctx) -> Write:
        headers = ctx.crew.staff.headers
        body = {"name": "Vanilla syrup", "category": "syrups"}
        response = await ctx.client.post(f"{TRACKING}/items", json=body, headers=headers)
        item = _ok(response, 201)["item"]
        path = f"{TRACKING}/items/{item['code']}"
        if restore:
            _ok(await ctx.client.delete(path, headers=headers))
            path = f"{TRACKING}/items/{item['id']}/restore"
        return _by(ctx.crew.staff, method, path, json, str(item["id"]))

    return prepare


async def suggestion_create(ctx: Ctx) -> Write:
    body = {"category": "syrups", "name": "Toffee nut"}
    path = f"{TRACKING}/admin/suggestions"
    return _by(ctx.crew.admin, "POST", path, body, _created("suggestion", "id"))


async def suggestion_delete(ctx: Ctx) -> Write:
    write = await suggestion_create(ctx)
    suggestion = _ok(await send(ctx, write, "prepare-suggestion"), 201)["suggestion"]
    path = f"{TRACKING}/admin/suggestions/{suggestion['id']}"
    return _by(ctx.crew.admin, "DELETE", path, target=str(suggestion["id"]))


async def _milk_types(ctx: Ctx) -> list[dict[str, Any]]:
    response = await ctx.client.get(f"{MILK}/milk-types", headers=ctx.crew.staff.headers)
    types: list[dict[str, Any]] = _ok(response)["milk_types"]
    assert types, "store A has no active milk type"
    return types


def _phase_body(phase: str, types: list[dict[str, Any]]) -> dict[str, Any]:
    _, key, field = PHASES[phase]
    extra = {"method": "boh_count"} if phase == "morning" else {}
    return {key: [{"milk_type_id": kind["id"], **extra, field: 3} for kind in types]}


async def _milk_session(ctx: Ctx, phase: str) -> tuple[str, list[dict[str, Any]]]:
    """Today's session of store A, saved through every phase before `phase`."""
    types, headers = await _milk_types(ctx), ctx.crew.staff.headers
    response = await ctx.client.post(f"{MILK}/sessions/start", headers=headers)
    session_id = str(_ok(response, 201)["session"]["id"])
    for earlier, (path, _, _) in PHASES.items():
        if earlier == phase:
            break
        body = _phase_body(earlier, types)
        _ok(
            await ctx.client.put(f"{MILK}/sessions/{session_id}/{path}", json=body, headers=headers)
        )
    return session_id, types


async def milk_start(ctx: Ctx) -> Write:
    path = f"{MILK}/sessions/start"
    return _by(ctx.crew.staff, "POST", path, target=_created("session", "id"))


def milk_save(phase: str) -> Prepare:
    """The save of `phase`, on a session brought to that phase by the saves before it."""

    async def prepare(ctx: Ctx) -> Write:
        session_id, types = await _milk_session(ctx, phase)
        path = f"{MILK}/sessions/{session_id}/{PHASES[phase][0]}"
        return _by(ctx.crew.staff, "PUT", path, _phase_body(phase, types), session_id)

    return prepare


def milk_reopen(current: str, phase: str) -> Prepare:
    """Move a session that is in `current` back to `phase` (an admin's correction)."""

    async def prepare(ctx: Ctx) -> Write:
        session_id, _ = await _milk_session(ctx, current)
        path = f"{MILK}/sessions/{session_id}/reopen"
        return _by(ctx.crew.admin, "PUT", path, {"phase": phase}, session_id)

    return prepare


async def milk_type_create(ctx: Ctx) -> Write:
    body = {"name": "Macadamia", "category": "non_dairy"}
    path = f"{MILK}/admin/milk-types"
    return _by(ctx.crew.admin, "POST", path, body, _created("milk_type", "id"))


def milk_type_update(name: str | None = None) -> Prepare:
    """Rename the first milk type (to the name it has when `name` is None)."""

    async def prepare(ctx: Ctx) -> Write:
        kind = (await _milk_types(ctx))[0]
        path = f"{MILK}/admin/milk-types/{kind['id']}"
        body = {"name": name or kind["name"]}
        return _by(ctx.crew.admin, "PUT", path, body, str(kind["id"]))

    return prepare


async def milk_par(ctx: Ctx) -> Write:
    response = await ctx.client.get(f"{MILK}/admin/par-levels", headers=ctx.crew.admin.headers)
    par = _ok(response)["par_levels"][0]
    path = f"{MILK}/admin/par-levels/{par['milk_type_id']}"
    return _by(ctx.crew.admin, "PUT", path, {"par_value": 12}, str(par["id"]))


def count(item: str) -> dict[str, Any]:
    return {"item_id": item, "counted_quantity": 2}


def tick(item: str) -> dict[str, Any]:
    return {"item_id": item, "is_pulled": True}


rtde_update = rtde_item_write("PUT", {"par_level": 8})
rtde_counting = rtde_session_write("PUT", "/count", count)
