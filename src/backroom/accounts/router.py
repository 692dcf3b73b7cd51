"""Accounts routes: sign-up, sign-in, tokens, the caller's profile, admin user management."""

from __future__ import annotations

from fastapi import APIRouter

public_router = APIRouter(prefix="/auth", tags=["auth"])
router = APIRouter(tags=["auth"])
