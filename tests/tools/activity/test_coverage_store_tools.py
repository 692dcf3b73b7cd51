"""Every write route of the store tools (API.md §5) leaves exactly one audit event, and a
refused write leaves none.

The rows work as in `test_coverage.py`. docs/audit-events.md fixes which action each
write records and the type of its target; every store-tool event also names the
caller's store. The writes are prepared in `store_writes.py`; a refusal is one of them
changed in one respect: who sends it, its body, a stale `If-Match`, or sending it again.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import pytest

from backroom.accounts.models import Role
from backroom.core.audit import AuditAction as A
from backroom.tools.milk_count.service.milk_types import seed_default_milk_types
from tests.factories import auth_headers, make_store, make_user
from tests.tools.activity.coverage import (
    Ctx,
    Prepare,
    Write,
    assert_refused_unrecorded,
    events_of,
    recorded_by,
    send,
)
from tests.tools.activity.store_writes import (
    milk_par,
    milk_reopen,
    milk_save,
    milk_start,
    milk_type_create,
    milk_type_update,
    rtde_counting,
    rtde_create,
    rtde_item_write,
    rtde_reorder,
    rtde_resume,
    rtde_session_write,
    rtde_start,
    rtde_update,
    suggestion_create,
    suggestion_delete,
    tick,
    tracking_add,
    tracking_item_write,
)

STALE = {"If-Match": '"99"'}

# docs/audit-events.md: the target type of each `<domain>.<entity>` of the store tools.
TARGET_TYPES = {
    "rtde.item": "rtde_item",
    "rtde.session": "rtde_session",
    "rtde.count": "rtde_session",
    "tracking.item": "tracking_item",
    "tracking.suggestion": "tracking_suggestion",
    "milk_count.session": "milk_session",
    "milk_count.milk_type": "milk_type",
    "milk_count.par_level": "milk_par_level",
}


@pytest.fixture(autouse=True)
async def _default_milk_types(ctx: Ctx) -> None:
    """Store A as `create_store` leaves it: the crew's store is made bare, without them."""
    await seed_default_milk_types(ctx.session, ctx.crew.store)
    await ctx.session.commit()


# (name, action that must be recorded or None when the route deliberately records none, prepare)
WRITES: list[tuple[str, A | None, Prepare]] = [
    ("rtde-item-create", A.RTDE_ITEM_CREATED, rtde_create),
    ("rtde-items-reorder", A.RTDE_ITEMS_REORDERED, rtde_reorder),
    ("rtde-item-update", A.RTDE_ITEM_UPDATED, rtde_update),
    ("rtde-item-delete", A.RTDE_ITEM_DELETED, rtde_item_write("DELETE")),
    # A session lists the item, so the history keeps it: deactivated, not deleted.
    ("rtde-item-deactivate", A.RTDE_ITEM_DEACTIVATED, rtde_item_write("DELETE", listed=True)),
    ("rtde-session-start", A.RTDE_SESSION_STARTED, rtde_start),
    # Resuming hands back the open session as it is (not even `expires_at` moves).
    ("rtde-session-resume", None, rtde_resume),
    # A count or a tick that changes the line is recorded against the session, so the
    # session's story reads in order by its id (a repeat is not: see below).
    ("rtde-session-count", A.RTDE_COUNT_SAVED, rtde_counting),
    ("rtde-session-pull", A.RTDE_COUNT_PULLED, rtde_session_write("PUT", "/pull", tick)),
    ("rtde-session-complete", A.RTDE_SESSION_COMPLETED, rtde_session_write("POST", "/complete")),
    ("tracking-item-add", A.TRACKING_ITEM_ADDED, tracking_add()),
    ("tracking-item-add-with-code", A.TRACKING_ITEM_ADDED, tracking_add("0042")),
    ("tracking-item-rename", A.TRACKING_ITEM_RENAMED,
     tracking_item_write("PATCH", {"name": "Caramel syrup"})),
    # Sending the values the item has changes nothing: no history, no event (api-tracking.md).
    ("tracking-item-rename-unchanged", None,
     tracking_item_write("PATCH", {"name": "Vanilla syrup"})),
    ("tracking-item-remove", A.TRACKING_ITEM_REMOVED, tracking_item_write("DELETE")),
    ("tracking-item-restore", A.TRACKING_ITEM_RESTORED,
     tracking_item_write("POST", restore=True)),
    ("tracking-suggestion-create", A.TRACKING_SUGGESTION_CREATED, suggestion_create),
    ("tracking-suggestion-delete", A.TRACKING_SUGGESTION_DELETED, suggestion_delete),
    ("milk-session-start", A.MILK_SESSION_STARTED, milk_start),
    ("milk-night-foh", A.MILK_NIGHT_FOH_SAVED, milk_save("night_foh")),
    ("milk-night-boh", A.MILK_NIGHT_BOH_SAVED, milk_save("night_boh")),
    ("milk-morning", A.MILK_MORNING_SAVED, milk_save("morning")),
    # The on-order save is the last phase: it completes the session.
    ("milk-on-order", A.MILK_SESSION_COMPLETED, milk_save("on_order")),
    ("milk-session-reopen", A.MILK_SESSION_REOPENED, milk_reopen("night_boh", "night_foh")),
    ("milk-completed-session-reopen", A.MILK_SESSION_REOPENED,
     milk_reopen("completed", "morning")),
    ("milk-type-create", A.MILK_TYPE_CREATED, milk_type_create),
    ("milk-type-update", A.MILK_TYPE_UPDATED, milk_type_update("Two percent")),
    # A change to nothing new writes no event (api-milk-count.md, Milk types).
    ("milk-type-update-unchanged", None, milk_type_update()),
    ("milk-par-level-update", A.MILK_PAR_UPDATED, milk_par),
]  # fmt: skip


@pytest.mark.parametrize(("name", "action", "prepare"), WRITES, ids=[row[0] for row in WRITES])
async def test_a_successful_store_tool_write_records_exactly_one_event(
    ctx: Ctx, name: str, action: A | None, prepare: Prepare
) -> None:
    event = await recorded_by(ctx, name, action, prepare)
    if action is None:
        return
    assert event is not None
    assert event.target_type == TARGET_TYPES[action.value.rsplit(".", 1)[0]]
    assert event.store_id == ctx.crew.store.id


Sender = Callable[[Ctx], Awaitable[dict[str, str]]]


async def _outsider(ctx: Ctx) -> dict[str, str]:
    """An admin of another store: store A's rows are 404 to them, on every route."""
    user = await make_user(ctx.session, role=Role.ADMIN, store=await make_store(ctx.session))
    return auth_headers(ctx.settings, user)


async def _staff(ctx: Ctx) -> dict[str, str]:
    return ctx.crew.staff.headers


async def _account(ctx: Ctx) -> dict[str, str]:
    """A `user` account: signed in, but of no store."""
    return auth_headers(ctx.settings, await make_user(ctx.session, role=Role.USER))


def _refused(
    prepare: Prepare,
    *,
    by: Sender | None = None,
    headers: dict[str, str] | None = None,
    body: Callable[[Any], Any] | None = None,
) -> Prepare:
    """The write `prepare` makes, sent by someone else, with more headers or another body."""

    async def refused(ctx: Ctx) -> Write:
        write = await prepare(ctx)
        sender = await by(ctx) if by else write.headers
        json = body(write.json) if body else write.json
        return replace(write, headers={**sender, **(headers or {})}, json=json)

    return refused


def _again(prepare: Prepare) -> Prepare:
    """The write `prepare` makes, once it has been made (and recorded) already."""

    async def again(ctx: Ctx) -> Write:
        write = await prepare(ctx)
        response = await send(ctx, write, "first-time")
        assert response.status_code < 300, response.text
        return write

    return again


def _unknown_item_too(body: dict[str, Any]) -> dict[str, Any]:
    return {"item_orders": [*body["item_orders"], {"id": str(uuid.uuid4()), "display_order": 3}]}


def _one_type_missing(body: dict[str, Any]) -> dict[str, Any]:
    return {"counts": body["counts"][1:]}


_foh, _reopen = milk_save("night_foh"), milk_reopen("night_boh", "night_foh")

# (name, status, prepare): refused writes record nothing.
REFUSALS: list[tuple[str, int, Prepare]] = [
    ("rtde-item-update-other-store", 404, _refused(rtde_update, by=_outsider)),
    ("rtde-item-delete-other-store", 404, _refused(rtde_item_write("DELETE"), by=_outsider)),
    ("rtde-count-other-store", 404, _refused(rtde_counting, by=_outsider)),
    ("rtde-reorder-unknown-item", 404, _refused(rtde_reorder, body=_unknown_item_too)),
    ("rtde-item-create-by-staff", 403, _refused(rtde_create, by=_staff)),
    ("rtde-start-by-user-account", 403, _refused(rtde_start, by=_account)),
    ("rtde-item-create-par-zero", 422,
     _refused(rtde_create, body=lambda b: {**b, "par_level": 0})),
    ("rtde-count-over-999", 422,
     _refused(rtde_counting, body=lambda b: {**b, "counted_quantity": 1000})),
    ("rtde-resume-nothing", 409, _refused(rtde_start, body=lambda _: {"action": "resume"})),
    ("rtde-complete-twice", 409, _again(rtde_session_write("POST", "/complete"))),
    ("rtde-item-update-stale", 412, _refused(rtde_update, headers=STALE)),
    ("rtde-item-delete-stale", 412, _refused(rtde_item_write("DELETE"), headers=STALE)),
    ("tracking-remove-other-store", 404,
     _refused(tracking_item_write("DELETE"), by=_outsider)),
    ("tracking-restore-other-store", 404,
     _refused(tracking_item_write("POST", restore=True), by=_outsider)),
    ("tracking-suggestion-delete-other-store", 404, _refused(suggestion_delete, by=_outsider)),
    ("tracking-suggestion-create-by-staff", 403, _refused(suggestion_create, by=_staff)),
    ("tracking-add-by-user-account", 403, _refused(tracking_add(), by=_account)),
    ("tracking-add-one-letter-name", 422,
     _refused(tracking_add(), body=lambda b: {**b, "name": "V"})),
    ("tracking-add-code-in-use", 409, _again(tracking_add("0042"))),
    ("tracking-remove-twice", 409, _again(tracking_item_write("DELETE"))),
    ("tracking-restore-active", 409, _again(tracking_item_write("POST", restore=True))),
    ("tracking-suggestion-exists", 409, _again(suggestion_create)),
    ("tracking-rename-stale", 412,
     _refused(tracking_item_write("PATCH", {"name": "Caramel syrup"}), headers=STALE)),
    ("tracking-remove-stale", 412, _refused(tracking_item_write("DELETE"), headers=STALE)),
    ("milk-save-other-store", 404, _refused(_foh, by=_outsider)),
    ("milk-reopen-other-store", 404, _refused(_reopen, by=_outsider)),
    ("milk-par-other-store", 404, _refused(milk_par, by=_outsider)),
    ("milk-reopen-by-staff", 403, _refused(_reopen, by=_staff)),
    ("milk-type-create-by-staff", 403, _refused(milk_type_create, by=_staff)),
    ("milk-start-by-user-account", 403, _refused(milk_start, by=_account)),
    ("milk-save-one-type-missing", 422, _refused(_foh, body=_one_type_missing)),
    ("milk-par-negative", 422, _refused(milk_par, body=lambda _: {"par_value": -1})),
    ("milk-start-twice", 409, _again(milk_start)),
    ("milk-save-twice", 409, _again(_foh)),
    ("milk-reopen-at-current-phase", 409, _again(_reopen)),
    ("milk-type-name-exists", 409, _again(milk_type_create)),
    ("milk-par-stale", 412, _refused(milk_par, headers=STALE)),
]  # fmt: skip


@pytest.mark.parametrize(("name", "status", "prepare"), REFUSALS, ids=[r[0] for r in REFUSALS])
async def test_a_refused_store_tool_write_records_nothing(
    ctx: Ctx, name: str, status: int, prepare: Prepare
) -> None:
    await assert_refused_unrecorded(ctx, name, status, prepare)


@pytest.mark.parametrize(
    ("name", "prepare"),
    [("count", rtde_counting), ("tick", rtde_session_write("PUT", "/pull", tick))],
    ids=["count", "tick"],
)
async def test_the_same_count_or_tick_again_records_nothing(
    ctx: Ctx, name: str, prepare: Prepare
) -> None:
    """The app saves as the staff member types: a repeat changes nothing and says so."""
    write = await _again(prepare)(ctx)
    response = await send(ctx, write, f"again-{name}")
    assert response.status_code == 200, response.text
    assert await events_of(ctx.session, f"again-{name}") == []
