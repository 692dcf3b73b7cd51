"""Errors of the accounts domain."""

from __future__ import annotations

from backroom.core.errors import Forbidden, Unauthorized


class InvalidCredentialsToken(Unauthorized):
    code = "invalid_token"
    detail = "The access token is missing, invalid or expired"


class InsufficientRole(Forbidden):
    code = "insufficient_role"
    detail = "Your role does not allow this"
