"""Accounts routes: sign-up, sign-in and tokens (the caller's own account: `profile_router`)."""

from __future__ import annotations

from typing import Annotated, NoReturn

from fastapi import APIRouter, Body, Depends, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts import admin_router, oauth_form, profile_router
from backroom.accounts.deps import (
    CurrentUser,
    HasherDep,
    LimiterDep,
    SettingsDep,
    UserAgent,
    login_limit,
    refresh_limit,
    register_limit,
)
from backroom.accounts.errors import (
    EmailTaken,
    InvalidCredentials,
    InvalidCredentialsToken,
    InvalidRefreshToken,
    PartnerNumberTaken,
    RegistrationClosed,
    StaffSignupClosed,
)
from backroom.accounts.schemas import (
    LoginRequest,
    LogoutRequest,
    RefreshRequest,
    RegisterRequest,
    SignupRequest,
    TokenResponse,
    UserMessage,
    UserRead,
)
from backroom.accounts.service import login, registration, tokens
from backroom.accounts.service.login import Credentials
from backroom.accounts.service.tokens import IssuedTokens
from backroom.core.db import SessionDep, utcnow
from backroom.core.errors import (
    BadRequest,
    Unprocessable,
    UnsupportedMediaType,
    problem_responses,
)
from backroom.core.http import no_store
from backroom.core.mounting import Mount
from backroom.core.ratelimit import RateLimited, RateLimiter

# Every public route answers with tokens or a new account: never cached.
public_router = APIRouter(prefix="/auth", tags=["auth"], dependencies=[Depends(no_store)])
router = APIRouter(tags=["auth"])

# Any route with a body can also answer 400 (not JSON) or 415 (not a JSON media type).
_BODY = (BadRequest, UnsupportedMediaType, Unprocessable)
_SIGN_IN_ERRORS = problem_responses(InvalidCredentials, *_BODY, RateLimited)


def _token_response(issued: IssuedTokens) -> TokenResponse:
    return TokenResponse(
        access_token=issued.access_token,
        token=issued.access_token,
        expires_in=issued.expires_in,
        refresh_token=issued.refresh_token,
        refresh_expires_in=issued.refresh_expires_in,
        user=UserRead.of(issued.user),
    )


async def _refuse(session: AsyncSession, error: Exception) -> NoReturn:
    """Commit what the failure wrote (attempt counter, audit, revocations), then fail."""
    await session.commit()
    raise error


@public_router.post(
    "/register",
    status_code=201,
    dependencies=[register_limit],
    responses=problem_responses(RegistrationClosed, EmailTaken, *_BODY, RateLimited),
)
async def register(
    body: RegisterRequest,
    *,
    session: SessionDep,
    hasher: HasherDep,
    settings: SettingsDep,
    user_agent: UserAgent,
    response: Response,
) -> TokenResponse:
    """Create a `user` account with email and password, and sign it in."""
    now = utcnow()
    response.headers["Location"] = "/api/auth/me"
    user = await registration.register(session, hasher, settings, body)
    issued = await tokens.issue_tokens(session, settings, user, now, user_agent=user_agent)
    return _token_response(issued)


@public_router.post(
    "/signup",
    status_code=201,
    dependencies=[register_limit],
    responses=problem_responses(
        RegistrationClosed,
        StaffSignupClosed,
        EmailTaken,
        PartnerNumberTaken,
        *_BODY,
        RateLimited,
    ),
)
async def signup(
    body: SignupRequest,
    session: SessionDep,
    hasher: HasherDep,
    settings: SettingsDep,
    response: Response,
) -> UserMessage:
    """Create an account without signing in: email + password, or partner number + PIN."""
    response.headers["Location"] = "/api/auth/me"
    if body.partner_number is None:
        user = await registration.register(session, hasher, settings, body.as_register())
    else:
        user = await registration.signup_staff(session, hasher, settings, body.as_staff())
    return UserMessage(message="Account created", user=UserRead.of(user))


# Failed sign-ins per email or partner number, from any address (RATE_LIMIT_FAILED_SIGN_IN).
_FAILED_SIGN_INS = "failed-sign-in"


async def _sign_in(
    session: AsyncSession,
    *,
    hasher: HasherDep,
    settings: SettingsDep,
    limiter: RateLimiter,
    credentials: Credentials,
    user_agent: str | None,
) -> TokenResponse:
    """Check a sign-in in three steps (see `login`); one 401 body for every failure."""
    rate = settings.RATE_LIMIT_FAILED_SIGN_IN
    await limiter.check(_FAILED_SIGN_INS, rate, credentials.identifier)
    began = utcnow()
    attempt = await login.begin(session, settings, credentials, began)
    await session.commit()  # count the attempt, and hash outside any transaction
    verified = await login.check(hasher, attempt)
    user = await login.finish(session, settings, attempt, verified, utcnow())
    if user is None:
        await limiter.count(_FAILED_SIGN_INS, rate, credentials.identifier)
        await _refuse(session, InvalidCredentials())
    # Dated when the attempt began: a revocation that landed meanwhile covers them too.
    issued = await tokens.issue_tokens(session, settings, user, began, user_agent=user_agent)
    return _token_response(issued)


@public_router.post("/login", dependencies=[login_limit], responses=_SIGN_IN_ERRORS)
async def login_user(
    body: LoginRequest,
    *,
    session: SessionDep,
    hasher: HasherDep,
    settings: SettingsDep,
    limiter: LimiterDep,
    user_agent: UserAgent,
) -> TokenResponse:
    """Sign in with `{email, password}` or `{partner_number, pin}`."""
    credentials = Credentials(*body.parts())
    return await _sign_in(
        session,
        hasher=hasher,
        settings=settings,
        limiter=limiter,
        credentials=credentials,
        user_agent=user_agent,
    )


@public_router.post(
    "/token",
    dependencies=[login_limit],
    responses=_SIGN_IN_ERRORS,
    openapi_extra=oauth_form.OPENAPI,
)
async def issue_token(
    request: Request,
    *,
    session: SessionDep,
    hasher: HasherDep,
    settings: SettingsDep,
    limiter: LimiterDep,
    user_agent: UserAgent,
) -> TokenResponse:
    """OAuth2 password flow (the docs' Authorize button): email or partner number, and secret."""
    credentials = oauth_form.credentials(request.headers.get("content-type"), await request.body())
    return await _sign_in(
        session,
        hasher=hasher,
        settings=settings,
        limiter=limiter,
        credentials=credentials,
        user_agent=user_agent,
    )


@public_router.post(
    "/refresh",
    dependencies=[refresh_limit],
    responses=problem_responses(InvalidRefreshToken, *_BODY, RateLimited),
)
async def refresh_tokens(
    body: RefreshRequest, session: SessionDep, settings: SettingsDep, user_agent: UserAgent
) -> TokenResponse:
    """Trade a refresh token for a new pair; the old one is dead from now on."""
    issued = await tokens.refresh(
        session, settings, body.refresh_token, utcnow(), user_agent=user_agent
    )
    if issued is None:
        await _refuse(session, InvalidRefreshToken())
    return _token_response(issued)


@router.post(
    "/auth/logout", status_code=204, responses=problem_responses(InvalidCredentialsToken, *_BODY)
)
async def logout(
    principal: CurrentUser,
    session: SessionDep,
    body: Annotated[LogoutRequest | None, Body()] = None,
) -> Response:
    """End this session: its refresh token family is revoked."""
    refresh_token = body.refresh_token if body else None
    await tokens.logout(session, principal.user_id, refresh_token, principal.session_id, utcnow())
    return Response(status_code=204)


@router.post(
    "/auth/logout-all", status_code=204, responses=problem_responses(InvalidCredentialsToken)
)
async def logout_all(principal: CurrentUser, session: SessionDep) -> Response:
    """End every session of the caller; its access tokens stop working within a minute."""
    await tokens.logout_all(session, principal.user_id, utcnow())
    return Response(status_code=204)


# In matching order: the admin's user routes, sign-out, then the caller's own account.
mounts = (Mount(admin_router.router), Mount(router), Mount(profile_router.router))
