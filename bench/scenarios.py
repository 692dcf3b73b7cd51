"""What each benchmark scenario sends, and which routes it needs to exist."""

from __future__ import annotations

from dataclasses import dataclass

from seed import FILTER_QUERY

LOGIN = ("post", "/api/auth/login")
ME = ("get", "/api/auth/me")
LIST = ("get", "/api/tasks")
CREATE = ("post", "/api/tasks")
GET = ("get", "/api/tasks/{")
UPDATE = ("patch", "/api/tasks/{")


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    mix: str  # operation weights for bench/wrk/mix.lua
    needs: tuple[tuple[str, str], ...] = ()
    list_path: str = "/api/tasks?limit=20"
    logins: str | None = None  # "email" or "pin": login bodies to cycle through
    idempotency: bool = False
    reference: bool = False  # the reference server serves it too
    connections: int | None = None  # default: the --connections flag


HEALTH = Scenario("health", "GET /health", "health:1", reference=True)
READY = Scenario("ready", "GET /health/ready", "ready:1")
# Each login costs an Argon2id hash (tens of ms of CPU): fewer connections keep the queue short.
LOGIN_CONNECTIONS = 8
LOGIN_EMAIL = Scenario(
    "login_email",
    "login by email (Argon2id)",
    "login_email:1",
    (LOGIN,),
    logins="email",
    connections=LOGIN_CONNECTIONS,
)
LOGIN_PIN = Scenario(
    "login_pin",
    "login by PIN (Argon2id)",
    "login_pin:1",
    (LOGIN,),
    logins="pin",
    connections=LOGIN_CONNECTIONS,
)
AUTH_ME = Scenario("me", "GET /api/auth/me", "me:1", (ME,), reference=True)
LIST_20 = Scenario("list", "list 20 tasks", "list:1", (LIST,), reference=True)
GET_ONE = Scenario("get", "get one task", "get:1", (GET,), reference=True)
FILTERED = Scenario(
    "filter",
    "list, status + tag + search",
    "list:1",
    (LIST,),
    list_path=f"/api/tasks?limit=20&{FILTER_QUERY}",
    reference=True,
)
CREATE_ONE = Scenario("create", "create a task", "create:1", (CREATE,), reference=True)
CREATE_IDEMPOTENT = Scenario(
    "create_idem", "create a task, Idempotency-Key", "create:1", (CREATE,), idempotency=True
)
UPDATE_ONE = Scenario("update", "update a task (PATCH)", "update:1", (UPDATE,))
MIXED = Scenario(
    "mixed",
    "mixed 80/20 read/write",
    "list:40,get:40,create:10,update:10",
    (LIST, GET, CREATE, UPDATE),
)
DEEP_OFFSET = Scenario(
    "offset_deep",
    "list, offset 20000 (page 1001)",
    "list:1",
    (LIST,),
    "/api/tasks?limit=20&offset=20000",
)
# The cursor of page 1000 is found by walking the Link headers once before the run.
DEEP_CURSOR = Scenario("cursor_deep", "list, cursor page 1000", "list:1", (LIST,), reference=True)

# Read scenarios first: writes grow the owner's list.
SMALL_READS = (HEALTH, READY, AUTH_ME, LIST_20, GET_ONE, FILTERED, LOGIN_EMAIL, LOGIN_PIN)
SMALL_WRITES = (CREATE_ONE, CREATE_IDEMPOTENT, UPDATE_ONE, MIXED)
TWO_WORKER_READS = (HEALTH, AUTH_ME, LIST_20, GET_ONE)
TWO_WORKER_WRITES = (CREATE_ONE, MIXED)
BIG = (LIST_20, GET_ONE, FILTERED, DEEP_CURSOR, DEEP_OFFSET)
SMOKE_READS = (HEALTH, READY, AUTH_ME, LOGIN_EMAIL, LIST_20, GET_ONE)
SMOKE_WRITES = (CREATE_ONE, UPDATE_ONE)

# Scenarios whose latency must not depend on the data size, compared big vs small.
SIZE_PAIRS = (("list", "list"), ("get", "get"), ("filter", "filter"), ("cursor_deep", "list"))
# The login storm: list reads alone, then the same reads while logins hammer Argon2id.
STORM_READS = Scenario("storm_reads", "list 20, 16 connections", "list:1", (LIST,), connections=16)
STORM_LOGINS = Scenario(
    "storm_logins", "login storm (background)", "login_email:1", (LOGIN,), logins="email"
)
STORM_CONNECTIONS = 8

# Profiled with py-spy under --profile: the per-request overhead at 10^3, the lists at 10^6.
PROFILED = (HEALTH, AUTH_ME, LIST_20, GET_ONE, CREATE_ONE, UPDATE_ONE)
PROFILED_BIG = (LIST_20, FILTERED, DEEP_CURSOR)

# The order of the table's rows.
ORDER = (
    HEALTH,
    READY,
    AUTH_ME,
    LIST_20,
    GET_ONE,
    FILTERED,
    DEEP_CURSOR,
    DEEP_OFFSET,
    LOGIN_EMAIL,
    LOGIN_PIN,
    STORM_READS,
    CREATE_ONE,
    CREATE_IDEMPOTENT,
    UPDATE_ONE,
    MIXED,
)
