"""Request and response bodies of the tracking API (the envelopes of API.md §5.1)."""

from __future__ import annotations

import datetime as dt
import unicodedata
import uuid
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StrictStr,
    WithJsonSchema,
    field_validator,
)

from backroom.core.fastread import RowEncoder
from backroom.tools.tracking.models import (
    NAME_MAX,
    NAME_MIN,
    Action,
    Category,
    TrackingHistory,
    TrackingItem,
    TrackingSuggestion,
)

CODE_PATTERN = "^[0-9]{4}$"
CategoryLabel = Literal[
    "syrups", "sauces", "coffee_beans", "powders", "cups", "lids",
    "condiments", "cleaning_supplies", "other",
]  # fmt: skip
_CATEGORY_SCHEMA = {"type": "string", "enum": [category.value for category in Category]}
# What the OpenAPI document says about a name, so fuzzers send what the validator accepts:
# visible characters at both ends, 2-100 of them once the surrounding spaces are trimmed.
_CONTROL = "\\x00-\\x1f\\x7f-\\x9f"
_SPACE = f"[^\\S{_CONTROL}]"
_VISIBLE = f"[^\\s{_CONTROL}]"
_NAME_SCHEMA = {
    "type": "string",
    "pattern": f"^{_SPACE}*{_VISIBLE}[^{_CONTROL}]{{0,{NAME_MAX - 2}}}{_VISIBLE}{_SPACE}*$",
}


def lower_if_text(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def check_name(value: str) -> str:
    """Trimmed, 2-100 characters, no control characters (NUL included), valid Unicode."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    if any(unicodedata.category(char) == "Cc" for char in value):
        raise ValueError("must not contain control characters")
    value = value.strip()
    if not NAME_MIN <= len(value) <= NAME_MAX:
        raise ValueError(f"must be {NAME_MIN} to {NAME_MAX} characters after trimming")
    return value


def _code(value: str) -> str:
    # `isdigit` would let full-width and other Unicode digits through.
    if len(value) != 4 or not all("0" <= char <= "9" for char in value):
        raise ValueError('must be exactly 4 digits, as a string (e.g. "0042")')
    return value


Name = Annotated[StrictStr, AfterValidator(check_name), WithJsonSchema(_NAME_SCHEMA)]
CategoryInput = Annotated[
    CategoryLabel, BeforeValidator(lower_if_text), WithJsonSchema(_CATEGORY_SCHEMA)
]
Code = Annotated[
    StrictStr, AfterValidator(_code), WithJsonSchema({"type": "string", "pattern": CODE_PATTERN})
]


class ItemCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    category: CategoryInput
    # Left out or null: the server picks a free code.
    code: Annotated[
        Code | None,
        WithJsonSchema({"anyOf": [{"type": "string", "pattern": CODE_PATTERN}, {"type": "null"}]}),
    ] = None


class ItemUpdate(BaseModel):
    """Rename or recategorise: the fields sent change, the others keep their value."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[Name | None, WithJsonSchema(_NAME_SCHEMA)] = None
    category: Annotated[CategoryInput | None, WithJsonSchema(_CATEGORY_SCHEMA)] = None

    @field_validator("name", "category")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may be left out but not null")
        return value

    def changes(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class ItemRead(BaseModel):
    id: uuid.UUID
    name: str
    category: CategoryLabel
    code: str
    added_by: uuid.UUID | None
    added_by_name: str | None
    added_at: dt.datetime
    is_removed: bool
    removed_at: dt.datetime | None
    removed_by: uuid.UUID | None
    removed_by_name: str | None

    @classmethod
    def from_item(cls, item: TrackingItem) -> ItemRead:
        return cls.model_validate(item, from_attributes=True)


# The fast read path's serialiser of an `ItemRead` row (core/fastread.py).
ITEM_JSON = RowEncoder(ItemRead)


class ItemList(BaseModel):
    items: list[ItemRead]
    count: int


class ItemMessage(BaseModel):
    message: str
    item: ItemRead


class ItemEnvelope(BaseModel):
    item: ItemRead


class ExistingSuggestion(BaseModel):
    name: str
    source: Literal["existing"] = "existing"
    code: str


class TemplateSuggestion(BaseModel):
    name: str
    source: Literal["template"] = "template"


class SuggestionList(BaseModel):
    suggestions: list[ExistingSuggestion | TemplateSuggestion]


class HistoryRead(BaseModel):
    id: uuid.UUID
    action: Literal["ADD", "REMOVE"]
    item_id: uuid.UUID
    item_name: str
    item_code: str
    user_id: uuid.UUID | None
    user_name: str | None
    timestamp: dt.datetime
    notes: str | None

    @classmethod
    def from_row(cls, row: TrackingHistory) -> HistoryRead:
        return cls.model_validate(row, from_attributes=True)


class HistoryList(BaseModel):
    history: list[HistoryRead]
    count: int
    total: int


class TemplateCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: CategoryInput
    name: Name


class TemplateRead(BaseModel):
    id: uuid.UUID
    category: CategoryLabel
    name: str
    created_at: dt.datetime

    @classmethod
    def from_row(cls, row: TrackingSuggestion) -> TemplateRead:
        return cls.model_validate(row, from_attributes=True)


class TemplateList(BaseModel):
    suggestions: list[TemplateRead]
    count: int


class TemplateMessage(BaseModel):
    message: str
    suggestion: TemplateRead


@dataclass(frozen=True, slots=True)
class ItemListQuery:
    category: Category | None = None
    include_removed: bool = False
    search: str | None = None


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    user_id: uuid.UUID | None = None
    action: Action | None = None
    item_code: str | None = None
