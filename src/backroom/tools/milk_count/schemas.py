"""Request and response bodies of the milk count (API.md §5.2, CLIENTS.md milk rows).

Counts are whole numbers 0-9999: `true`, `1.5` and `"3"` are refused, so a client bug
never turns into a silent 1. (`3.0` is 3: JSON does not tell the two apart, and JSON
Schema calls it an integer.) Request bodies forbid unknown keys.
"""

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

from backroom.tools.milk_count.models import COUNT_MAX, NAME_MAX, MilkSession

CategoryName = Literal["dairy", "non_dairy"]
PhaseName = Literal["night_foh", "night_boh", "morning", "on_order", "completed"]
ReopenPhase = Literal["night_foh", "night_boh", "morning", "on_order"]
# Far more than any store stocks; bounds the work one request can ask for.
LINES_MAX = 200
DISPLAY_ORDER_MAX = 10_000


def _name(value: str) -> str:
    """Trimmed, 1-50 characters (before and after), and only text every database stores
    faithfully."""
    if len(value) > NAME_MAX:
        raise ValueError(f"must be at most {NAME_MAX} characters")
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    if len(value) > NAME_MAX:
        raise ValueError(f"must be at most {NAME_MAX} characters")
    return value


_NAME_SCHEMA = {
    "type": "string",
    "minLength": 1,
    "maxLength": NAME_MAX,
    "pattern": "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$",
}


def _whole_number(value: Any) -> Any:
    """Integers, and floats without a fraction; never booleans or text."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Name = Annotated[StrictStr, AfterValidator(_name), WithJsonSchema(_NAME_SCHEMA)]
# The bounds before the validator, so the schema states them as minimum / maximum.
Count = Annotated[StrictInt, Field(ge=0, le=COUNT_MAX), BeforeValidator(_whole_number)]
DisplayOrder = Annotated[
    StrictInt, Field(ge=1, le=DISPLAY_ORDER_MAX), BeforeValidator(_whole_number)
]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- Milk types and par levels ------------------------------------------------------------


class MilkTypeCreate(_Request):
    name: Name
    category: CategoryName
    display_order: DisplayOrder | None = None


class MilkTypeUpdate(_Request):
    """Fields left out keep their value; none of them may be null."""

    name: Annotated[Name | None, WithJsonSchema(_NAME_SCHEMA)] = None
    display_order: Annotated[
        DisplayOrder | None,
        WithJsonSchema({"type": "integer", "minimum": 1, "maximum": DISPLAY_ORDER_MAX}),
    ] = None
    active: Annotated[StrictBool | None, WithJsonSchema({"type": "boolean"})] = None

    @field_validator("name", "display_order", "active")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may be left out but not null")
        return value


class MilkTypeRead(BaseModel):
    id: uuid.UUID
    name: str
    category: CategoryName
    display_order: int
    active: bool
    par_value: int
    created_at: dt.datetime
    updated_at: dt.datetime


class MilkTypeList(BaseModel):
    milk_types: list[MilkTypeRead]


class MilkTypeMessage(BaseModel):
    message: str
    milk_type: MilkTypeRead


class ParLevelUpdate(_Request):
    par_value: Count


class ParLevelRead(BaseModel):
    id: uuid.UUID
    milk_type_id: uuid.UUID
    milk_type_name: str
    milk_type_category: CategoryName
    par_value: int
    updated_at: dt.datetime
    updated_by: uuid.UUID | None
    updated_by_name: str | None
    version: int


class ParLevelList(BaseModel):
    par_levels: list[ParLevelRead]


class ParLevelMessage(BaseModel):
    message: str
    par_level: ParLevelRead


# --- Sessions ----------------------------------------------------------------------------


class SessionRead(BaseModel):
    id: uuid.UUID
    date: dt.date
    status: PhaseName
    created_at: dt.datetime
    night_foh_saved_at: dt.datetime | None
    night_boh_saved_at: dt.datetime | None
    morning_saved_at: dt.datetime | None
    on_order_saved_at: dt.datetime | None
    completed_at: dt.datetime | None
    night_count_user_id: uuid.UUID | None
    night_count_user_name: str | None
    morning_count_user_id: uuid.UUID | None
    morning_count_user_name: str | None

    @classmethod
    def from_session(cls, row: MilkSession) -> SessionRead:
        # The night count is the work of whoever saved its last part.
        night_by_boh = row.night_boh_user_id is not None
        return cls(
            id=row.id,
            date=row.business_date,
            status=row.status,  # type: ignore[arg-type]
            created_at=row.created_at,
            night_foh_saved_at=row.night_foh_saved_at,
            night_boh_saved_at=row.night_boh_saved_at,
            morning_saved_at=row.morning_saved_at,
            on_order_saved_at=row.on_order_saved_at,
            completed_at=row.completed_at,
            night_count_user_id=row.night_boh_user_id if night_by_boh else row.night_foh_user_id,
            night_count_user_name=(
                row.night_boh_user_name if night_by_boh else row.night_foh_user_name
            ),
            morning_count_user_id=row.morning_user_id,
            morning_count_user_name=row.morning_user_name,
        )


class SessionEnvelope(BaseModel):
    session: SessionRead | None


class SessionMessage(BaseModel):
    message: str
    session: SessionRead


class EntryRead(BaseModel):
    id: uuid.UUID
    session_id: uuid.UUID
    milk_type_id: uuid.UUID
    milk_type_name: str
    milk_type_category: CategoryName
    foh_count: int | None
    boh_count: int | None
    morning_method: Literal["boh_count", "direct_delivered"] | None
    current_boh: int | None
    delivered: int | None
    on_order: int | None
    par: int
    updated_at: dt.datetime


class SessionDetail(BaseModel):
    session: SessionRead
    entries: list[EntryRead]


class SummaryLine(BaseModel):
    milk_type_id: uuid.UUID
    milk_type: str
    category: CategoryName
    foh: int
    boh: int
    delivered: int
    on_order: int
    total: int
    par: int
    order: int


class Totals(BaseModel):
    total_foh: int
    total_boh: int
    total_delivered: int
    total_on_order: int
    total_inventory: int
    total_order: int


class SummaryRead(BaseModel):
    session: SessionRead
    summary: list[SummaryLine]
    totals: Totals


class HistoryPage(BaseModel):
    sessions: list[SessionRead]
    total: int
    limit: int
    offset: int


# --- Phase saves ---------------------------------------------------------------------------


class FohLine(_Request):
    milk_type_id: uuid.UUID
    foh_count: Count


class BohLine(_Request):
    milk_type_id: uuid.UUID
    boh_count: Count


class BohCountLine(_Request):
    """Counted in the back: `delivered = max(0, current_boh - night boh_count)`."""

    milk_type_id: uuid.UUID
    method: Literal["boh_count"]
    current_boh: Count
    # Worked out, not taken: accepted so clients may send both keys, then ignored.
    delivered: Count | None = None


class DirectLine(_Request):
    """Delivered straight to the shelves: the delivery is given, `current_boh` cleared."""

    milk_type_id: uuid.UUID
    method: Literal["direct_delivered"]
    delivered: Count
    current_boh: Count | None = None  # ignored


# One schema per method, so the OpenAPI document states which field each one needs.
MorningLine = Annotated[BohCountLine | DirectLine, Field(discriminator="method")]


class OnOrderLine(_Request):
    milk_type_id: uuid.UUID
    on_order: Count


class FohCounts(_Request):
    counts: Annotated[list[FohLine], Field(max_length=LINES_MAX)]


class BohCounts(_Request):
    counts: Annotated[list[BohLine], Field(max_length=LINES_MAX)]


class MorningCounts(_Request):
    counts: Annotated[list[MorningLine], Field(max_length=LINES_MAX)]


class OnOrders(_Request):
    on_orders: Annotated[list[OnOrderLine], Field(max_length=LINES_MAX)]


class Reopen(_Request):
    phase: ReopenPhase
