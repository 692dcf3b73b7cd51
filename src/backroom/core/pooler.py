"""Connecting through PgBouncer in transaction pooling mode (`DB_PGBOUNCER=true`).

PgBouncer hands each transaction to whichever server connection is free, so nothing
may outlive a transaction on the server side:

- asyncpg's statement cache and SQLAlchemy's are off, and every prepared statement
  gets a unique name: two clients sharing a server connection never collide on
  `__asyncpg_stmt_1__`, and a statement is used only in the transaction that made it;
- the session settings Backroom otherwise sends at connect time (`statement_timeout`,
  `random_page_cost`) are set per transaction instead (`SET LOCAL`-like, through
  `set_config(..., true)`), and PgBouncer is not asked to pass on startup parameters it
  refuses;
- reads run in a (read-only) transaction rather than in autocommit, so that the
  prepare and the execute of a statement reach the same server.

Backroom takes no advisory locks and uses neither `LISTEN` nor `SET` outside a
transaction, in either mode.
"""

from __future__ import annotations

import uuid
from typing import Any


def _statement_name() -> str:
    return f"__backroom_{uuid.uuid4().hex}__"


def pgbouncer_connect_args() -> dict[str, Any]:
    """asyncpg connect arguments that are safe behind PgBouncer (and harmless without it)."""
    return {
        "statement_cache_size": 0,
        "prepared_statement_cache_size": 0,
        "prepared_statement_name_func": _statement_name,
    }


def utility_connect_args(database_url: str, timeout: float | None = None) -> dict[str, Any]:
    """Connect arguments of a one-off engine (migrations, checks, backups).

    Such an engine runs a handful of statements, so it always takes the PgBouncer-safe
    arguments: `backroom db upgrade` then works whether or not `DATABASE_URL` points at
    a PgBouncer, without another setting to get right.
    """
    if database_url.startswith("sqlite"):
        return {}
    args = pgbouncer_connect_args()
    if timeout is not None:
        args["timeout"] = timeout
    return args
