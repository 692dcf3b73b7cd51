"""Settings, read from the environment (and `.env`) once per process.

Secrets are never given a default that could reach production: in development
`SECRET_KEY` and `PIN_PEPPER` are generated once and kept in a file under
`DATA_DIR`, so restarts and several workers agree; in production they must be set.

Every setting carries a `description`: `backroom config` prints the table of
docs/OPERATIONS.md from them, and a test fails when the two differ.
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AliasChoices,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict
from pydantic_settings import SettingsError as SourceError

from backroom.core.database_url import normalize_database_url, normalize_optional_database_url
from backroom.core.units import (
    Bytes,
    Days,
    Lower,
    Milliseconds,
    Minutes,
    Rate,
    Seconds,
    StrList,
    Timeout,
    Upper,
)

Environment = Literal["development", "test", "production"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
_MIN_SECRET_LENGTH = 32


def default_hash_concurrency() -> int:
    """Half the cores (at least one): what Argon2 may take while reads keep the rest."""
    return max(1, (os.cpu_count() or 2) // 2)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    ENVIRONMENT: Annotated[Environment, Lower] = Field(
        default="development",
        description="`production` requires `SECRET_KEY` and `PIN_PEPPER`",
    )
    DATA_DIR: Path = Field(
        default=Path(".backroom"), description="where development secrets are generated"
    )

    # Database
    DATABASE_URL: Annotated[str, AfterValidator(normalize_database_url)] = Field(
        default="sqlite+aiosqlite:///./backroom.db",
        description="SQLite file or `postgresql+asyncpg://user:pass@host:5432/db` "
        "(`postgres://` and `postgresql://` are read as asyncpg)",
    )
    DB_POOL_SIZE: int = Field(
        default=10, ge=1, le=200, description="connections kept per worker (PostgreSQL)"
    )
    DB_MAX_OVERFLOW: int = Field(
        default=10, ge=0, le=200, description="extra connections per worker under load"
    )
    DB_POOL_TIMEOUT: Timeout = Field(
        default=2.0, gt=0, le=60, description="wait for a free connection before answering 503"
    )
    DB_CONNECT_TIMEOUT: Timeout = Field(
        default=2.0, gt=0, le=60, description="wait for a new connection before answering 503"
    )
    DB_STATEMENT_TIMEOUT_MS: Milliseconds = Field(
        default=15_000, ge=0, description="PostgreSQL `statement_timeout` per connection"
    )
    DB_POOL_PRE_PING: bool = Field(
        default=False,
        description="test a pooled connection before each use (three extra round trips a "
        "request); off, a lost connection fails one request with 503 and the pool replaces "
        "every older connection",
    )
    DB_PGBOUNCER: bool = Field(
        default=False,
        description="`DATABASE_URL` is a PgBouncer in transaction pooling mode: no "
        "prepared-statement cache, session settings per transaction (docs/OPERATIONS.md)",
    )
    DATABASE_REPLICA_URL: Annotated[str | None, AfterValidator(normalize_optional_database_url)] = (
        Field(
            default=None,
            description="a PostgreSQL streaming replica of `DATABASE_URL`: the feeds, history "
            "lists, audit search and export read from it while it keeps up (docs/OPERATIONS.md)",
        )
    )
    REPLICA_MAX_LAG: Timeout = Field(
        default=5.0,
        gt=0,
        le=3600,
        description="a replica further behind the primary than this (seconds) is skipped "
        "and the primary serves its reads",
    )
    DB_ECHO: bool = Field(default=False, description="log every SQL statement (debugging)")
    SQLITE_BUSY_TIMEOUT_MS: Milliseconds = Field(
        default=5_000, ge=0, description="how long a SQLite writer waits for the write lock"
    )

    REDIS_URL: str | None = Field(
        default=None, description="shared rate-limit counters across workers and machines"
    )

    # HTTP
    CORS_ORIGINS: StrList = Field(
        default=["http://localhost:3000"],
        description="browser origins allowed, comma-separated (or a JSON list)",
    )
    MAX_BODY_BYTES: Bytes = Field(
        default=1_048_576,
        ge=1024,
        description="larger request bodies get 413 (`512KiB`, `2MiB` or bytes)",
    )
    FORWARDED_ALLOW_IPS: StrList = Field(
        default=["127.0.0.1"],
        description="peers whose `X-Forwarded-For`/`-Proto` are believed, comma-separated",
    )
    LOG_FORMAT: Annotated[Literal["text", "json"], Lower] = Field(
        default="text", description="`text` or `json` (for log shippers)"
    )
    LOG_LEVEL: Annotated[LogLevel, Upper] = Field(
        default="INFO", description="`DEBUG`, `INFO`, `WARNING`, `ERROR` or `CRITICAL`"
    )
    METRICS_ENABLED: bool = Field(default=True, description="serve `/metrics`")

    # Tokens
    SECRET_KEY: str | None = Field(
        default=None, description="signs access tokens; 32+ characters, required in production"
    )
    PIN_PEPPER: str | None = Field(
        default=None,
        description="peppers PIN hashes; 32+ characters, required in production",
    )
    ACCESS_TOKEN_TTL: Seconds = Field(
        default=900,
        validation_alias=AliasChoices("ACCESS_TOKEN_TTL", "JWT_EXPIRATION"),
        description="access token lifetime, at least 1 minute (alias `JWT_EXPIRATION`)",
    )
    REFRESH_TOKEN_TTL: Seconds = Field(
        default=30 * 86400, ge=60, description="refresh token lifetime"
    )
    AUTH_STATE_TTL: Seconds = Field(
        default=30,
        ge=1,
        le=60,
        description="how long a worker trusts its cached account state (lock, role)",
    )
    JWT_ISSUER: str = Field(default="backroom", description="`iss` of the tokens Backroom signs")

    # Better Auth
    BETTER_AUTH_SECRET: str | None = Field(
        default=None, description="accept HS256 Better Auth tokens signed with this secret"
    )
    BETTER_AUTH_JWKS_URL: str | None = Field(
        default=None, description="accept Better Auth tokens signed with the keys at this URL"
    )
    BETTER_AUTH_URL: str | None = Field(
        default=None, description="the Better Auth server: the expected `iss` and `aud`"
    )
    BETTER_AUTH_ISSUER: str | None = Field(
        default=None, description="expected `iss` (default `BETTER_AUTH_URL`)"
    )
    BETTER_AUTH_AUDIENCE: str | None = Field(
        default=None, description="expected `aud` (default `BETTER_AUTH_URL`)"
    )
    BETTER_AUTH_ALLOW_UNCHECKED_CLAIMS: bool = Field(
        default=False,
        description="start with a JWKS URL but no issuer or audience to check (not advised)",
    )

    # Sign-up and sign-in
    ALLOW_REGISTRATION: bool = Field(
        default=True, description="anyone may register a `user` account with email and password"
    )
    ALLOW_STAFF_SIGNUP: bool = Field(
        default=False, description="staff may sign themselves up (with one store only)"
    )
    ARGON2_MEMORY_KIB: int = Field(default=19_456, ge=1024, description="Argon2id memory cost")
    ARGON2_TIME_COST: int = Field(default=2, ge=1, description="Argon2id passes")
    ARGON2_PARALLELISM: int = Field(default=1, ge=1, description="Argon2id lanes")
    LOCKOUT_THRESHOLD: int = Field(
        default=5, ge=1, description="failed sign-ins in a row that lock an account"
    )
    LOCKOUT_BASE_SECONDS: Seconds = Field(
        default=15 * 60, ge=1, description="first lock; each further lock doubles it"
    )
    LOCKOUT_MAX_SECONDS: Seconds = Field(default=24 * 3600, ge=1, description="the longest lock")
    RATE_LIMIT_ENABLED: bool = Field(default=True, description="per-IP rate limits")
    RATE_LIMIT_LOGIN: Rate = Field(default="10/minute", description="sign-ins per IP")
    RATE_LIMIT_REGISTER: Rate = Field(default="5/minute", description="registrations per IP")
    RATE_LIMIT_REFRESH: Rate = Field(default="30/minute", description="token refreshes per IP")
    RATE_LIMIT_FAILED_SIGN_IN: Rate = Field(
        default="10/hour",
        description="failed sign-ins per email or partner number, whatever the client address",
    )
    HASH_CONCURRENCY: int = Field(
        default_factory=default_hash_concurrency,
        ge=1,
        description="Argon2 hashes running at once per worker (default: half the cores); "
        "more sign-ins wait for a slot",
    )

    # Writes
    IDEMPOTENCY_TTL: Seconds = Field(
        default=24 * 3600,
        ge=24 * 3600,
        description="how long an `Idempotency-Key` is remembered (at least 24h)",
    )

    # Store tools
    STORE_TIMEZONE: str = Field(
        default="America/Los_Angeles", description="IANA time zone of a store created without one"
    )
    RTDE_SESSION_MINUTES: Minutes = Field(
        default=30, ge=1, description="minutes an RTD&E pull session stays open (store tool)"
    )

    # Audit trail
    AUDIT_RETENTION_DAYS: Days | None = Field(
        default=None, ge=1, description="days audit events are kept (unset: forever)"
    )

    @field_validator("ACCESS_TOKEN_TTL")
    @classmethod
    def _access_ttl(cls, value: int) -> int:
        if value < 60:
            raise ValueError("must be at least 60 seconds")
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
        return self

    @model_validator(mode="after")
    def _replica(self) -> Settings:
        if self.DATABASE_REPLICA_URL is None:
            return self
        if self.is_sqlite or self.DATABASE_REPLICA_URL.startswith("sqlite"):
            raise ValueError(
                "DATABASE_REPLICA_URL needs PostgreSQL: both it and DATABASE_URL must be "
                "postgresql+asyncpg:// URLs"
            )
        return self

    @model_validator(mode="after")
    def _better_auth_claims(self) -> Settings:
        """Keys from a JWKS URL prove who signed, not for whom: `iss` and `aud` must be known."""
        issuer = self.BETTER_AUTH_ISSUER or self.BETTER_AUTH_URL
        audience = self.BETTER_AUTH_AUDIENCE or self.BETTER_AUTH_URL
        unchecked = not (issuer and audience)
        if self.BETTER_AUTH_JWKS_URL and unchecked and not self.BETTER_AUTH_ALLOW_UNCHECKED_CLAIMS:
            raise ValueError(
                "BETTER_AUTH_JWKS_URL is set but the tokens' issuer and audience would not "
                "be checked: set BETTER_AUTH_URL (or BETTER_AUTH_ISSUER and "
                "BETTER_AUTH_AUDIENCE), or BETTER_AUTH_ALLOW_UNCHECKED_CLAIMS=true"
            )
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
    except SourceError as exc:  # a value the settings sources could not read at all
        raise SettingsError(str(exc).splitlines()[0]) from None
    except ValidationError as exc:
        lines = []
        for error in exc.errors(include_input=False, include_url=False):
            message = str(error["msg"]).removeprefix("Value error, ")
            name = ".".join(str(part) for part in error["loc"])
            lines.append(f"{name}: {message}" if name else message)
        raise SettingsError("; ".join(lines)) from None


@lru_cache
def get_settings() -> Settings:
    return load_settings()
