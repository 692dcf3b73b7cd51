"""Stores: created from the command line (the first admin needs one)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts import policy
from backroom.accounts.errors import StoreNameTaken
from backroom.accounts.models import Store
from backroom.accounts.repository import StoreRepository
from backroom.core import audit
from backroom.core.audit import AuditAction

StoreSetup = Callable[[AsyncSession, Store], Awaitable[None]]
"""Gives a new store what a tool needs from day one (default milk types, name templates)."""

_store_setups: list[StoreSetup] = []


def register_store_setup(setup: StoreSetup) -> None:
    """Called by each tool package on import; accounts never imports a tool."""
    if setup not in _store_setups:
        _store_setups.append(setup)


async def set_up_store(session: AsyncSession, store: Store) -> None:
    """Run every registered tool's set-up for `store`, in the caller's transaction."""
    for setup in _store_setups:
        await setup(session, store)


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None
    return name


async def create_store(session: AsyncSession, name: str, timezone: str) -> Store:
    stores = StoreRepository(session)
    clean_name = policy.check_name(name)
    if await stores.by_name(clean_name) is not None:
        raise StoreNameTaken
    store = Store(name=clean_name, timezone=check_timezone(timezone))
    try:
        await stores.add(store)
    except IntegrityError:
        raise StoreNameTaken from None
    await audit.record(
        session,
        AuditAction.ACCOUNTS_STORE_CREATED,
        actor=None,
        target_type="store",
        target_id=store.id,
        target_label=store.name,
        store_id=store.id,
    )
    await set_up_store(session, store)
    return store


async def list_stores(session: AsyncSession) -> Sequence[Store]:
    return await StoreRepository(session).all_stores()
