"""Mounts the routes: public ones first, then everything else behind authentication.

Each domain lists its routers as `Mount`s, included here flat on the app (see
core/mounting.py for why they are not nested), in this order of matching.
"""

from __future__ import annotations

from fastapi import Depends, FastAPI

from backroom.accounts import router as accounts
from backroom.accounts.deps import get_principal
from backroom.core.mounting import Mount
from backroom.tools.activity import router as activity
from backroom.tools.milk_count import router as milk_count
from backroom.tools.rtde import router as rtde
from backroom.tools.tasks import router as tasks
from backroom.tools.tracking import router as tracking

API_PREFIX = "/api"
# Authenticated by default: a router listed here cannot forget to require a user.
AUTHENTICATED: tuple[tuple[str, tuple[Mount, ...], bool], ...] = (
    ("", accounts.mounts, True),
    ("", tasks.mounts, True),
    ("", rtde.mounts, True),
    ("", tracking.mounts, True),
    ("", activity.mounts, True),
    ("/milk-count", milk_count.mounts, True),
    # The tablet app's name for the same tool: the same handlers, kept out of the schema.
    ("/milk-order", milk_count.mounts, False),
)


def include_api(app: FastAPI) -> None:
    """Include every route under `/api`: sign-in and sign-up first, then the rest."""
    Mount(accounts.public_router).include(app, prefix=API_PREFIX)
    principal = (Depends(get_principal),)
    for prefix, mounts, in_schema in AUTHENTICATED:
        for mount in mounts:
            mount.include(
                app,
                prefix=API_PREFIX + prefix,
                dependencies=principal,
                include_in_schema=in_schema,
            )
