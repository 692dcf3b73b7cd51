"""/metrics: request counts by route template, pool gauges, several worker processes."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.core.config import Settings
from backroom.core.metrics import MULTIPROC_ENV
from tests.factories import auth_headers, make_user


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def label_sets(text: str) -> list[tuple[str, dict[str, str]]]:
    return [
        (sample.name, sample.labels)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    ]


def requests_total(text: str, **labels: str) -> float:
    key = ("backroom_http_requests_total", frozenset(labels.items()))
    return samples(text).get(key, 0.0)


async def test_requests_are_counted_by_route_template_and_status_class(
    client: httpx.AsyncClient,
) -> None:
    before = (await client.get("/metrics")).text
    await client.get("/health")
    await client.get("/health")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    ok = {"method": "GET", "route": "/health", "status": "2xx"}
    assert requests_total(response.text, **ok) - requests_total(before, **ok) == 2
    assert "backroom_http_request_duration_seconds_bucket" in response.text


async def test_unmatched_paths_and_odd_methods_share_one_label(client: httpx.AsyncClient) -> None:
    for number in range(5):
        await client.get(f"/no-such-page-{number}")
    await client.request("BREW", "/health")
    text = (await client.get("/metrics")).text
    assert "no-such-page" not in text
    assert requests_total(text, method="GET", route="<unmatched>", status="4xx") >= 5
    assert requests_total(text, method="OTHER", route="/health", status="4xx") >= 1
    assert "BREW" not in text


async def test_the_documentation_pages_are_counted_under_their_own_path(
    client: httpx.AsyncClient,
) -> None:
    await client.get("/openapi.json")
    await client.get("/health/")  # a redirect to /health: unmatched, not its raw path
    text = (await client.get("/metrics")).text
    assert requests_total(text, method="GET", route="/openapi.json", status="2xx") >= 1
    assert 'route="/health/"' not in text


async def test_pool_gauges_and_domain_counters_are_exposed(client: httpx.AsyncClient) -> None:
    await client.get("/health/ready")
    text = (await client.get("/metrics")).text
    names = {name for name, _labels in samples(text)}
    assert {
        "backroom_db_pool_size",
        "backroom_db_pool_checked_out",
    } <= names
    for counter in ("login_failures", "lockouts", "rate_limited"):
        assert f"# TYPE backroom_{counter}_total counter" in text or (
            f"# TYPE backroom_{counter} counter" in text
        )
    checked_out = samples(text)[("backroom_db_pool_checked_out", frozenset())]
    assert checked_out == 0  # the readiness check gave its connection back


WORKER = """
from backroom.core import metrics
metrics.LOGIN_FAILURES.labels("pin").inc(3)
metrics.observe_request("GET", "/health", 200, 0.01)
print(metrics.render().decode())
"""


def test_samples_of_several_workers_add_up(tmp_path: Path) -> None:
    env = {**os.environ, MULTIPROC_ENV: str(tmp_path)}
    outputs = [
        subprocess.run(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-c", WORKER], env=env, check=True, capture_output=True, text=True
        ).stdout
        for _worker in range(2)
    ]
    # The second worker's /metrics text already holds the first worker's samples.
    text = outputs[1]
    assert samples(text)[("backroom_login_failures_total", frozenset({("method", "pin")}))] == 6
    assert requests_total(text, method="GET", route="/health", status="2xx") == 2


async def test_routes_are_labelled_with_their_full_template_whatever_the_answer(
    client: httpx.AsyncClient, settings: Settings, session: AsyncSession
) -> None:
    user = await make_user(session)
    headers = auth_headers(settings, user)
    task_id = (
        await client.post("/api/tasks", json={"title": "Face the shelf"}, headers=headers)
    ).json()["id"]
    before = (await client.get("/metrics")).text
    assert (await client.get(f"/api/tasks/{task_id}", headers=headers)).status_code == 200
    assert (await client.get("/api/tasks/999999", headers=headers)).status_code == 404
    assert (await client.get("/api/tasks/not-a-number", headers=headers)).status_code == 404
    assert (await client.get(f"/api/tasks/{task_id}")).status_code == 401
    assert (await client.post(f"/api/tasks/{task_id}", headers=headers)).status_code == 405
    assert (await client.get(f"/api/{user.id}/tasks/{task_id}", headers=headers)).status_code == 200
    assert (
        await client.get(f"/api/{uuid.uuid4()}/tasks/{task_id}", headers=headers)
    ).status_code == 403
    assert (await client.get("/api/no/such/route/at/all", headers=headers)).status_code == 404
    text = (await client.get("/metrics")).text

    def counted(**labels: str) -> float:
        return requests_total(text, **labels) - requests_total(before, **labels)

    one = "/api/tasks/{task_id}"
    assert counted(method="GET", route=one, status="2xx") == 1
    assert counted(method="GET", route=one, status="4xx") == 3
    assert counted(method="POST", route=one, status="4xx") == 1
    by_user = "/api/{user_id}/tasks/{task_id}"
    assert counted(method="GET", route=by_user, status="2xx") == 1
    assert counted(method="GET", route=by_user, status="4xx") == 1
    assert counted(method="GET", route="<unmatched>", status="4xx") == 1
    assert 'route="/tasks/{task_id}"' not in text
    assert str(task_id) not in {labels.get("route") for _name, labels in label_sets(text)}
    assert str(user.id) not in text


async def test_the_access_log_names_the_full_template(
    client: httpx.AsyncClient,
    settings: Settings,
    session: AsyncSession,
    logs: pytest.LogCaptureFixture,
) -> None:
    user = await make_user(session)
    await client.get("/api/tasks/12345", headers=auth_headers(settings, user))
    [record] = [record for record in logs.records if record.name == "backroom.access"]
    assert record.__dict__["route"] == "/api/tasks/{task_id}"
    assert record.getMessage().startswith("GET /api/tasks/{task_id} 404 ")
    assert "12345" not in record.getMessage()


async def test_static_documentation_assets_share_one_label(client: httpx.AsyncClient) -> None:
    await client.get("/docs/assets/swagger-ui.css")
    await client.get("/docs/assets/swagger-ui-bundle.js")
    text = (await client.get("/metrics")).text
    assert requests_total(text, method="GET", route="/docs/assets/{path}", status="2xx") >= 2
    assert "swagger-ui.css" not in text
