"""Admin routes: the users of the admin's own store."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from backroom.accounts.deps import AdminUser, HasherDep, StoreUser, StoreUserAny
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
from backroom.core.db import SessionDep, utcnow
from backroom.core.errors import (
    BadRequest,
    Unprocessable,
    UnsupportedMediaType,
    problem_responses,
)

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


@router.post(
    "",
    status_code=201,
    responses=problem_responses(*_GATE, PartnerNumberTaken, EmailTaken, *_BODY),
)
async def create_user(
    body: UserCreate, admin: AdminUser, session: SessionDep, hasher: HasherDep, response: Response
) -> UserMessage:
    """Create a staff member or admin of this store, who signs in with partner number + PIN."""
    user = await admin_users.create_user(session, hasher, admin.actor, body)
    response.headers["Location"] = f"/api/admin/users/{user.id}"
    return UserMessage(message="User created", user=UserRead.of(user))


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
