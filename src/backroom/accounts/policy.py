"""Input rules for identities and secrets, shared by the schemas and the CLI.

Validators raise `ValueError` with a message that never repeats the value, so a 422
cannot echo a password or PIN.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

PASSWORD_MIN = 8
PASSWORD_MAX = 128
# Sign-in accepts longer input than registration allows, and still refuses it cheaply.
SIGN_IN_SECRET_MAX = 1024

# No spaces, no control characters, one @, a dot in the domain. Deliverability is the
# mail server's business; this only keeps obvious garbage out.
_ATOM = r"[^@\s\x00-\x1f\x7f-\x9f]"
EMAIL_PATTERN = rf"^{_ATOM}{{1,64}}@{_ATOM}+\.{_ATOM}+$"
_EMAIL = re.compile(EMAIL_PATTERN)
_PARTNER_NUMBER = re.compile(r"^[A-Z0-9]{4,20}$")
_PIN = re.compile(r"^[0-9]{4}$")


@cache
def common_passwords() -> frozenset[str]:
    """The bundled list, read once per process."""
    text = resources.files("backroom.accounts").joinpath("common_passwords.txt").read_text("utf-8")
    lines = (line.strip().lower() for line in text.splitlines())
    return frozenset(line for line in lines if line and not line.startswith("#"))


def normalize_email(value: str) -> str:
    email = value.strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        raise ValueError("must be a valid email address")
    return email


def normalize_partner_number(value: str) -> str:
    number = value.strip().upper()
    if not number.isascii() or not _PARTNER_NUMBER.match(number):
        raise ValueError("must be 4 to 20 letters or digits")
    return number


def check_pin(value: str) -> str:
    if not _PIN.fullmatch(value):
        raise ValueError("must be exactly 4 digits")
    return value


def check_password(password: str, *, email: str | None = None) -> str:
    """Length 8-128, not a common password, not the account's own email."""
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise ValueError(f"must be {PASSWORD_MIN} to {PASSWORD_MAX} characters")
    lowered = password.strip().lower()
    if lowered in common_passwords():
        raise ValueError("is too common; choose a less guessable password")
    if email and lowered == email:
        raise ValueError("must not be your email address")
    return password


_CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\ufeff]")


def check_name(value: str, *, max_length: int = 100) -> str:
    if _CONTROL_CHARACTERS.search(value):
        raise ValueError("must not contain control characters")
    name = " ".join(value.split())
    if not 1 <= len(name) <= max_length:
        raise ValueError(f"must be 1 to {max_length} characters")
    return name


def split_name(name: str) -> tuple[str, str | None]:
    first, _, last = name.partition(" ")
    return first, last or None
