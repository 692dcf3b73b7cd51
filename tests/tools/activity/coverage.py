"""What the audit coverage tests share: a row prepares a write, the test sends it with a
request id of its own and reads the events that carry that id.

`test_coverage.py` holds the rows of accounts and tasks, `test_coverage_store_tools.py`
those of the store tools; the `ctx` fixture lives in this package's conftest.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Role, User
from backroom.core.audit import AuditEvent
from backroom.core.config import Settings
from tests.factories import auth_headers, make_user

if TYPE_CHECKING:
    # The conftest imports this module for its `ctx` fixture.
    from tests.tools.activity.conftest import Crew

PIN, PASSWORD = "2468", "a sturdy passphrase 42"
_numbers = itertools.count(1)


@dataclass
class Ctx:
    client: httpx.AsyncClient
    session: AsyncSession
    settings: Settings
    crew: Crew

    async def member(self, role: Role = Role.STAFF) -> tuple[User, dict[str, str]]:
        """A fresh member of the store who can sign in with a PIN and a password."""
        number = next(_numbers)
        user = await make_user(
            self.session,
            role=role,
            store=self.crew.store,
            email=f"member{number}-{uuid.uuid4().hex[:6]}@example.com",
            partner_number=f"MEM{number:03d}{uuid.uuid4().hex[:4].upper()}",
            pin=PIN,
            password=PASSWORD,
            settings=self.settings,
        )
        return user, auth_headers(self.settings, user)

    async def signed_in(self) -> tuple[User, dict[str, str], dict[str, Any]]:
        """A member signed in through the API: a session with a refresh token."""
        user, _ = await self.member()
        response = await self.client.post(
            "/api/auth/login", json={"partner_number": user.partner_number, "pin": PIN}
        )
        tokens = response.json()
        return user, {"Authorization": f"Bearer {tokens['access_token']}"}, tokens

    async def task(self, headers: dict[str, str]) -> int:
        response = await self.client.post(
            "/api/tasks", json={"title": "Count lids"}, headers=headers
        )
        task_id: int = response.json()["id"]
        return task_id

    async def staff_user(self, deleted: bool = False) -> str:
        user, _ = await self.member()
        if deleted:
            await self.client.delete(f"/api/admin/users/{user.id}", headers=self.crew.admin.headers)
        return str(user.id)


@dataclass
class Write:
    """The request, and who and what the event must name (read from the response if needed)."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    json: Any = None
    data: dict[str, str] | None = None
    actor: str | Callable[[httpx.Response], str] | None = None
    target: str | Callable[[httpx.Response], str] | None = None


Prepare = Callable[[Ctx], Awaitable[Write]]


async def send(ctx: Ctx, write: Write, request_id: str) -> httpx.Response:
    return await ctx.client.request(
        write.method,
        write.path,
        headers={**write.headers, "X-Request-ID": request_id},
        json=write.json,
        data=write.data,
    )


async def events_of(session: AsyncSession, request_id: str) -> list[AuditEvent]:
    statement = select(AuditEvent).where(AuditEvent.request_id == request_id)
    return list((await session.execute(statement)).scalars())


def expected(value: str | Callable[[httpx.Response], str] | None, response: httpx.Response) -> Any:
    return value(response) if callable(value) else value


async def recorded_by(ctx: Ctx, name: str, action: Any, prepare: Prepare) -> AuditEvent | None:
    """Make the write of a row: it succeeds and records exactly `action` (an `AuditAction`,
    or None for a write that records nothing), naming its actor and target, the actor's
    name and the caller's address. The event, for the checks a table adds."""
    write = await prepare(ctx)
    request_id = f"cover-{name}"
    response = await send(ctx, write, request_id)
    assert response.status_code < 300, response.text

    events = await events_of(ctx.session, request_id)

    assert [event.action for event in events] == ([action.value] if action else [])
    if action is None:
        return None
    [event] = events
    assert str(event.actor_id) == expected(write.actor, response)
    assert event.target_id == expected(write.target, response)
    assert event.actor_name
    assert event.ip == "127.0.0.1"
    return event


async def assert_refused_unrecorded(ctx: Ctx, name: str, status: int, prepare: Prepare) -> None:
    """Make the write of a refusal row: it is refused with `status` and records nothing."""
    write = await prepare(ctx)
    request_id = f"refused-{name}"
    response = await send(ctx, write, request_id)
    assert response.status_code == status, response.text
    assert await events_of(ctx.session, request_id) == []
