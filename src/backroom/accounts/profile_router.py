"""The caller's own account: read it, rename it, change its password or PIN.

A change of password or PIN checks the current one in the three steps of a sign-in
(`service.login`): the check is counted first, the hash runs with no transaction
open, and the change is written only if the verified hash is still current.
"""

from __future__ import annotations

from typing import Any, NoReturn

from fastapi import APIRouter, Response
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.deps import CurrentUser, HasherDep, Principal, SettingsDep, login_limit
from backroom.accounts.errors import InvalidCredentialsToken, WrongCurrentSecret
from backroom.accounts.schemas import (
    ChangePassword,
    ChangePin,
    ProfileUpdate,
    UserEnvelope,
    UserRead,
)
from backroom.accounts.service import login, profile
from backroom.core.config import Settings
from backroom.core.db import SessionDep, utcnow
from backroom.core.errors import BadRequest, Unprocessable, UnsupportedMediaType, problem_responses
from backroom.core.passwords import Verified
from backroom.core.ratelimit import RateLimited

router = APIRouter(tags=["auth"])

# Any route with a body can also answer 400 (not JSON) or 415 (not a JSON media type).
_BODY = (BadRequest, UnsupportedMediaType, Unprocessable)


@router.get("/auth/me", responses=problem_responses(InvalidCredentialsToken))
async def read_me(principal: CurrentUser, session: SessionDep) -> UserEnvelope:
    """The caller's account."""
    return UserEnvelope(user=UserRead.of(await profile.get_me(session, principal.user_id)))


@router.patch("/auth/me", responses=problem_responses(InvalidCredentialsToken, *_BODY))
async def update_me(
    body: ProfileUpdate, principal: CurrentUser, session: SessionDep
) -> UserEnvelope:
    """Change the caller's names. Role, email and status cannot be changed here."""
    user = await profile.update_me(session, principal.user_id, body)
    return UserEnvelope(user=UserRead.of(user))


_SECRET_ERRORS: dict[int | str, dict[str, Any]] = problem_responses(
    WrongCurrentSecret, *_BODY, RateLimited
)


@router.post(
    "/auth/change-password", status_code=204, dependencies=[login_limit], responses=_SECRET_ERRORS
)
async def change_password(
    body: ChangePassword,
    principal: CurrentUser,
    session: SessionDep,
    hasher: HasherDep,
    settings: SettingsDep,
) -> Response:
    """Set a new password; the caller's other sessions end.

    A wrong current password counts as a failed sign-in: five in a row lock the account
    and end every session of it.
    """
    now = utcnow()
    attempt = await profile.begin_password_change(session, settings, principal.user_id, body, now)
    await session.commit()  # count the attempt, and hash outside any transaction
    verified = await login.check(hasher, attempt)
    new_hash = None
    if attempt.checkable and verified.ok:
        new_hash = await hasher.hash_password(body.new_password)
    await _finish_change(
        session,
        settings,
        principal=principal,
        attempt=attempt,
        verified=verified,
        new_hash=new_hash,
    )
    return Response(status_code=204)


@router.post(
    "/auth/change-pin", status_code=204, dependencies=[login_limit], responses=_SECRET_ERRORS
)
async def change_pin(
    body: ChangePin,
    principal: CurrentUser,
    session: SessionDep,
    hasher: HasherDep,
    settings: SettingsDep,
) -> Response:
    """Set a new 4-digit PIN; the caller's other sessions end.

    A wrong current PIN counts as a failed sign-in: five in a row lock the account and
    end every session of it.
    """
    now = utcnow()
    attempt = await profile.begin_pin_change(session, settings, principal.user_id, body, now)
    await session.commit()
    verified = await login.check(hasher, attempt)
    new_hash = None
    if attempt.checkable and verified.ok:
        new_hash = await hasher.hash_pin(body.new_pin)
    await _finish_change(
        session,
        settings,
        principal=principal,
        attempt=attempt,
        verified=verified,
        new_hash=new_hash,
    )
    return Response(status_code=204)


async def _finish_change(
    session: AsyncSession,
    settings: Settings,
    *,
    principal: Principal,
    attempt: login.Attempt,
    verified: Verified,
    new_hash: str | None,
) -> None:
    changed = await profile.finish_change(
        session,
        settings,
        attempt,
        verified,
        new_hash,
        keep_session=principal.session_id,
        now=utcnow(),
    )
    if not changed:
        await _refuse(session, WrongCurrentSecret())


async def _refuse(session: AsyncSession, error: Exception) -> NoReturn:
    """Commit what the failure wrote (attempt counter, audit, lock), then fail."""
    await session.commit()
    raise error
