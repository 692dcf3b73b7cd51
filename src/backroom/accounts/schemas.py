"""Request and response bodies of the accounts routes. Requests forbid unknown keys."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)

from backroom.accounts import policy
from backroom.accounts.models import Role, User

# The JSON Schema states what the validators check (patterns are documented there and
# checked by the policy functions, whose messages are friendlier than a regex).
EMAIL_PATTERN = r"^\s*" + policy.EMAIL_PATTERN.strip("^$") + r"\s*$"
PARTNER_NUMBER_PATTERN = r"^\s*[A-Za-z0-9]{4,20}\s*$"
PIN_PATTERN = r"^[0-9]{4}$"
# A name: no control characters, and at least one character that is not white space.
# Stated in the schema in the JSON Schema (ECMA-262) dialect, which agrees with
# `policy.check_name` once control characters are out.
_CONTROL = r"\u0000-\u001f\u007f-\u009f\ufeff"
NOT_BLANK = rf"^[^{_CONTROL}]*[^\s{_CONTROL}][^{_CONTROL}]*$"

Email = Annotated[
    str,
    Field(max_length=254, json_schema_extra={"pattern": EMAIL_PATTERN}),
    AfterValidator(policy.normalize_email),
]
PartnerNumber = Annotated[
    str,
    Field(max_length=64, json_schema_extra={"pattern": PARTNER_NUMBER_PATTERN}),
    AfterValidator(policy.normalize_partner_number),
]
Pin = Annotated[
    str,
    Field(
        json_schema_extra={
            "pattern": PIN_PATTERN,
            "minLength": 4,
            "maxLength": 4,
            "format": "password",
        }
    ),
    AfterValidator(policy.check_pin),
]
SignInPassword = Annotated[
    str,
    Field(
        min_length=1, max_length=policy.SIGN_IN_SECRET_MAX, json_schema_extra={"format": "password"}
    ),
]
NewPassword = Annotated[
    str,
    Field(
        min_length=policy.PASSWORD_MIN,
        max_length=policy.PASSWORD_MAX,
        json_schema_extra=lambda schema: schema.update(
            {"format": "password", "not": {"enum": sorted(policy.common_passwords())}}
        ),
    ),
    AfterValidator(policy.check_password),
]
PersonName = Annotated[
    str,
    Field(min_length=1, max_length=100, json_schema_extra={"pattern": NOT_BLANK}),
    AfterValidator(policy.check_name),
]
# The display name (`name`) obeys the same 1-100 characters as first and last names
# (API.md), whoever sets it: the user, a staff sign-up or an admin.
DisplayName = PersonName


def one_of(*shapes: tuple[str, ...]) -> Callable[[dict[str, Any]], None]:
    """Describe a flat body that accepts exactly one of several key sets as `oneOf`."""

    def describe(schema: dict[str, Any]) -> None:
        properties = schema.pop("properties")
        schema.pop("required", None)
        schema.pop("additionalProperties", None)
        schema["oneOf"] = [
            {
                "type": "object",
                "properties": {name: _not_null(properties[name]) for name in shape},
                "required": list(shape),
                "additionalProperties": False,
            }
            for shape in shapes
        ]

    return describe


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    options = [option for option in schema.get("anyOf", []) if option.get("type") != "null"]
    rest = {k: v for k, v in schema.items() if k not in {"anyOf", "default"}}
    return {**rest, **options[0]} if options else rest


class RequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegisterRequest(RequestBody):
    email: Email
    password: NewPassword
    first_name: PersonName
    last_name: PersonName

    @model_validator(mode="after")
    def _password_policy(self) -> RegisterRequest:
        policy.check_password(self.password, email=self.email)
        return self


class StaffSignupRequest(RequestBody):
    partner_number: PartnerNumber
    name: DisplayName
    pin: Pin


_REGISTER_SHAPE = ("email", "password", "first_name", "last_name")
_STAFF_SHAPE = ("partner_number", "name", "pin")
_PASSWORD_SHAPE = ("email", "password")
_PIN_SHAPE = ("partner_number", "pin")


class SignupRequest(RequestBody):
    """Either the register body (`email`, `password`, `first_name`, `last_name`) or a staff
    self-signup (`partner_number`, `name`, `pin`)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra=one_of(_REGISTER_SHAPE, _STAFF_SHAPE)
    )

    email: Email | None = None
    password: NewPassword | None = None
    first_name: PersonName | None = None
    last_name: PersonName | None = None
    partner_number: PartnerNumber | None = None
    name: DisplayName | None = None
    pin: Pin | None = None

    @model_validator(mode="after")
    def _one_shape(self) -> SignupRequest:
        wanted = _STAFF_SHAPE if self.partner_number is not None else _REGISTER_SHAPE
        _require_shape(self, wanted, _STAFF_SHAPE + _REGISTER_SHAPE)
        if self.password is not None:
            policy.check_password(self.password, email=self.email)
        return self

    # Already validated above, so the narrower models are built without validating again.
    def as_register(self) -> RegisterRequest:
        fields = {"email", "password", "first_name", "last_name"}
        return RegisterRequest.model_construct(**self.model_dump(include=fields))

    def as_staff(self) -> StaffSignupRequest:
        fields = {"partner_number", "name", "pin"}
        return StaffSignupRequest.model_construct(**self.model_dump(include=fields))


class LoginRequest(RequestBody):
    """Either `email` + `password` or `partner_number` + `pin`."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=one_of(_PASSWORD_SHAPE, _PIN_SHAPE))

    email: Email | None = None
    password: SignInPassword | None = None
    partner_number: PartnerNumber | None = None
    pin: Pin | None = None

    @model_validator(mode="after")
    def _one_shape(self) -> LoginRequest:
        by_pin = self.partner_number is not None or self.pin is not None
        _require_shape(
            self, _PIN_SHAPE if by_pin else _PASSWORD_SHAPE, _PASSWORD_SHAPE + _PIN_SHAPE
        )
        return self

    def parts(self) -> tuple[Literal["password", "pin"], str, str]:
        """(kind, identifier, secret) of a validated body."""
        if self.partner_number is not None and self.pin is not None:
            return "pin", self.partner_number, self.pin
        return "password", self.email or "", self.password or ""


def _require_shape(model: BaseModel, wanted: tuple[str, ...], every: tuple[str, ...]) -> None:
    nulls = sorted(name for name in model.model_fields_set if getattr(model, name) is None)
    if nulls:
        raise ValueError(f"{', '.join(nulls)} must not be null")
    missing = [name for name in wanted if getattr(model, name) is None]
    mixed = [name for name in every if name not in wanted and getattr(model, name) is not None]
    if mixed:
        raise ValueError(f"send either {' and '.join(wanted)}, not {', '.join(mixed)}")
    if missing:
        raise ValueError(f"{', '.join(missing)} required")


class RefreshRequest(RequestBody):
    refresh_token: str = Field(min_length=1, max_length=512)


class LogoutRequest(RequestBody):
    refresh_token: str | None = Field(default=None, min_length=1, max_length=512)


class ProfileUpdate(RequestBody):
    first_name: PersonName | None = None
    last_name: PersonName | None = None
    name: DisplayName | None = None


class ChangePassword(RequestBody):
    current_password: SignInPassword
    new_password: NewPassword


class ChangePin(RequestBody):
    current_pin: Pin
    new_pin: Pin


class UserCreate(RequestBody):
    partner_number: PartnerNumber
    name: DisplayName
    pin: Pin
    role: Literal["staff", "admin"] = "staff"
    email: Email | None = None


class UserUpdate(RequestBody):
    name: DisplayName | None = None
    role: Literal["staff", "admin"] | None = None
    is_active: bool | None = None


class PinReset(RequestBody):
    pin: Pin


class UserRead(BaseModel):
    id: uuid.UUID
    email: str | None
    partner_number: str | None
    name: str
    first_name: str | None
    last_name: str | None
    role: Role
    store_id: uuid.UUID | None
    is_active: bool
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, user: User) -> UserRead:
        return cls(
            id=user.id,
            email=user.shown_email,
            partner_number=user.partner_number,
            name=user.name,
            first_name=user.first_name,
            last_name=user.last_name,
            role=Role(user.role),
            store_id=user.store_id,
            is_active=user.is_active,
            created_at=user.created_at,
            updated_at=user.updated_at,
        )


class UserEnvelope(BaseModel):
    user: UserRead


class MessageRead(BaseModel):
    message: str


class UserMessage(BaseModel):
    message: str
    user: UserRead


class UserList(BaseModel):
    users: list[UserRead]
    count: int


class TokenResponse(BaseModel):
    access_token: str
    token: str = Field(description="The same as `access_token` (store-tools clients read it).")
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    user: UserRead
