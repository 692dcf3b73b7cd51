"""The full route template of a request (`/api/tasks/{task_id}`), for logs and metrics.

FastAPI (0.137 and later) keeps included routers as a tree: `scope["route"]` is the
route as its own router declared it (`/tasks/{task_id}`), without the prefixes it was
mounted under, and one route mounted twice (`/api` and `/api/{user_id}`) is the same
object under two templates. `iter_route_contexts` gives every route with its full
template; this index maps back from the matched route, or from the path alone when no
route took the request (a 404 or 405 on a real template, a plain route such as the
docs pages), so ids never reach a label and unknown paths share one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from fastapi.routing import iter_route_contexts
from starlette.routing import BaseRoute
from starlette.types import Scope


@dataclass
class RouteTemplates:
    routes: Sequence[BaseRoute]
    count: int = 0
    _by_route: dict[int, list[tuple[re.Pattern[str], str]]] = field(default_factory=dict)
    _all: list[tuple[re.Pattern[str], str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.count = len(self.routes)
        for context in iter_route_contexts(self.routes):
            template, regex = context.path_format, getattr(context, "path_regex", None)
            if not template or regex is None:
                continue
            entry = (regex, template)
            self._by_route.setdefault(id(context.original_route), []).append(entry)
            self._all.append(entry)

    def knows(self, route: object) -> bool:
        return id(route) in self._by_route

    def template(self, scope: Scope, path: str) -> str | None:
        """The template of the matched route, else of the first route the path fits.

        `path` is the path below the app's own root, taken before routing: a mount
        changes `root_path` in the scope as it routes.
        """
        route = scope.get("route")
        for regex, template in self._by_route.get(id(route), ()) if route is not None else ():
            if regex.match(path):
                return template
        for regex, template in self._all:
            if regex.match(path):
                return template
        return None
