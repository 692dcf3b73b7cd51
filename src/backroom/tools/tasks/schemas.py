"""Request and response bodies of the tasks API, and the parsed list query."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    WithJsonSchema,
    field_validator,
)

from backroom.tools.tasks.models import (
    DESCRIPTION_MAX,
    TAG_MAX,
    TAGS_MAX,
    TITLE_MAX,
    Priority,
    Task,
    fold,
)

PriorityLabel = Literal["low", "medium", "high"]
PRIORITY_LABELS: dict[Priority, PriorityLabel] = {
    Priority.LOW: "low",
    Priority.MEDIUM: "medium",
    Priority.HIGH: "high",
}


def check_text(value: str) -> str:
    """Refuse what no database stores faithfully: NUL characters and lone surrogates."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


def _title(value: str) -> str:
    value = check_text(value).strip()
    if not value:
        raise ValueError("must not be blank")
    if len(value) > TITLE_MAX:
        raise ValueError(f"must be at most {TITLE_MAX} characters")
    return value


def _tags(values: list[str]) -> list[str]:
    """Trimmed, 1-50 characters each; a later spelling of a tag already given is dropped."""
    seen: set[str] = set()
    tags = []
    for raw in values:
        name = check_text(raw).strip()
        if not 1 <= len(name) <= TAG_MAX:
            raise ValueError(f"each tag must be 1 to {TAG_MAX} characters")
        if fold(name) not in seen:
            seen.add(fold(name))
            tags.append(name)
    return tags


def lower_if_text(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _only_text(value: Any) -> Any:
    # A number would be read as a Unix timestamp; ask for ISO 8601 instead.
    if value is not None and not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date-time string")
    return value


def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """An aware datetime in UTC; a naive one is taken to be UTC already."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError("is out of range") from None


# What the OpenAPI document states about text, so generated clients and fuzzers send what
# the validators accept: no NUL, and not blank where trimming applies.
NO_NUL = "^[^\\u0000]*$"
_NOT_BLANK = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
_TITLE_SCHEMA = {"type": "string", "minLength": 1, "maxLength": TITLE_MAX, "pattern": _NOT_BLANK}
_TAG_SCHEMA = {"type": "string", "minLength": 1, "maxLength": TAG_MAX, "pattern": _NOT_BLANK}

Title = Annotated[StrictStr, AfterValidator(_title), WithJsonSchema(_TITLE_SCHEMA)]
Description = Annotated[
    StrictStr,
    AfterValidator(check_text),
    Field(max_length=DESCRIPTION_MAX, json_schema_extra={"pattern": NO_NUL}),
]
Tags = Annotated[
    list[Annotated[StrictStr, WithJsonSchema(_TAG_SCHEMA)]],
    Field(max_length=TAGS_MAX),
    AfterValidator(_tags),
]
PriorityInput = Annotated[PriorityLabel, BeforeValidator(lower_if_text)]
DueDate = Annotated[dt.datetime, BeforeValidator(_only_text), AfterValidator(as_utc)]


class TaskCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    description: Description | None = None
    priority: PriorityInput = "medium"
    due_date: DueDate | None = None
    tags: Tags | None = None
    completed: StrictBool = False


class TaskUpdate(BaseModel):
    """PUT and PATCH: the fields sent are changed, the others keep their value."""

    model_config = ConfigDict(extra="forbid")

    # Optional but not nullable: the schema says so, the validator below enforces it.
    title: Annotated[Title | None, WithJsonSchema(_TITLE_SCHEMA)] = None
    description: Description | None = None
    priority: Annotated[
        PriorityInput | None, WithJsonSchema({"type": "string", "enum": ["low", "medium", "high"]})
    ] = None
    due_date: DueDate | None = None
    tags: Tags | None = None
    completed: Annotated[StrictBool | None, WithJsonSchema({"type": "boolean"})] = None

    @field_validator("title", "priority", "completed")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may be left out but not null")
        return value

    def changes(self) -> dict[str, Any]:
        """The fields the client sent, by name (`None` clears description and due date)."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class TaskComplete(BaseModel):
    model_config = ConfigDict(extra="forbid")

    completed: StrictBool


class TaskRead(BaseModel):
    id: int
    user_id: uuid.UUID
    title: str
    description: str | None
    completed: bool
    priority: PriorityLabel
    due_date: dt.datetime | None
    tags: list[str]
    created_at: dt.datetime
    updated_at: dt.datetime
    completed_at: dt.datetime | None
    version: int

    @classmethod
    def from_task(cls, task: Task) -> TaskRead:
        return cls(
            id=task.id,
            user_id=task.user_id,
            title=task.title,
            description=task.description,
            completed=task.completed,
            priority=PRIORITY_LABELS[Priority(task.priority)],
            due_date=task.due_at,
            tags=task.tag_names,
            created_at=task.created_at,
            updated_at=task.updated_at,
            completed_at=task.completed_at,
            version=task.version,
        )


class TagCount(BaseModel):
    name: str
    count: int


SortField = Literal["created", "updated", "title", "due_date", "priority"]


@dataclass(frozen=True, slots=True)
class TaskListQuery:
    """The list filters and order, parsed and checked; every value is already normalised."""

    completed: bool | None = None
    search: str | None = None
    priority: Priority | None = None
    tags: tuple[str, ...] = ()
    due_before: dt.datetime | None = None
    due_after: dt.datetime | None = None
    overdue_at: dt.datetime | None = None
    sort: SortField = "created"
    descending: bool = True
    # Everything above except the paging, for the cursor fingerprint.
    fingerprint_parts: tuple[object, ...] = field(default=(), compare=False)
