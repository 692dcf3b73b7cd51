"""The tracking routes of API.md §5.1: items by code, history, suggestions, templates."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.convertors import Convertor, register_url_convertor

from backroom.accounts.deps import StoreAdmin, StoreStaff
from backroom.accounts.errors import InsufficientRole, InvalidCredentialsToken
from backroom.core.concurrency import UnreadableIfMatch
from backroom.core.db import SessionDep
from backroom.core.errors import BadRequest, Unprocessable, UnsupportedMediaType, problem_responses
from backroom.core.fastread import json_envelope, json_response
from backroom.core.idempotency import IdempotencyDep, IdempotencyInProgress, IdempotencyKeyReused
from backroom.core.mounting import Mount
from backroom.core.replica import ReplicaSessionDep
from backroom.tools.tracking.deps import (
    HISTORY_DEFAULT_LIMIT,
    ITEMS_DEFAULT_LIMIT,
    NO_NUL,
    SUGGESTIONS_DEFAULT_LIMIT,
    SUGGESTIONS_MAX_LIMIT,
    ActiveItem,
    ActiveItemForUpdate,
    CategoryParam,
    CodePath,
    HistoryLimit,
    HistoryQueryDep,
    ItemById,
    ItemIfMatch,
    ItemListQueryDep,
    ItemsLimit,
    Offset,
    TemplateById,
    is_code,
    suggestion_text,
)
from backroom.tools.tracking.errors import (
    CodeAllocationBusy,
    CodeInUse,
    CodeSpaceExhausted,
    ItemAlreadyRemoved,
    ItemChanged,
    ItemNotFound,
    ItemNotRemoved,
    SuggestionExists,
    SuggestionNotFound,
)
from backroom.tools.tracking.models import TrackingItem
from backroom.tools.tracking.schemas import (
    HistoryList,
    HistoryRead,
    ItemCreate,
    ItemEnvelope,
    ItemList,
    ItemMessage,
    ItemRead,
    ItemUpdate,
    SuggestionList,
    TemplateCreate,
    TemplateList,
    TemplateMessage,
    TemplateRead,
)
from backroom.tools.tracking.service import history, items, suggestions


class _ItemCode(Convertor[str]):
    """Any path segment but `search`, so `/items/search` belongs to the search route alone
    (its `Allow` then names GET only), while a malformed code still reaches the item routes
    and gets their 404."""

    regex = "(?!search(?:/|$))[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("tracking_code", _ItemCode())
_BY_CODE = "/items/{code:tracking_code}"

router = APIRouter(
    prefix="/tracking",
    tags=["tracking"],
    responses=problem_responses(InvalidCredentialsToken, InsufficientRole),
)

_CREATED: dict[int | str, dict[str, Any]] = {
    201: {"headers": {"Location": {"description": "The new item.", "schema": {"type": "string"}}}}
}
_BODY_ERRORS = (BadRequest, UnsupportedMediaType, Unprocessable)


# The list is the tablet's busiest read (a code is picked from it): its page arrives as
# JSON already, without an ItemRead per row (repository.py, core/jsonsql.py).
@router.get("/items", response_model=ItemList, responses=problem_responses(Unprocessable))
async def list_items(
    query: ItemListQueryDep,
    caller: StoreStaff,
    session: SessionDep,
    limit: ItemsLimit = ITEMS_DEFAULT_LIMIT,
    offset: Offset = 0,
) -> Response:
    """The store's items, newest first; `count` is how many match the filters."""
    page, total = await items.list_items(
        session, caller.store_id, query, limit=limit, offset=offset
    )
    return json_response(json_envelope(items=page, count=total))


@router.get(
    "/items/search", response_model=SuggestionList, responses=problem_responses(Unprocessable)
)
async def search_items(
    caller: StoreStaff,
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=100, pattern=NO_NUL)] = None,
    category: Annotated[CategoryParam | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=SUGGESTIONS_MAX_LIMIT)] = SUGGESTIONS_DEFAULT_LIMIT,
) -> SuggestionList:
    """Name suggestions while typing: the store's active items first, then templates."""
    text = suggestion_text(q, category)
    if text is None or category is None:
        return SuggestionList(suggestions=[])
    found = await suggestions.suggest(session, caller.store_id, category, text, limit=limit)
    return SuggestionList(suggestions=found)


_ETAG = {
    "ETag": {
        "description": 'The item\'s version, `"<version>"`: send it back in `If-Match`.',
        "schema": {"type": "string"},
    }
}


def _tag(response: Response, item: TrackingItem) -> None:
    response.headers["ETag"] = f'"{item.version}"'


@router.get(
    _BY_CODE,
    response_model=ItemEnvelope,
    responses={200: {"headers": _ETAG}, **problem_responses(ItemNotFound)},
)
async def get_item(item: ActiveItem, response: Response) -> ItemEnvelope:
    """The active item with this code; its `ETag` is the version to send in `If-Match`."""
    _tag(response, item)
    return ItemEnvelope(item=ItemRead.from_item(item))


@router.post(
    "/items",
    status_code=201,
    response_model=ItemMessage,
    responses={
        **_CREATED,
        **problem_responses(
            *_BODY_ERRORS,
            CodeInUse,
            CodeSpaceExhausted,
            CodeAllocationBusy,
            IdempotencyKeyReused,
            IdempotencyInProgress,
        ),
    },
)
async def create_item(
    request: Request,
    body: ItemCreate,
    caller: StoreStaff,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Add an item; without `code` the server picks a free one. `Idempotency-Key` is honoured."""
    replay = await idempotency.claim(owner_id=caller.user_id, payload=body.model_dump(mode="json"))
    if replay is not None:
        return replay
    item = await items.create_item(session, caller, body)
    envelope = ItemMessage(message="Item added", item=ItemRead.from_item(item))
    response = JSONResponse(
        envelope.model_dump(mode="json"),
        status_code=201,
        headers={"Location": f"{request.url.path.rstrip('/')}/{item.code}"},
    )
    await idempotency.save(response)
    return response


@router.patch(
    _BY_CODE,
    response_model=ItemMessage,
    responses={
        200: {"headers": _ETAG},
        **problem_responses(*_BODY_ERRORS, ItemNotFound, ItemChanged, UnreadableIfMatch),
    },
)
async def update_item(
    item: ActiveItemForUpdate,
    body: ItemUpdate,
    *,
    caller: StoreStaff,
    session: SessionDep,
    expected: ItemIfMatch = None,
    response: Response,
) -> ItemMessage:
    """Rename or recategorise the active item with this code (`If-Match` honoured)."""
    item = await items.update_item(session, caller, item, body, if_match=expected)
    _tag(response, item)
    return ItemMessage(message="Item updated", item=ItemRead.from_item(item))


@router.delete(
    _BY_CODE,
    response_model=ItemMessage,
    responses=problem_responses(ItemNotFound, ItemAlreadyRemoved, ItemChanged, UnreadableIfMatch),
)
async def remove_item(
    code: CodePath, caller: StoreStaff, session: SessionDep, expected: ItemIfMatch = None
) -> ItemMessage:
    """Remove the active item with this code (it stays in the list with `include_removed`)."""
    if not is_code(code):
        raise ItemNotFound
    item = await items.remove_by_code(session, caller, code, if_match=expected)
    return ItemMessage(message="Item removed", item=ItemRead.from_item(item))


@router.post(
    "/items/{item_id}/restore",
    response_model=ItemMessage,
    responses=problem_responses(ItemNotFound, ItemNotRemoved, CodeInUse),
)
async def restore_item(item: ItemById, caller: StoreStaff, session: SessionDep) -> ItemMessage:
    """Bring a removed item back, if no active item has taken its code since."""
    item = await items.restore_item(session, caller, item)
    return ItemMessage(message="Item restored", item=ItemRead.from_item(item))


@router.get("/history", response_model=HistoryList, responses=problem_responses(Unprocessable))
async def list_history(
    query: HistoryQueryDep,
    caller: StoreStaff,
    session: ReplicaSessionDep,
    limit: HistoryLimit = HISTORY_DEFAULT_LIMIT,
    offset: Offset = 0,
) -> HistoryList:
    """What was added and removed in the store, newest first; `total` counts every match."""
    rows, total = await history.list_history(
        session, caller.store_id, query, limit=limit, offset=offset
    )
    return HistoryList(
        history=[HistoryRead.from_row(row) for row in rows], count=len(rows), total=total
    )


@router.get(
    "/admin/suggestions", response_model=TemplateList, responses=problem_responses(Unprocessable)
)
async def list_templates(
    caller: StoreAdmin,
    session: SessionDep,
    category: Annotated[CategoryParam | None, Query()] = None,
) -> TemplateList:
    """The store's name templates, by category then name."""
    rows = await suggestions.list_templates(session, caller.store_id, category)
    return TemplateList(suggestions=[TemplateRead.from_row(row) for row in rows], count=len(rows))


@router.post(
    "/admin/suggestions",
    status_code=201,
    response_model=TemplateMessage,
    responses={
        201: {
            "headers": {
                "Location": {
                    "description": "The new template (where it is deleted).",
                    "schema": {"type": "string"},
                }
            }
        },
        **problem_responses(*_BODY_ERRORS, SuggestionExists),
    },
)
async def create_template(
    body: TemplateCreate,
    caller: StoreAdmin,
    session: SessionDep,
    request: Request,
    response: Response,
) -> TemplateMessage:
    """Add a name template to a category."""
    row = await suggestions.create_template(session, caller, body)
    response.headers["Location"] = f"{request.url.path.rstrip('/')}/{row.id}"
    return TemplateMessage(message="Suggestion added", suggestion=TemplateRead.from_row(row))


@router.delete(
    "/admin/suggestions/{suggestion_id}",
    status_code=204,
    response_class=Response,
    responses=problem_responses(SuggestionNotFound),
)
async def delete_template(row: TemplateById, caller: StoreAdmin, session: SessionDep) -> Response:
    """Delete a name template for good."""
    await suggestions.delete_template(session, caller, row)
    return Response(status_code=204)


mounts = (Mount(router),)
