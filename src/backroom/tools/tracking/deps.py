"""Dependencies that load and validate: an item by code or id, a template, the list queries."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import Depends, Header, Path, Query
from pydantic import BeforeValidator, WithJsonSchema

from backroom.accounts.deps import StoreAdmin, StoreStaff
from backroom.core.concurrency import IF_MATCH_PATTERN
from backroom.core.db import SessionDep
from backroom.core.errors import Unprocessable
from backroom.core.pagination import MAX_OFFSET
from backroom.tools.tracking.errors import ItemNotFound, SuggestionNotFound
from backroom.tools.tracking.models import Action, Category, TrackingItem, TrackingSuggestion
from backroom.tools.tracking.repository import ItemRepository, SuggestionRepository
from backroom.tools.tracking.schemas import (
    CODE_PATTERN,
    CategoryLabel,
    HistoryQuery,
    ItemListQuery,
    lower_if_text,
)
from backroom.tools.tracking.service.suggestions import QUERY_MIN

NO_NUL = "^[^\\u0000]*$"
ITEMS_DEFAULT_LIMIT = 1000
ITEMS_MAX_LIMIT = 10_000
HISTORY_DEFAULT_LIMIT = 100
HISTORY_MAX_LIMIT = 500
SUGGESTIONS_DEFAULT_LIMIT = 8
SUGGESTIONS_MAX_LIMIT = 15

CodePath = Annotated[str, Path(description="The item's 4-digit code, e.g. `0042`.")]


def is_code(value: str) -> bool:
    return len(value) == 4 and all("0" <= char <= "9" for char in value)


async def _active_item(
    session: SessionDep, caller: StoreStaff, code: CodePath, *, for_update: bool
) -> TrackingItem:
    # A malformed code is just another code that labels no item of this store.
    if not is_code(code):
        raise ItemNotFound
    item = await ItemRepository(session).active_by_code(
        caller.store_id, code, for_update=for_update
    )
    if item is None:
        raise ItemNotFound
    return item


async def active_item(session: SessionDep, caller: StoreStaff, code: CodePath) -> TrackingItem:
    """The active item of the caller's store with this code, or 404."""
    return await _active_item(session, caller, code, for_update=False)


async def active_item_for_update(
    session: SessionDep, caller: StoreStaff, code: CodePath
) -> TrackingItem:
    """As `active_item`, locked until the commit so concurrent writers queue."""
    return await _active_item(session, caller, code, for_update=True)


async def item_by_id(
    session: SessionDep,
    caller: StoreStaff,
    item_id: Annotated[str, Path(description="The item's id (a UUID).")],
) -> TrackingItem:
    """Any item of the caller's store, removed or not, locked for the write; else 404."""
    try:
        ident = uuid.UUID(item_id)
    except ValueError:
        raise ItemNotFound from None
    item = await ItemRepository(session).by_id(caller.store_id, ident, for_update=True)
    if item is None:
        raise ItemNotFound
    return item


async def template_by_id(
    session: SessionDep,
    caller: StoreAdmin,
    suggestion_id: Annotated[str, Path(description="The template's id (a UUID).")],
) -> TrackingSuggestion:
    try:
        ident = uuid.UUID(suggestion_id)
    except ValueError:
        raise SuggestionNotFound from None
    row = await SuggestionRepository(session).by_id(caller.store_id, ident)
    if row is None:
        raise SuggestionNotFound
    return row


ActiveItem = Annotated[TrackingItem, Depends(active_item)]
ActiveItemForUpdate = Annotated[TrackingItem, Depends(active_item_for_update)]
ItemById = Annotated[TrackingItem, Depends(item_by_id)]
TemplateById = Annotated[TrackingSuggestion, Depends(template_by_id)]
# `If-Match` of PATCH and DELETE by code, as sent: the service reads it once the item is
# found, so that an unknown code is a 404 whatever the header says.
ItemIfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description='The ETag you read (`"3"`); the write is refused with 412 if it changed.',
    ),
    # A string or absent, never null: the header has no null.
    WithJsonSchema({"type": "string", "pattern": IF_MATCH_PATTERN}),
]

CategoryParam = Annotated[CategoryLabel, BeforeValidator(lower_if_text)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]


async def item_list_query(
    category: Annotated[CategoryParam | None, Query()] = None,
    include_removed: Annotated[bool, Query(description="Removed items too.")] = False,
    q: Annotated[
        str | None,
        Query(
            max_length=100,
            pattern=NO_NUL,
            description="Name contains (any case), or code starts with.",
        ),
    ] = None,
) -> ItemListQuery:
    text = q.strip() if q else None
    return ItemListQuery(
        category=Category(category) if category else None,
        include_removed=include_removed,
        search=text or None,
    )


ItemListQueryDep = Annotated[ItemListQuery, Depends(item_list_query)]
ItemsLimit = Annotated[int, Query(ge=1, le=ITEMS_MAX_LIMIT)]


async def history_query(
    user_id: Annotated[uuid.UUID | None, Query(description="Entries by this user.")] = None,
    action: Annotated[
        Literal["ADD", "REMOVE"] | None,
        BeforeValidator(lambda value: value.upper() if isinstance(value, str) else value),
        Query(description="`ADD` or `REMOVE`, any letter case."),
    ] = None,
    item_code: Annotated[str | None, Query(pattern=CODE_PATTERN)] = None,
) -> HistoryQuery:
    return HistoryQuery(
        user_id=user_id, action=Action(action) if action else None, item_code=item_code
    )


HistoryQueryDep = Annotated[HistoryQuery, Depends(history_query)]
HistoryLimit = Annotated[int, Query(ge=1, le=HISTORY_MAX_LIMIT)]


def suggestion_text(q: str | None, category: str | None) -> str | None:
    """The trimmed text to search for, or None when it is too short to suggest anything."""
    text = (q or "").strip()
    if len(text) < QUERY_MIN:
        return None
    if category is None:
        message = "Required when q has 2 characters or more"
        raise Unprocessable(errors=[{"field": "category", "message": message}])
    return text
