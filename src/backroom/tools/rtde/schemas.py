"""Request and response bodies of the RTD&E API (API.md §5.3, CLIENTS.md)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    WithJsonSchema,
    field_validator,
)

from backroom.tools.rtde.models import (
    BRAND_MAX,
    COUNT_MAX,
    COUNT_MIN,
    ICON_MAX,
    IMAGE_FILENAME_MAX,
    NAME_MAX,
    PAR_MAX,
    PAR_MIN,
    RTDEItem,
)

MAX_DISPLAY_ORDER = 1_000_000
MAX_REORDER_ITEMS = 1000


def _text(value: str) -> str:
    """Trimmed; refuses what no database stores faithfully (NUL, lone surrogates)."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value.strip()


def _name(value: str) -> str:
    value = _text(value)
    if not value:
        raise ValueError("must not be blank")
    if len(value) > NAME_MAX:
        raise ValueError(f"must be at most {NAME_MAX} characters")
    return value


def _optional(limit: int) -> Any:
    def check(value: str) -> str | None:
        value = _text(value)
        if len(value) > limit:
            raise ValueError(f"must be at most {limit} characters")
        return value or None

    return AfterValidator(check)


def _file_name(value: str | None) -> str | None:
    # A plain file name: never a path that could reach outside the images folder.
    if value is not None and ("/" in value or "\\" in value or ".." in value):
        raise ValueError("must be a plain file name (no '/', '\\' or '..')")
    return value


_NO_NUL = "^[^\\u0000]*$"
_NAME_SCHEMA = {
    "type": "string",
    "minLength": 1,
    "maxLength": NAME_MAX,
    "pattern": "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$",
}
_FILE_SCHEMA = {
    "type": "string",
    "maxLength": IMAGE_FILENAME_MAX,
    "pattern": "^(?!.*\\.\\.)[^/\\\\\\u0000]*$",
}

# Lengths are checked as sent and again after trimming, so the schema's bounds are exact.
Name = Annotated[
    StrictStr, Field(max_length=NAME_MAX), AfterValidator(_name), WithJsonSchema(_NAME_SCHEMA)
]
Brand = Annotated[
    StrictStr,
    Field(max_length=BRAND_MAX, json_schema_extra={"pattern": _NO_NUL}),
    _optional(BRAND_MAX),
]
Icon = Annotated[
    StrictStr,
    Field(max_length=ICON_MAX, json_schema_extra={"pattern": _NO_NUL}),
    _optional(ICON_MAX),
]
ImageFilename = Annotated[
    StrictStr,
    Field(max_length=IMAGE_FILENAME_MAX),
    _optional(IMAGE_FILENAME_MAX),
    AfterValidator(_file_name),
    WithJsonSchema(_FILE_SCHEMA),
]


def _whole_number(value: Any) -> Any:
    """JSON Schema's integer: `5` and `5.0` are integers; `5.5`, `"5"` and `true` are not."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Whole = BeforeValidator(_whole_number)
ParLevel = Annotated[StrictInt, Field(ge=PAR_MIN, le=PAR_MAX), Whole]
DisplayOrder = Annotated[StrictInt, Field(ge=0, le=MAX_DISPLAY_ORDER), Whole]
Quantity = Annotated[StrictInt, Field(ge=COUNT_MIN, le=COUNT_MAX), Whole]


class ItemCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    par_level: ParLevel
    brand: Brand | None = None
    icon: Icon | None = None
    image_filename: ImageFilename | None = None
    active: StrictBool = True


class ItemUpdate(BaseModel):
    """PUT: the fields sent change; the others keep their value. `null` clears the
    optional texts; `name`, `par_level`, `active` and `display_order` cannot be null."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[Name | None, WithJsonSchema(_NAME_SCHEMA)] = None
    par_level: Annotated[
        ParLevel | None, WithJsonSchema({"type": "integer", "minimum": PAR_MIN, "maximum": PAR_MAX})
    ] = None
    brand: Brand | None = None
    icon: Icon | None = None
    image_filename: ImageFilename | None = None
    active: Annotated[StrictBool | None, WithJsonSchema({"type": "boolean"})] = None
    display_order: Annotated[
        DisplayOrder | None,
        WithJsonSchema({"type": "integer", "minimum": 0, "maximum": MAX_DISPLAY_ORDER}),
    ] = None

    @field_validator("name", "par_level", "active", "display_order")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may be left out but not null")
        return value

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in sorted(self.model_fields_set)}


class ItemRead(BaseModel):
    id: uuid.UUID
    name: str
    brand: str | None
    image_filename: str | None
    icon: str | None
    par_level: int
    display_order: int
    active: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int

    @classmethod
    def from_item(cls, item: RTDEItem) -> ItemRead:
        return cls(
            id=item.id,
            name=item.name,
            brand=item.brand,
            image_filename=item.image_filename,
            icon=item.icon,
            par_level=item.par_level,
            display_order=item.display_order,
            active=item.active,
            created_at=item.created_at,
            updated_at=item.updated_at,
            version=item.version,
        )


class ItemList(BaseModel):
    items: list[ItemRead]


class ItemEnvelope(BaseModel):
    item: ItemRead


class ItemMessage(BaseModel):
    message: str
    item: ItemRead


class ItemDeleted(BaseModel):
    message: str
    deleted_permanently: bool


class ItemOrder(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID
    display_order: DisplayOrder


class ReorderRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item_orders: Annotated[list[ItemOrder], Field(min_length=1, max_length=MAX_REORDER_ITEMS)]

    @field_validator("item_orders")
    @classmethod
    def _distinct(cls, orders: list[ItemOrder]) -> list[ItemOrder]:
        ids = [order.id for order in orders]
        if len(set(ids)) != len(ids):
            raise ValueError("each item may appear only once")
        return orders


class Message(BaseModel):
    message: str


class StartRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["new", "resume"] = "new"


class SessionStarted(BaseModel):
    session_id: uuid.UUID
    expires_at: dt.datetime


class ActiveSession(BaseModel):
    id: uuid.UUID
    started_at: dt.datetime
    expires_at: dt.datetime
    items_counted: int
    total_items: int


class ActiveSessionEnvelope(BaseModel):
    session: ActiveSession | None


class LastCompleted(BaseModel):
    last_completed_at: dt.datetime | None
    user_name: str | None


class SessionRead(BaseModel):
    id: uuid.UUID
    user_id: uuid.UUID
    status: Literal["in_progress", "completed", "expired"]
    started_at: dt.datetime
    expires_at: dt.datetime
    completed_at: dt.datetime | None


class SessionItem(BaseModel):
    item_id: uuid.UUID
    name: str
    brand: str | None
    image_filename: str | None
    icon: str | None
    par_level: int
    display_order: int
    counted_quantity: int | None
    need_quantity: int
    is_pulled: bool


class SessionView(BaseModel):
    session: SessionRead
    items: list[SessionItem]


class CountRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item_id: uuid.UUID
    counted_quantity: Quantity


class CountResult(BaseModel):
    message: str
    counted_quantity: int
    need_quantity: int


class PullItem(BaseModel):
    item_id: uuid.UUID
    name: str
    brand: str | None
    image_filename: str | None
    icon: str | None
    need_quantity: int
    is_pulled: bool


class PullList(BaseModel):
    pull_list: list[PullItem]
    total_items: int
    items_pulled: int


class PullRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item_id: uuid.UUID
    is_pulled: StrictBool


class HistoryEntry(BaseModel):
    id: uuid.UUID
    user_id: uuid.UUID
    user_name: str
    started_at: dt.datetime
    completed_at: dt.datetime
    total_items: int
    items_counted: int
    items_pulled: int


class HistoryPage(BaseModel):
    sessions: list[HistoryEntry]
    total: int
    limit: int
    offset: int
