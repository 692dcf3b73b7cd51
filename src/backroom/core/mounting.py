"""How the domains' routers reach the app: every leaf router is included at the top level.

FastAPI matches a request against an included router by walking that router's routes,
and a router included inside another one is walked again for each level above it
before its route runs. With the routers nested three and four deep (`/api`, then
"authenticated", then the domain, then its parts), matching cost a quarter of a
tracking list's CPU (docs/BENCHMARKS.md, "Route matching and the tracking list"). So a
domain does not nest its routers: it lists them as `Mount`s, each with what a parent
router used to add (a prefix, dependencies, shared error responses, tags), and
`backroom.api` includes each one on the app, once, in the order of the list, which is
also the order of matching.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.params import Depends


@dataclass(frozen=True)
class Mount:
    """One leaf router of a domain and what its include adds to each of its routes."""

    router: APIRouter
    prefix: str = ""
    dependencies: Sequence[Depends] = ()
    responses: Mapping[int | str, dict[str, Any]] = field(default_factory=dict)
    tags: Sequence[str] = ()

    def include(
        self,
        app: FastAPI,
        *,
        prefix: str = "",
        dependencies: Sequence[Depends] = (),
        include_in_schema: bool = True,
    ) -> None:
        """Include the router on `app` under `prefix`, after the app's `dependencies`."""
        app.include_router(
            self.router,
            prefix=prefix + self.prefix,
            dependencies=[*dependencies, *self.dependencies],
            responses=dict(self.responses) or None,
            tags=list(self.tags) or None,
            include_in_schema=include_in_schema,
        )
