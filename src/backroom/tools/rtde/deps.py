"""Dependencies that load and validate: a store's item, the caller's own session,
`If-Match`, the clock's "now" and a session's lifetime."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import Depends, Path
from starlette.convertors import StringConvertor, register_url_convertor

from backroom.accounts.deps import SettingsDep, StoreAdmin, StoreStaff
from backroom.core.clock import ClockDep
from backroom.core.concurrency import if_match
from backroom.core.db import SessionDep
from backroom.tools.rtde.errors import ItemChanged, ItemNotFound, SessionNotFound
from backroom.tools.rtde.models import RTDEItem, RTDESession
from backroom.tools.rtde.repository import ItemRepository, Lock, SessionRepository


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


ItemIdPath = Annotated[str, Path(description="The item's id (a UUID).")]
SessionIdPath = Annotated[str, Path(description="The session's id (a UUID).")]


class ItemIdSegment(StringConvertor):
    """Any path segment but `reorder`, so `GET /admin/items/reorder` is a 405 (with the
    right `Allow`) instead of a lookup of the item "reorder"."""

    regex = "(?!reorder$)[^/]+"


class SessionIdSegment(StringConvertor):
    """Any path segment but the fixed session routes (`/sessions/start`, ...)."""

    regex = "(?!(?:active|last-completed|start|history)$)[^/]+"


# Routes say `{item_id:rtde_item_id}`; a malformed id still reaches the domain's 404.
register_url_convertor("rtde_item_id", ItemIdSegment())
register_url_convertor("rtde_session_id", SessionIdSegment())


async def _store_item(
    session: SessionDep, admin: StoreAdmin, item_id: str, *, for_update: bool
) -> RTDEItem:
    # A malformed id is just another id that names no item of this store.
    ident = _uuid(item_id)
    item = None
    if ident is not None:
        item = await ItemRepository(session).get_in_store(
            admin.store_id, ident, for_update=for_update
        )
    if item is None:
        raise ItemNotFound
    return item


async def store_item(session: SessionDep, admin: StoreAdmin, item_id: ItemIdPath) -> RTDEItem:
    """An item of the admin's store, or 404 - the same 404 whatever the reason."""
    return await _store_item(session, admin, item_id, for_update=False)


async def store_item_for_update(
    session: SessionDep, admin: StoreAdmin, item_id: ItemIdPath
) -> RTDEItem:
    """As `store_item`, locked until the commit so concurrent writers queue."""
    return await _store_item(session, admin, item_id, for_update=True)


StoreItem = Annotated[RTDEItem, Depends(store_item)]
StoreItemForUpdate = Annotated[RTDEItem, Depends(store_item_for_update)]

IfMatch = Annotated[frozenset[int] | None, Depends(if_match(ItemChanged))]


def _own_session(lock: Lock) -> object:
    async def load(
        session: SessionDep, caller: StoreStaff, session_id: SessionIdPath
    ) -> RTDESession:
        """The caller's own session; anyone else's (an admin's reach included) is 404."""
        ident = _uuid(session_id)
        row = None
        if ident is not None:
            row = await SessionRepository(session).get_owned(
                caller.store_id, caller.user_id, ident, lock=lock
            )
        if row is None:
            raise SessionNotFound
        return row

    return Depends(load)


OwnSession = Annotated[RTDESession, _own_session("none")]
# Counts and ticks share the row; completion takes it whole, so it waits for them.
OwnSessionShared = Annotated[RTDESession, _own_session("share")]
OwnSessionForUpdate = Annotated[RTDESession, _own_session("update")]


async def now(clock: ClockDep) -> dt.datetime:
    return clock.now()


async def session_lifetime(settings: SettingsDep) -> dt.timedelta:
    return dt.timedelta(minutes=settings.RTDE_SESSION_MINUTES)


Now = Annotated[dt.datetime, Depends(now)]
SessionLifetime = Annotated[dt.timedelta, Depends(session_lifetime)]
