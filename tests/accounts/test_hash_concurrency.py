"""`HASH_CONCURRENCY` caps the Argon2 work running at once in one worker, so a burst of
sign-ins queues for a slot instead of taking every core from the rest of the API."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pwdlib.hashers.argon2 import Argon2Hasher

from backroom.core.config import Settings
from backroom.core.passwords import SecretHasher
from tests.accounts.conftest import password_login

CAP = 2
BURST = 6


class OverlapCountingArgon2(Argon2Hasher):
    """The real Argon2id hasher, recording how many verifies run at the same moment.

    Each verify is held a little longer than a cheap test hash takes, so that without
    a cap the burst's verifies would overlap far beyond it.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.verifies = 0

    def verify(self, password: str | bytes, hash: str | bytes) -> bool:  # noqa: A002
        with self._lock:
            self.running += 1
            self.verifies += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(0.05)
            return super().verify(password, hash)
        finally:
            with self._lock:
                self.running -= 1


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"RATE_LIMIT_ENABLED": False, "HASH_CONCURRENCY": CAP}


@pytest.fixture
def argon(app: FastAPI, settings: Settings) -> OverlapCountingArgon2:
    hasher = OverlapCountingArgon2(
        time_cost=settings.ARGON2_TIME_COST,
        memory_cost=settings.ARGON2_MEMORY_KIB,
        parallelism=settings.ARGON2_PARALLELISM,
    )
    app.state.secret_hasher = SecretHasher(settings, hasher)
    return hasher


async def test_a_burst_of_sign_ins_runs_at_most_hash_concurrency_hashes_at_once(
    client: httpx.AsyncClient, argon: OverlapCountingArgon2
) -> None:
    burst = [
        password_login(client, f"nobody{n}@example.com", "wrong-password") for n in range(BURST)
    ]
    responses = await asyncio.gather(*burst)
    assert [response.status_code for response in responses] == [401] * BURST
    assert argon.verifies == BURST
    assert argon.most == CAP
