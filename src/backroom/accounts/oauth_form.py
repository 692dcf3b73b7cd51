"""The OAuth2 password form of `POST /api/auth/token` (what the docs' Authorize button sends).

Parsed here rather than by FastAPI's form support, which needs an extra dependency
for a form of three short fields.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from backroom.accounts import policy
from backroom.accounts.schemas import EMAIL_PATTERN, PARTNER_NUMBER_PATTERN
from backroom.accounts.service.login import Credentials
from backroom.core.errors import Unprocessable, UnsupportedMediaType

MAX_FIELDS = 10
FORM = "application/x-www-form-urlencoded"

OPENAPI = {
    "requestBody": {
        "required": True,
        "content": {
            FORM: {
                "schema": {
                    "type": "object",
                    "required": ["username", "password"],
                    "properties": {
                        "grant_type": {"type": "string", "pattern": "^password$"},
                        "username": {
                            "type": "string",
                            "maxLength": 254,
                            "pattern": f"({EMAIL_PATTERN})|({PARTNER_NUMBER_PATTERN})",
                            "description": "Email or partner number",
                        },
                        "password": {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": policy.SIGN_IN_SECRET_MAX,
                            "format": "password",
                            "description": "Password, or the PIN of a partner number",
                        },
                    },
                }
            }
        },
    }
}


def credentials(content_type: str | None, body: bytes) -> Credentials:
    """Credentials from the form body; a secret that is no PIN simply fails to match.

    A body of another type (JSON, most often) is 415, as documented: it is the wrong
    endpoint or the wrong encoding, not a form with missing fields.
    """
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if body and media_type != FORM:
        raise UnsupportedMediaType(f"The request body must be a form (Content-Type: {FORM})")
    try:
        form = parse_qs(body.decode("utf-8", "replace"), max_num_fields=MAX_FIELDS)
    except ValueError:  # more fields than any sign-in form has
        raise Unprocessable(errors=[{"field": "body", "message": "Too many fields"}]) from None
    return _credentials(form)


def _credentials(form: dict[str, list[str]]) -> Credentials:
    username = (form.get("username") or [""])[0]
    secret = (form.get("password") or [""])[0]
    errors = []
    if form.get("grant_type", ["password"])[0] != "password":
        errors.append({"field": "grant_type", "message": "must be password"})
    if not username:
        errors.append({"field": "username", "message": "Field required"})
    if not 1 <= len(secret) <= policy.SIGN_IN_SECRET_MAX:
        errors.append({"field": "password", "message": "Field required"})
    if errors:
        raise Unprocessable(errors=errors)
    try:
        if "@" in username:
            return Credentials("password", policy.normalize_email(username), secret)
        return Credentials("pin", policy.normalize_partner_number(username), secret)
    except ValueError as exc:
        raise Unprocessable(errors=[{"field": "username", "message": str(exc)}]) from None
