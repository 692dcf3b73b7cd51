"""The admin's routes: the display's items and the history of completed sessions.

Included before the session routes, so `/sessions/history` is not read as a session id.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from backroom.accounts.deps import StoreAdmin
from backroom.core.db import SessionDep
from backroom.core.errors import (
    BadRequest,
    Unprocessable,
    UnsupportedMediaType,
    problem_responses,
)
from backroom.core.idempotency import (
    IdempotencyDep,
    IdempotencyInProgress,
    IdempotencyKeyReused,
)
from backroom.core.pagination import MAX_OFFSET
from backroom.core.replica import ReplicaSessionDep
from backroom.tools.rtde.deps import IfMatch, StoreItem, StoreItemForUpdate
from backroom.tools.rtde.errors import ItemChanged, ItemNotFound
from backroom.tools.rtde.models import RTDEItem
from backroom.tools.rtde.schemas import (
    HistoryEntry,
    HistoryPage,
    ItemCreate,
    ItemDeleted,
    ItemEnvelope,
    ItemList,
    ItemMessage,
    ItemRead,
    ItemUpdate,
    Message,
    ReorderRequest,
)
from backroom.tools.rtde.service import items as item_service
from backroom.tools.rtde.service import sessions as session_service

router = APIRouter()

_ETAG = {
    "ETag": {"description": 'The item\'s version, `"<version>"`.', "schema": {"type": "string"}}
}
_ITEM_OK: dict[int | str, dict[str, Any]] = {200: {"headers": _ETAG}}
_CREATED: dict[int | str, dict[str, Any]] = {
    201: {
        "headers": {
            **_ETAG,
            "Location": {"description": "The new item.", "schema": {"type": "string"}},
        }
    }
}
_BODY_ERRORS = (BadRequest, UnsupportedMediaType, Unprocessable)


def _etag(item: RTDEItem) -> str:
    return f'"{item.version}"'


@router.get("/admin/items", response_model=ItemList, responses=problem_responses(Unprocessable))
async def list_items(
    admin: StoreAdmin,
    session: SessionDep,
    include_inactive: Annotated[bool, Query(description="Also the deactivated items.")] = False,
) -> ItemList:
    """The store's items in display order."""
    rows = await item_service.list_items(session, admin.store_id, include_inactive=include_inactive)
    return ItemList(items=[ItemRead.from_item(item) for item in rows])


@router.post(
    "/admin/items",
    status_code=201,
    response_model=ItemMessage,
    responses={
        **_CREATED,
        **problem_responses(*_BODY_ERRORS, IdempotencyKeyReused, IdempotencyInProgress),
    },
)
async def create_item(
    request: Request,
    body: ItemCreate,
    admin: StoreAdmin,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Add an item at the end of the display order. Send `Idempotency-Key` to retry safely."""
    replay = await idempotency.claim(owner_id=admin.user_id, payload=body.model_dump(mode="json"))
    if replay is not None:
        return replay
    item = await item_service.create_item(session, admin, body)
    payload = ItemMessage(message="Item created", item=ItemRead.from_item(item))
    response = JSONResponse(
        payload.model_dump(mode="json"),
        status_code=201,
        headers={"Location": f"{request.url.path.rstrip('/')}/{item.id}", "ETag": _etag(item)},
    )
    await idempotency.save(response)
    return response


# Declared before `/admin/items/{item_id}`, which would otherwise take "reorder" for an id.
@router.put(
    "/admin/items/reorder",
    response_model=Message,
    responses=problem_responses(ItemNotFound, *_BODY_ERRORS),
)
async def reorder_items(body: ReorderRequest, admin: StoreAdmin, session: SessionDep) -> Message:
    """Set the display order; the store's items are numbered 1..n, all or nothing."""
    await item_service.reorder_items(session, admin, body.item_orders)
    return Message(message="Items reordered")


@router.get(
    "/admin/items/{item_id:rtde_item_id}",
    response_model=ItemEnvelope,
    responses={**_ITEM_OK, **problem_responses(ItemNotFound)},
)
async def get_item(item: StoreItem, response: Response) -> ItemEnvelope:
    """One item; its `ETag` is the version to send back in `If-Match`."""
    response.headers["ETag"] = _etag(item)
    return ItemEnvelope(item=ItemRead.from_item(item))


@router.put(
    "/admin/items/{item_id:rtde_item_id}",
    response_model=ItemMessage,
    responses={**_ITEM_OK, **problem_responses(ItemNotFound, ItemChanged, *_BODY_ERRORS)},
)
async def update_item(
    *,
    item: StoreItemForUpdate,
    body: ItemUpdate,
    expected: IfMatch,
    admin: StoreAdmin,
    session: SessionDep,
    response: Response,
) -> ItemMessage:
    """Change any of the item's fields; fields left out keep their value."""
    item = await item_service.update_item(session, item, admin, body, expected=expected)
    response.headers["ETag"] = _etag(item)
    return ItemMessage(message="Item updated", item=ItemRead.from_item(item))


@router.delete(
    "/admin/items/{item_id:rtde_item_id}",
    response_model=ItemDeleted,
    responses=problem_responses(ItemNotFound, ItemChanged),
)
async def delete_item(
    item: StoreItemForUpdate, expected: IfMatch, admin: StoreAdmin, session: SessionDep
) -> ItemDeleted:
    """Delete an item, or deactivate it when a session lists it (history keeps it)."""
    permanently = await item_service.delete_item(session, item, admin, expected=expected)
    message = "Item deleted" if permanently else "Item deactivated (it appears in past sessions)"
    return ItemDeleted(message=message, deleted_permanently=permanently)


@router.get(
    "/sessions/history", response_model=HistoryPage, responses=problem_responses(Unprocessable)
)
async def session_history(
    admin: StoreAdmin,
    session: ReplicaSessionDep,
    limit: Annotated[int, Query(ge=1, le=100, description="Page size (1-100).")] = 30,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip.")] = 0,
) -> HistoryPage:
    """The store's completed sessions, newest first: who, when, and what was pulled."""
    rows, total = await session_service.history(session, admin.store_id, limit=limit, offset=offset)
    entries = [
        HistoryEntry(
            id=row.session.id,
            user_id=row.user.id,
            user_name=row.user.name,
            started_at=row.session.started_at,
            completed_at=row.session.completed_at or row.session.started_at,
            total_items=row.progress.total_items,
            items_counted=row.progress.items_counted,
            items_pulled=row.progress.items_pulled,
        )
        for row in rows
    ]
    return HistoryPage(sessions=entries, total=total, limit=limit, offset=offset)
