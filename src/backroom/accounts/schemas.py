"""Request and response bodies of the accounts routes. Requests forbid unknown keys."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

from backroom.accounts import policy
from backroom.accounts.models import Role, User

Email = Annotated[str, Field(max_length=320), AfterValidator(policy.normalize_email)]
PartnerNumber = Annotated[
    str, Field(max_length=64), AfterValidator(policy.normalize_partner_number)
]
Pin = Annotated[
    str,
    Field(max_length=16, json_schema_extra={"format": "password"}),
    AfterValidator(policy.check_pin),
]
SignInPassword = Annotated[
    str,
    Field(
        min_length=1, max_length=policy.SIGN_IN_SECRET_MAX, json_schema_extra={"format": "password"}
    ),
]
NewPassword = Annotated[str, Field(max_length=1024, json_schema_extra={"format": "password"})]
PersonName = Annotated[str, Field(max_length=300), AfterValidator(policy.check_name)]
DisplayName = Annotated[
    str,
    Field(max_length=600),
    AfterValidator(lambda value: policy.check_name(value, max_length=200)),
]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegisterRequest(Request):
    email: Email
    password: NewPassword
    first_name: PersonName
    last_name: PersonName

    @model_validator(mode="after")
    def _password_policy(self) -> RegisterRequest:
        policy.check_password(self.password, email=self.email)
        return self


class StaffSignupRequest(Request):
    partner_number: PartnerNumber
    name: DisplayName
    pin: Pin


def _signup_kind(body: Any) -> str:
    return "staff" if isinstance(body, dict) and "partner_number" in body else "register"


SignupRequest = Annotated[
    Annotated[RegisterRequest, Tag("register")] | Annotated[StaffSignupRequest, Tag("staff")],
    Discriminator(_signup_kind),
]


class EmailLogin(Request):
    email: Email
    password: SignInPassword


class PinLogin(Request):
    partner_number: PartnerNumber
    pin: Pin


def _login_kind(body: Any) -> str:
    return "pin" if isinstance(body, dict) and "partner_number" in body else "password"


LoginRequest = Annotated[
    Annotated[EmailLogin, Tag("password")] | Annotated[PinLogin, Tag("pin")],
    Discriminator(_login_kind),
]


class RefreshRequest(Request):
    refresh_token: str = Field(min_length=1, max_length=512)


class LogoutRequest(Request):
    refresh_token: str | None = Field(default=None, min_length=1, max_length=512)


class ProfileUpdate(Request):
    first_name: PersonName | None = None
    last_name: PersonName | None = None
    name: DisplayName | None = None


class ChangePassword(Request):
    current_password: SignInPassword
    new_password: NewPassword


class ChangePin(Request):
    current_pin: Pin
    new_pin: Pin


class UserCreate(Request):
    partner_number: PartnerNumber
    name: DisplayName
    pin: Pin
    role: Literal["staff", "admin"] = "staff"
    email: Email | None = None


class UserUpdate(Request):
    name: DisplayName | None = None
    role: Literal["staff", "admin"] | None = None
    is_active: bool | None = None


class PinReset(Request):
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
            email=user.email,
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
