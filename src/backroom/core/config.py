"""Settings, read from the environment (and `.env`) once per process.

Secrets are never given a default that could reach production: in development
`SECRET_KEY` and `PIN_PEPPER` are generated once and kept in a file under
`DATA_DIR`, so restarts and several workers agree; in production they must be set.
"""

from __future__ import annotations

import os
import re
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "test", "production"]

_DURATION = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_MIN_SECRET_LENGTH = 32


def default_hash_concurrency() -> int:
    """Half the cores (at least one): what Argon2 may take while reads keep the rest."""
    return max(1, (os.cpu_count() or 2) // 2)


def parse_duration(value: object) -> int:
    """Seconds from `900`, `"900"`, `"15m"`, `"24h"` or `"7d"`."""
    if isinstance(value, bool):
        raise ValueError("must be a duration such as 900, 15m, 24h or 7d")
    if isinstance(value, int):
        return value
    match = _DURATION.match(str(value))
    if match is None:
        raise ValueError("must be a duration such as 900, 15m, 24h or 7d")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    ENVIRONMENT: Environment = "development"
    DATA_DIR: Path = Path(".backroom")

    # Database
    DATABASE_URL: str = "sqlite+aiosqlite:///./backroom.db"
    DB_POOL_SIZE: int = Field(default=10, ge=1, le=200)
    DB_MAX_OVERFLOW: int = Field(default=10, ge=0, le=200)
    DB_POOL_TIMEOUT: float = Field(default=2.0, gt=0, le=60)
    DB_CONNECT_TIMEOUT: float = Field(default=2.0, gt=0, le=60)
    DB_STATEMENT_TIMEOUT_MS: int = Field(default=15_000, ge=0)
    DB_POOL_PRE_PING: bool = False
    DB_ECHO: bool = False
    SQLITE_BUSY_TIMEOUT_MS: int = Field(default=5_000, ge=0)

    REDIS_URL: str | None = None

    # HTTP
    CORS_ORIGINS: list[str] = ["http://localhost:3000"]
    MAX_BODY_BYTES: int = Field(default=1_048_576, ge=1024)
    FORWARDED_ALLOW_IPS: list[str] = ["127.0.0.1"]
    LOG_FORMAT: Literal["text", "json"] = "text"
    LOG_LEVEL: str = "INFO"
    METRICS_ENABLED: bool = True

    # Tokens
    SECRET_KEY: str | None = None
    PIN_PEPPER: str | None = None
    ACCESS_TOKEN_TTL: int = Field(
        default=900, validation_alias=AliasChoices("ACCESS_TOKEN_TTL", "JWT_EXPIRATION")
    )
    REFRESH_TOKEN_TTL: int = 30 * 86400
    AUTH_STATE_TTL: int = Field(default=30, ge=1, le=60)
    JWT_ISSUER: str = "backroom"

    # Better Auth
    BETTER_AUTH_SECRET: str | None = None
    BETTER_AUTH_JWKS_URL: str | None = None
    BETTER_AUTH_URL: str | None = None
    BETTER_AUTH_ISSUER: str | None = None
    BETTER_AUTH_AUDIENCE: str | None = None

    # Sign-up and sign-in
    ALLOW_REGISTRATION: bool = True
    ALLOW_STAFF_SIGNUP: bool = False
    ARGON2_MEMORY_KIB: int = Field(default=19_456, ge=1024)
    ARGON2_TIME_COST: int = Field(default=2, ge=1)
    ARGON2_PARALLELISM: int = Field(default=1, ge=1)
    LOCKOUT_THRESHOLD: int = Field(default=5, ge=1)
    LOCKOUT_BASE_SECONDS: int = Field(default=15 * 60, ge=1)
    LOCKOUT_MAX_SECONDS: int = Field(default=24 * 3600, ge=1)
    RATE_LIMIT_ENABLED: bool = True
    RATE_LIMIT_LOGIN: str = "10/minute"
    RATE_LIMIT_REGISTER: str = "5/minute"
    RATE_LIMIT_REFRESH: str = "30/minute"
    # Failed sign-ins per email or partner number, whatever the client address.
    RATE_LIMIT_FAILED_SIGN_IN: str = "10/hour"
    # Argon2 hashes and verifies running at once per worker; more wait for a slot.
    HASH_CONCURRENCY: int = Field(default_factory=default_hash_concurrency, ge=1)

    # Writes
    IDEMPOTENCY_TTL: int = Field(default=24 * 3600, ge=24 * 3600)

    # Store tools
    STORE_TIMEZONE: str = "America/Los_Angeles"
    RTDE_SESSION_MINUTES: int = Field(default=30, ge=1)

    # Audit trail: None keeps every event forever.
    AUDIT_RETENTION_DAYS: int | None = Field(default=None, ge=1)

    @field_validator("ACCESS_TOKEN_TTL", "REFRESH_TOKEN_TTL", mode="before")
    @classmethod
    def _duration(cls, value: object) -> int:
        return parse_duration(value)

    @field_validator("CORS_ORIGINS", "FORWARDED_ALLOW_IPS", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str) and not value.lstrip().startswith("["):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @model_validator(mode="after")
    def _secrets(self) -> Settings:
        for name in ("SECRET_KEY", "PIN_PEPPER"):
            value: str | None = getattr(self, name)
            if value is None:
                if self.ENVIRONMENT == "production":
                    raise ValueError(f"{name} is required in production")
                object.__setattr__(self, name, _local_secret(self.DATA_DIR, name))
            elif len(value) < _MIN_SECRET_LENGTH:
                raise ValueError(f"{name} must be at least {_MIN_SECRET_LENGTH} characters")
        if self.BETTER_AUTH_SECRET and self.BETTER_AUTH_SECRET == self.SECRET_KEY:
            raise ValueError("BETTER_AUTH_SECRET must differ from SECRET_KEY")
        if self.ACCESS_TOKEN_TTL < 60:
            raise ValueError("ACCESS_TOKEN_TTL must be at least 60 seconds")
        return self

    @property
    def secret_key(self) -> str:
        assert self.SECRET_KEY is not None  # set by the validator
        return self.SECRET_KEY

    @property
    def pin_pepper(self) -> str:
        assert self.PIN_PEPPER is not None  # set by the validator
        return self.PIN_PEPPER

    @property
    def is_sqlite(self) -> bool:
        return self.DATABASE_URL.startswith("sqlite")


def _local_secret(data_dir: Path, name: str) -> str:
    """A development secret generated once and kept on disk, shared by every worker."""
    path = data_dir / name.lower()
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            with path.open("x", encoding="utf-8") as file:
                file.write(secrets.token_urlsafe(48))
            path.chmod(0o600)
        except FileExistsError:
            pass  # another worker wrote it first
    return path.read_text(encoding="utf-8").strip()


class SettingsError(Exception):
    """A bad setting, described in one line that names the variable."""


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors(include_input=False, include_url=False):
            name = ".".join(str(part) for part in error["loc"]) or "settings"
            message = str(error["msg"]).removeprefix("Value error, ")
            lines.append(f"{name}: {message}")
        raise SettingsError("; ".join(lines)) from None


@lru_cache
def get_settings() -> Settings:
    return load_settings()
