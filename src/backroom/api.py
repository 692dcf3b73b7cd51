"""Mounts the routes: public ones first, then everything else behind authentication."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from backroom.accounts import router as accounts
from backroom.accounts.deps import get_principal
from backroom.tools.activity import router as activity
from backroom.tools.milk_count import router as milk_count
from backroom.tools.rtde import router as rtde
from backroom.tools.tasks import router as tasks
from backroom.tools.tracking import router as tracking

api_router = APIRouter(prefix="/api")
api_router.include_router(accounts.public_router)

# Authenticated by default: a route mounted here cannot forget to require a user.
authenticated = APIRouter(dependencies=[Depends(get_principal)])
authenticated.include_router(accounts.router)
authenticated.include_router(tasks.router)
authenticated.include_router(rtde.router)
authenticated.include_router(tracking.router)
authenticated.include_router(activity.router)
authenticated.include_router(milk_count.router, prefix="/milk-count")
# The tablet app's name for the same tool: the same handlers, kept out of the schema.
authenticated.include_router(milk_count.router, prefix="/milk-order", include_in_schema=False)
api_router.include_router(authenticated)
