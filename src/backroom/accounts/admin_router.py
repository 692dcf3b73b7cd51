"""Admin routes: the users of the admin's own store."""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from backroom.accounts.deps import (
    AdminUser,
    HasherDep,
    SettingsDep,
    StoreUser,
    StoreUserAny,
)
from backroom.accounts.errors import (
    EmailTaken,
    InsufficientRole,
    InvalidCredentialsToken,
    NotOnYourself,
    PartnerNumberTaken,
    UserAlreadyDeleted,
    UserNotDeleted,
    UserNotFound,
)
from backroom.accounts.repository import UserFilter
from backroom.accounts.schemas import (
    MessageRead,
    PinReset,
    UserCreate,
    UserList,
    UserMessage,
    UserRead,
    UserUpdate,
)
from backroom.accounts.service import admin_users
from backroom.core.config import Settings
from backroom.core.db import SessionDep, utcnow
from backroom.core.errors import (
    BadRequest,
    Unprocessable,
    UnsupportedMediaType,
    problem_responses,
)
from backroom.core.idempotency import IdempotencyDep, IdempotencyInProgress, IdempotencyKeyReused

router = APIRouter(prefix="/admin/users", tags=["admin: users"])

_GATE = (InvalidCredentialsToken, InsufficientRole)
_BODY = (BadRequest, UnsupportedMediaType, Unprocessable)


@router.get("", responses=problem_responses(*_GATE, Unprocessable))
async def list_users(
    admin: AdminUser,
    session: SessionDep,
    *,
    role: Literal["user", "staff", "admin"] | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    include_deleted: bool = False,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> UserList:
    """The store's users, newest first, filtered by role and a name/partner/email search."""
    assert admin.store_id is not None
    filters = UserFilter(role=role, q=q.strip() if q else None, include_deleted=include_deleted)
    users, count = await admin_users.list_users(
        session, admin.store_id, filters, limit=limit, offset=offset
    )
    return UserList(users=[UserRead.of(user) for user in users], count=count)


def _idempotency_payload(body: UserCreate, settings: Settings) -> dict[str, Any]:
    """The body as the Idempotency-Key compares it: the PIN only as a keyed digest.

    A plain hash of a 4-digit PIN stored beside the request would give it away.
    """
    pin = hmac.new(settings.secret_key.encode(), body.pin.encode(), hashlib.sha256).hexdigest()
    return {**body.model_dump(mode="json", exclude={"pin"}), "pin": pin}


@router.post(
    "",
    status_code=201,
    response_model=UserMessage,
    responses={
        201: {
            "headers": {"Location": {"description": "The new user.", "schema": {"type": "string"}}}
        },
        **problem_responses(
            *_GATE,
            PartnerNumberTaken,
            EmailTaken,
            *_BODY,
            IdempotencyKeyReused,
            IdempotencyInProgress,
        ),
    },
)
async def create_user(
    *,
    body: UserCreate,
    admin: AdminUser,
    session: SessionDep,
    hasher: HasherDep,
    settings: SettingsDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Create a staff member or admin of this store, who signs in with partner number + PIN.

    Send `Idempotency-Key` to make a retry safe.
    """
    pin_hash = await hasher.hash_pin(body.pin)  # before the first query: no transaction waits
    replay = await idempotency.claim(
        owner_id=admin.user_id, payload=_idempotency_payload(body, settings)
    )
    if replay is not None:
        return replay
    user = await admin_users.create_user(session, admin.actor, body, pin_hash=pin_hash)
    created = UserMessage(message="User created", user=UserRead.of(user))
    response = JSONResponse(
        created.model_dump(mode="json"),
        status_code=201,
        headers={"Location": f"/api/admin/users/{user.id}"},
    )
    await idempotency.save(response)
    return response


@router.patch(
    "/{user_id}", responses=problem_responses(*_GATE, NotOnYourself, UserNotFound, *_BODY)
)
async def update_user(
    body: UserUpdate, user: StoreUser, admin: AdminUser, session: SessionDep
) -> UserMessage:
    """Rename, change the role of, or (de)activate a user. Not yourself (403)."""
    updated = await admin_users.update_user(session, admin.actor, user, body, utcnow())
    return UserMessage(message="User updated", user=UserRead.of(updated))


@router.post("/{user_id}/reset-pin", responses=problem_responses(*_GATE, UserNotFound, *_BODY))
async def reset_pin(
    body: PinReset, user: StoreUser, admin: AdminUser, session: SessionDep, hasher: HasherDep
) -> MessageRead:
    """Give the user a new PIN; their sessions end and any lock is lifted."""
    await admin_users.reset_pin(session, hasher, admin.actor, user=user, pin=body.pin, now=utcnow())
    return MessageRead(message="PIN reset")


@router.post("/{user_id}/unlock", responses=problem_responses(*_GATE, UserNotFound))
async def unlock_user(user: StoreUser, admin: AdminUser, session: SessionDep) -> MessageRead:
    """Lift a sign-in lock and clear the failure counter."""
    await admin_users.unlock_user(session, admin.actor, user)
    return MessageRead(message="User unlocked")


@router.delete(
    "/{user_id}",
    responses=problem_responses(*_GATE, NotOnYourself, UserNotFound, UserAlreadyDeleted),
)
async def delete_user(user: StoreUserAny, admin: AdminUser, session: SessionDep) -> UserMessage:
    """Soft-delete a user: they cannot sign in and their tokens stop working."""
    deleted = await admin_users.delete_user(session, admin.actor, user, utcnow())
    return UserMessage(message="User deleted", user=UserRead.of(deleted))


@router.post(
    "/{user_id}/restore", responses=problem_responses(*_GATE, UserNotFound, UserNotDeleted)
)
async def restore_user(user: StoreUserAny, admin: AdminUser, session: SessionDep) -> UserMessage:
    """Bring back a soft-deleted user."""
    restored = await admin_users.restore_user(session, admin.actor, user)
    return UserMessage(message="User restored", user=UserRead.of(restored))
