"""`/docs` (Swagger UI) and `/redoc`, served with their scripts from our own origin.

FastAPI's own pages load Swagger UI and ReDoc from a CDN, so they render blank on a
machine without internet (a store's back office often is one). The `fastapi-offline`
package ships both bundles; we serve its files under `/docs/assets` and build the
pages with FastAPI's HTML helpers pointed there, with nothing else fetched from
elsewhere (no Google fonts, no online validator).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_PACKAGE = "fastapi_offline"
ASSETS = "/docs/assets"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"
# Swagger UI's default would send the document to an online validator for a badge.
SWAGGER_PARAMETERS = {"validatorUrl": None}


def install_docs(app: FastAPI) -> None:
    """Add the two documentation pages, the OAuth2 redirect page and their assets.

    Build the app with `docs_url=None, redoc_url=None` so FastAPI's CDN pages are off.
    The handlers live at module level and read the app from the request: FastAPI caches
    what it learns about each endpoint function, so a closure over `app` would keep every
    app ever built alive (thousands in a test run).
    """
    app.mount(ASSETS, StaticFiles(packages=[(ASSETS_PACKAGE, "static")]), name="docs-assets")
    app.add_api_route("/docs", swagger_ui, include_in_schema=False)
    app.add_api_route(OAUTH2_REDIRECT, swagger_ui_redirect, include_in_schema=False)
    app.add_api_route("/redoc", redoc, include_in_schema=False)


async def swagger_ui(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    app: FastAPI = request.app
    return get_swagger_ui_html(
        openapi_url=f"{root}{app.openapi_url}",
        title=f"{app.title} - Swagger UI",
        oauth2_redirect_url=f"{root}{OAUTH2_REDIRECT}",
        swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{root}{ASSETS}/favicon.png",
        swagger_ui_parameters=SWAGGER_PARAMETERS,
    )


async def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


async def redoc(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    app: FastAPI = request.app
    return get_redoc_html(
        openapi_url=f"{root}{app.openapi_url}",
        title=f"{app.title} - ReDoc",
        redoc_js_url=f"{root}{ASSETS}/redoc.standalone.js",
        redoc_favicon_url=f"{root}{ASSETS}/favicon.png",
        with_google_fonts=False,
    )
