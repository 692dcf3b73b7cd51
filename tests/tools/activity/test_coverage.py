"""Every write route leaves exactly one audit event, and a refused write leaves none.

One row per write route: it prepares what the write needs, makes the request with a
request id of its own, and says which event must carry that id. These are the rows of
accounts and tasks; the store tools have theirs in `test_coverage_store_tools.py`.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from backroom.core.audit import AuditAction as A
from tests.tools.activity.coverage import (
    PASSWORD,
    PIN,
    Ctx,
    Prepare,
    Write,
    assert_refused_unrecorded,
    events_of,
    recorded_by,
    send,
)


def _user_id(response: httpx.Response) -> str:
    return str(response.json()["user"]["id"])


def _task_id(response: httpx.Response) -> str:
    return str(response.json()["id"])


async def _register(ctx: Ctx) -> Write:
    body = {"email": "new@example.com", "password": PASSWORD, "first_name": "N", "last_name": "E"}
    return Write("POST", "/api/auth/register", json=body, actor=_user_id, target=_user_id)


async def _signup(ctx: Ctx) -> Write:
    body = {"email": "sign@example.com", "password": PASSWORD, "first_name": "S", "last_name": "U"}
    return Write("POST", "/api/auth/signup", json=body, actor=_user_id, target=_user_id)


async def _login(ctx: Ctx) -> Write:
    user, _ = await ctx.member()
    body = {"partner_number": user.partner_number, "pin": PIN}
    return Write("POST", "/api/auth/login", json=body, actor=str(user.id), target=str(user.id))


async def _token(ctx: Ctx) -> Write:
    user, _ = await ctx.member()
    form = {"username": str(user.email), "password": PASSWORD}
    return Write("POST", "/api/auth/token", data=form, actor=str(user.id), target=str(user.id))


async def _refresh(ctx: Ctx) -> Write:
    _, _, tokens = await ctx.signed_in()
    return Write("POST", "/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})


async def _logout(ctx: Ctx) -> Write:
    user, headers, tokens = await ctx.signed_in()
    body = {"refresh_token": tokens["refresh_token"]}
    uid = str(user.id)
    return Write("POST", "/api/auth/logout", headers, json=body, actor=uid, target=uid)


async def _logout_all(ctx: Ctx) -> Write:
    user, headers = await ctx.member()
    uid = str(user.id)
    return Write("POST", "/api/auth/logout-all", headers, actor=uid, target=uid)


async def _update_me(ctx: Ctx) -> Write:
    user, headers = await ctx.member()
    uid = str(user.id)
    return Write("PATCH", "/api/auth/me", headers, json={"name": "Z"}, actor=uid, target=uid)


async def _change_password(ctx: Ctx) -> Write:
    user, headers = await ctx.member()
    body = {"current_password": PASSWORD, "new_password": "another sturdy phrase 7"}
    uid = str(user.id)
    return Write("POST", "/api/auth/change-password", headers, json=body, actor=uid, target=uid)


async def _change_pin(ctx: Ctx) -> Write:
    user, headers = await ctx.member()
    body = {"current_pin": PIN, "new_pin": "1357"}
    uid = str(user.id)
    return Write("POST", "/api/auth/change-pin", headers, json=body, actor=uid, target=uid)


def _admin_write(method: str, suffix: str, json: Any = None, *, deleted: bool = False) -> Prepare:
    async def prepare(ctx: Ctx) -> Write:
        target = await ctx.staff_user(deleted=deleted)
        admin = ctx.crew.admin
        path = f"/api/admin/users/{target}{suffix}"
        return Write(
            method, path, admin.headers, json=json, actor=str(admin.user.id), target=target
        )

    return prepare


async def _create_user(ctx: Ctx) -> Write:
    admin = ctx.crew.admin
    body = {"partner_number": "CREATED1", "name": "New Hire", "pin": "9753"}
    return Write(
        "POST",
        "/api/admin/users",
        admin.headers,
        json=body,
        actor=str(admin.user.id),
        target=_user_id,
    )


def _task_write(
    method: str, suffix: str = "", json: Any = None, *, by_path: bool = False, existing: bool = True
) -> Prepare:
    async def prepare(ctx: Ctx) -> Write:
        user, headers = await ctx.member()
        prefix = f"/api/{user.id}/tasks" if by_path else "/api/tasks"
        if not existing:
            return Write(method, prefix, headers, json=json, actor=str(user.id), target=_task_id)
        task_id = await ctx.task(headers)
        if suffix == "/complete?twice":
            await ctx.client.patch(f"/api/tasks/{task_id}/complete", headers=headers)
        path = f"{prefix}/{task_id}{suffix.removesuffix('?twice')}"
        return Write(method, path, headers, json=json, actor=str(user.id), target=str(task_id))

    return prepare


# (name, action that must be recorded or None when the route deliberately records none, prepare)
WRITES: list[tuple[str, A | None, Prepare]] = [
    ("register", A.ACCOUNTS_USER_REGISTERED, _register),
    ("signup", A.ACCOUNTS_USER_REGISTERED, _signup),
    ("login", A.AUTH_LOGIN_SUCCEEDED, _login),
    ("token", A.AUTH_LOGIN_SUCCEEDED, _token),
    # Routine token rotation, every few minutes per client, would drown the trail; the
    # reuse of a rotated token is what is recorded (auth.refresh.reused).
    ("refresh", None, _refresh),
    ("logout", A.AUTH_LOGOUT, _logout),
    ("logout-all", A.AUTH_LOGOUT_ALL, _logout_all),
    ("update-me", A.AUTH_PROFILE_UPDATED, _update_me),
    ("change-password", A.AUTH_PASSWORD_CHANGED, _change_password),
    ("change-pin", A.AUTH_PIN_CHANGED, _change_pin),
    ("admin-create-user", A.ACCOUNTS_USER_CREATED, _create_user),
    ("admin-update-user", A.ACCOUNTS_USER_UPDATED, _admin_write("PATCH", "", {"role": "admin"})),
    ("admin-reset-pin", A.ACCOUNTS_PIN_RESET, _admin_write("POST", "/reset-pin", {"pin": "8642"})),
    ("admin-unlock", A.ACCOUNTS_USER_UNLOCKED, _admin_write("POST", "/unlock")),
    ("admin-delete-user", A.ACCOUNTS_USER_DELETED, _admin_write("DELETE", "")),
    ("admin-restore", A.ACCOUNTS_USER_RESTORED, _admin_write("POST", "/restore", deleted=True)),
    ("task-create", A.TASKS_TASK_CREATED, _task_write("POST", json={"title": "T"}, existing=False)),
    ("task-create-by-path", A.TASKS_TASK_CREATED,
     _task_write("POST", json={"title": "T"}, by_path=True, existing=False)),
    ("task-put", A.TASKS_TASK_UPDATED, _task_write("PUT", json={"title": "Renamed"})),
    ("task-patch", A.TASKS_TASK_UPDATED, _task_write("PATCH", json={"priority": "high"})),
    ("task-patch-by-path", A.TASKS_TASK_UPDATED,
     _task_write("PATCH", json={"title": "By path"}, by_path=True)),
    ("task-complete", A.TASKS_TASK_COMPLETED, _task_write("PATCH", "/complete")),
    ("task-reopen", A.TASKS_TASK_REOPENED, _task_write("PATCH", "/complete?twice")),
    ("task-delete", A.TASKS_TASK_DELETED, _task_write("DELETE")),
]  # fmt: skip


@pytest.mark.parametrize(("name", "action", "prepare"), WRITES, ids=[row[0] for row in WRITES])
async def test_a_successful_write_records_exactly_one_event(
    ctx: Ctx, name: str, action: A | None, prepare: Prepare
) -> None:
    await recorded_by(ctx, name, action, prepare)


def _refused_admin(method: str, suffix: str, json: Any = None, *, staff: bool = False) -> Prepare:
    async def prepare(ctx: Ctx) -> Write:
        target = await ctx.staff_user()
        headers = ctx.crew.staff.headers if staff else ctx.crew.admin.headers
        return Write(method, f"/api/admin/users/{target}{suffix}", headers, json=json)

    return prepare


async def _admin_on_unknown_user(ctx: Ctx) -> Write:
    return Write("DELETE", f"/api/admin/users/{uuid.uuid4()}", ctx.crew.admin.headers)


async def _admin_deletes_self(ctx: Ctx) -> Write:
    admin = ctx.crew.admin
    return Write("DELETE", f"/api/admin/users/{admin.user.id}", admin.headers)


async def _duplicate_partner(ctx: Ctx) -> Write:
    user, _ = await ctx.member()
    body = {"partner_number": user.partner_number, "name": "Twin", "pin": "1357"}
    return Write("POST", "/api/admin/users", ctx.crew.admin.headers, json=body)


async def _register_taken(ctx: Ctx) -> Write:
    user, _ = await ctx.member()
    body = {"email": user.email, "password": PASSWORD, "first_name": "N", "last_name": "E"}
    return Write("POST", "/api/auth/register", json=body)


async def _weak_password(ctx: Ctx) -> Write:
    _, headers = await ctx.member()
    body = {"current_password": PASSWORD, "new_password": "short"}
    return Write("POST", "/api/auth/change-password", headers, json=body)


async def _me_forbidden_field(ctx: Ctx) -> Write:
    _, headers = await ctx.member()
    return Write("PATCH", "/api/auth/me", headers, json={"role": "admin"})


async def _someone_elses_task(ctx: Ctx) -> Write:
    _, owner = await ctx.member()
    task_id = await ctx.task(owner)
    _, other = await ctx.member()
    return Write("DELETE", f"/api/tasks/{task_id}", other, json=None)


async def _stale_task(ctx: Ctx) -> Write:
    _, headers = await ctx.member()
    task_id = await ctx.task(headers)
    return Write("PATCH", f"/api/tasks/{task_id}", {**headers, "If-Match": '"99"'}, json={})


async def _other_users_list(ctx: Ctx) -> Write:
    _, headers = await ctx.member()
    return Write("POST", f"/api/{uuid.uuid4()}/tasks", headers, json={"title": "T"})


async def _invalid_task(ctx: Ctx) -> Write:
    _, headers = await ctx.member()
    return Write("POST", "/api/tasks", headers, json={"title": "  "})


async def _login_missing_pin(ctx: Ctx) -> Write:
    return Write("POST", "/api/auth/login", json={"partner_number": "NOBODY1"})


# (name, status, prepare): refused writes record nothing.
REFUSALS: list[tuple[str, int, Prepare]] = [
    ("login-without-pin", 422, _login_missing_pin),
    ("register-email-taken", 409, _register_taken),
    ("change-password-weak", 422, _weak_password),
    ("update-me-role", 422, _me_forbidden_field),
    ("admin-create-duplicate", 409, _duplicate_partner),
    ("admin-delete-unknown", 404, _admin_on_unknown_user),
    ("admin-delete-self", 403, _admin_deletes_self),
    ("admin-update-by-staff", 403, _refused_admin("PATCH", "", {"name": "X"}, staff=True)),
    ("admin-reset-pin-bad", 422, _refused_admin("POST", "/reset-pin", {"pin": "12"})),
    ("admin-restore-live-user", 409, _refused_admin("POST", "/restore")),
    ("task-of-someone-else", 404, _someone_elses_task),
    ("task-stale-if-match", 412, _stale_task),
    ("task-other-users-list", 403, _other_users_list),
    ("task-blank-title", 422, _invalid_task),
]


@pytest.mark.parametrize(("name", "status", "prepare"), REFUSALS, ids=[r[0] for r in REFUSALS])
async def test_a_refused_write_records_nothing(
    ctx: Ctx, name: str, status: int, prepare: Prepare
) -> None:
    await assert_refused_unrecorded(ctx, name, status, prepare)


async def test_a_wrong_pin_is_refused_and_recorded_as_a_failed_sign_in(ctx: Ctx) -> None:
    """The one refusal that is recorded on purpose: failed sign-ins are what lockouts read."""
    user, _ = await ctx.member()
    body = {"partner_number": user.partner_number, "pin": "0000"}
    response = await send(ctx, Write("POST", "/api/auth/login", json=body), "wrong-pin")
    assert response.status_code == 401
    [event] = await events_of(ctx.session, "wrong-pin")
    assert (event.action, event.actor_id, event.target_id) == (
        A.AUTH_LOGIN_FAILED.value,
        None,
        str(user.id),
    )
