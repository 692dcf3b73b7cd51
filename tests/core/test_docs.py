"""/docs and /redoc work without internet: every script, style and icon is ours."""

from __future__ import annotations

import re

import httpx
import pytest

# Any URL a page names: attributes, and quoted strings in its inline script.
_ATTRIBUTE_URL = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_QUOTED_URL = re.compile(r"""["']((?:https?:)?//[^"']+|/[^"'\s]*)["']""")


def referenced_urls(html: str) -> set[str]:
    return set(_ATTRIBUTE_URL.findall(html)) | set(_QUOTED_URL.findall(html))


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ("/docs", {"/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css"}),
        ("/redoc", {"/docs/assets/redoc.standalone.js"}),
    ],
)
async def test_documentation_pages_load_only_local_assets(
    client: httpx.AsyncClient, page: str, expected: set[str]
) -> None:
    response = await client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    urls = referenced_urls(response.text)
    assert expected <= urls
    assert "/openapi.json" in urls
    remote = sorted(url for url in urls if not url.startswith("/") or url.startswith("//"))
    assert remote == []
    assert "http://" not in response.text
    assert "https://" not in response.text
    for url in urls:
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 0, url


async def test_assets_are_javascript_and_css_and_unknown_ones_are_404(
    client: httpx.AsyncClient,
) -> None:
    script = await client.get("/docs/assets/swagger-ui-bundle.js")
    assert "javascript" in script.headers["content-type"]
    assert len(script.content) > 100_000  # the real bundle, not a stub
    style = await client.get("/docs/assets/swagger-ui.css")
    assert style.headers["content-type"].startswith("text/css")
    assert (await client.get("/docs/assets/../../pyproject.toml")).status_code == 404
    assert (await client.get("/docs/assets/nothing.js")).status_code == 404


async def test_the_swagger_oauth2_redirect_page_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs/oauth2-redirect")
    assert response.status_code == 200
    assert "oauth2" in response.text.lower()
