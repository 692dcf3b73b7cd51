"""The demo store and its people: one admin and two staff members with random PINs."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts import policy
from backroom.accounts.authentication import Principal
from backroom.accounts.deps import StoreCaller
from backroom.accounts.models import Role, Store, User
from backroom.accounts.repository import StoreRepository, UserRepository
from backroom.accounts.schemas import UserCreate
from backroom.accounts.service import admin_users, stores
from backroom.core import audit
from backroom.core.audit import AuditAction
from backroom.core.config import Settings
from backroom.core.passwords import SecretHasher

DEMO_STORE_NAME = "Demo Store"
# (partner number, name): the admin first, then the staff members.
ADMIN = ("DEMOADMIN", "Dana Demo")
STAFF = (("DEMOSTAFF1", "Sam Rivera"), ("DEMOSTAFF2", "Alex Chen"))


class DemoExists(Exception):
    """The demo store is there already (an earlier run): nothing is added."""


class DemoPartnerTaken(Exception):
    """Another account holds a demo partner number: nothing is added."""


@dataclass(frozen=True, slots=True)
class Member:
    """A demo account, its PIN in clear (printed once), and the caller it acts as."""

    user: User
    pin: str
    caller: StoreCaller


@dataclass(frozen=True, slots=True)
class DemoPeople:
    store: Store
    admin: Member
    staff: tuple[Member, ...]


def _caller(user: User) -> StoreCaller:
    assert user.store_id is not None
    principal = Principal(
        user_id=user.id,
        role=Role(user.role),
        store_id=user.store_id,
        subject=str(user.id),
        name=user.name,
    )
    return StoreCaller(principal=principal, store_id=user.store_id)


def _pin() -> str:
    return f"{secrets.randbelow(10_000):04d}"


async def _check_free(session: AsyncSession) -> None:
    if await StoreRepository(session).by_name(DEMO_STORE_NAME) is not None:
        raise DemoExists(f"the demo store exists already ({DEMO_STORE_NAME!r}); nothing added")
    users = UserRepository(session)
    for number, _name in (ADMIN, *STAFF):
        if await users.by_partner_number(number) is not None:
            raise DemoPartnerTaken(f"partner number {number} is taken already; nothing added")


async def _admin(session: AsyncSession, hasher: SecretHasher, store: Store) -> Member:
    """Made as `backroom users create-admin` makes one: no admin exists yet to act."""
    number, name = ADMIN
    pin = _pin()
    first, last = policy.split_name(name)
    user = User(
        partner_number=number,
        first_name=first,
        last_name=last,
        display_name=name,
        pin_hash=await hasher.hash_pin(pin),
        role=Role.ADMIN.value,
        store_id=store.id,
    )
    await UserRepository(session).add(user)
    await audit.record(
        session,
        AuditAction.ACCOUNTS_USER_CREATED,
        actor=None,
        target_type="user",
        target_id=user.id,
        target_label=user.name,
        details={"role": user.role, "via": "cli"},
        store_id=store.id,
    )
    return Member(user, pin, _caller(user))


async def create_people(session: AsyncSession, settings: Settings) -> DemoPeople:
    """The store, its admin, and the staff the admin adds (as the admin route does)."""
    await _check_free(session)
    hasher = SecretHasher(settings)
    store = await stores.create_store(session, DEMO_STORE_NAME, settings.STORE_TIMEZONE)
    admin = await _admin(session, hasher, store)
    staff = []
    for number, name in STAFF:
        pin = _pin()
        body = UserCreate(partner_number=number, name=name, pin=pin)
        user = await admin_users.create_user(
            session, admin.caller.actor, body, pin_hash=await hasher.hash_pin(pin)
        )
        staff.append(Member(user, pin, _caller(user)))
    return DemoPeople(store=store, admin=admin, staff=tuple(staff))
