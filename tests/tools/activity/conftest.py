"""Two stores, A and B, with an admin and a staff member each, and a way to write events.

Events of the store tools are written the way those tools write them: through
`backroom.core.audit.record`, with the details `docs/audit-events.md` fixes.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Role, Store, User
from backroom.core.audit import Actor, AuditAction, AuditEvent, record
from backroom.core.config import Settings
from tests.factories import auth_headers, make_store, make_user
from tests.tools.activity.coverage import Ctx


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"RATE_LIMIT_ENABLED": False}


@dataclass(frozen=True)
class Member:
    user: User
    headers: dict[str, str]

    @property
    def actor(self) -> Actor:
        return Actor(id=self.user.id, name=self.user.name, store_id=self.user.store_id)


@dataclass(frozen=True)
class Crew:
    store: Store
    admin: Member
    staff: Member


async def _crew(session: AsyncSession, settings: Settings, name: str, number: str) -> Crew:
    store = await make_store(session, name=name)
    admin = await make_user(
        session, role=Role.ADMIN, store=store, first_name=f"Admin{number}", last_name="Boss"
    )
    staff = await make_user(
        session, role=Role.STAFF, store=store, first_name=f"Staff{number}", last_name="Hand"
    )
    return Crew(
        store=store,
        admin=Member(admin, auth_headers(settings, admin)),
        staff=Member(staff, auth_headers(settings, staff)),
    )


@pytest.fixture
async def crew_a(session: AsyncSession, settings: Settings) -> Crew:
    return await _crew(session, settings, "Store A", "A")


@pytest.fixture
async def crew_b(session: AsyncSession, settings: Settings) -> Crew:
    return await _crew(session, settings, "Store B", "B")


@pytest.fixture
async def plain_user(session: AsyncSession, settings: Settings) -> Member:
    user = await make_user(session, first_name="Plain")
    return Member(user, auth_headers(settings, user))


@pytest.fixture
async def ctx(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, crew_a: Crew
) -> Ctx:
    """What a coverage row prepares its write with (tests/tools/activity/coverage.py)."""
    return Ctx(client, session, settings, crew_a)


async def write_event(
    session: AsyncSession,
    action: AuditAction,
    *,
    store: Store | None,
    actor: Actor | None,
    target_type: str,
    target_id: object | None = None,
    target_label: str | None = None,
    details: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
    owner_id: uuid.UUID | None = None,
) -> AuditEvent:
    """One event, written through the audit writer every domain uses, and committed."""
    event = await record(
        session,
        action,
        actor=actor,
        target_type=target_type,
        target_id=target_id,
        target_label=target_label,
        details=details,
        store_id=store.id if store else None,
        owner_id=owner_id,
    )
    if at is not None:
        event.at = at
    await session.commit()
    return event


async def tracking_added(
    session: AsyncSession,
    crew: Crew,
    name: str,
    code: str,
    *,
    category: str = "syrups",
    at: dt.datetime | None = None,
) -> AuditEvent:
    """What the tracking tool writes when an item is added (docs/audit-events.md)."""
    return await write_event(
        session,
        AuditAction.TRACKING_ITEM_ADDED,
        store=crew.store,
        actor=crew.staff.actor,
        target_type="tracking_item",
        target_id=uuid.uuid4(),
        target_label=name,
        details={"code": code, "category": category, "name": name},
        at=at,
    )
