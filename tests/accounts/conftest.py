"""Fixtures of the accounts tests: a counting Argon2 hasher and sign-in helpers."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pwdlib.hashers.argon2 import Argon2Hasher

from backroom.core.config import Settings
from backroom.core.passwords import SecretHasher


class CountingArgon2(Argon2Hasher):
    """The real Argon2id hasher, counting its calls (as Django's hasher tests do)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hashes = 0
        self.verifies = 0

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self.hashes += 1
        return super().hash(password, salt=salt)

    def verify(self, password: str | bytes, hash: str | bytes) -> bool:  # noqa: A002
        self.verifies += 1
        return super().verify(password, hash)


class GatedArgon2(CountingArgon2):
    """Holds the first verify until the test opens the gate; later verifies pass.

    The product runs every verify in a worker thread with no transaction open: this
    is where a sign-in waits while another request (a PIN reset, a logout-all) lands.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.entered = threading.Event()
        self.gate = threading.Event()
        self._held = False
        self._lock = threading.Lock()

    def verify(self, password: str | bytes, hash: str | bytes) -> bool:  # noqa: A002
        with self._lock:
            hold, self._held = not self._held, True
        if hold:
            self.entered.set()
            self.gate.wait(timeout=10)
        return super().verify(password, hash)


def install_gated_hasher(app: FastAPI, settings: Settings) -> GatedArgon2:
    gated = GatedArgon2(
        time_cost=settings.ARGON2_TIME_COST,
        memory_cost=settings.ARGON2_MEMORY_KIB,
        parallelism=settings.ARGON2_PARALLELISM,
    )
    app.state.secret_hasher = SecretHasher(settings, gated)
    return gated


@pytest.fixture
def counting_hasher(app: FastAPI, settings: Settings) -> CountingArgon2:
    argon = CountingArgon2(
        time_cost=settings.ARGON2_TIME_COST,
        memory_cost=settings.ARGON2_MEMORY_KIB,
        parallelism=settings.ARGON2_PARALLELISM,
    )
    app.state.secret_hasher = SecretHasher(settings, argon)
    argon.hashes = 0  # the dummy hash made up front does not count
    return argon


async def pin_login(client: httpx.AsyncClient, partner_number: str, pin: str) -> httpx.Response:
    return await client.post("/api/auth/login", json={"partner_number": partner_number, "pin": pin})


async def password_login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/api/auth/login", json={"email": email, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
