"""Personal to-do tasks, on both route families of the API."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["tasks"])
