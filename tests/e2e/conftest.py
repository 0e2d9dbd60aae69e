"""End-to-end: real service processes on a fresh database, the shared Kafka broker."""
from __future__ import annotations

import uuid
from contextlib import asynccontextmanager

import pytest

from schemas.tokens import issue
from tests.support.db import new_database
from tests.support.processes import free_port, python_module, spawn, until_status

SECRET = "e2e-secret-0123456789abcdef-0123456789"


def token(role: str = "supplier", org: str | None = None) -> str:
    return issue(SECRET, org=org or f"org-{uuid.uuid4().hex[:8]}", role=role)


@asynccontextmanager
async def service_process(servers, settings, tmp_path_factory, name: str, port_setting: str, **env: str):
    """A real `python -m services.<name>` on a database of its own and a free port; its base URL."""
    port = free_port()
    async with new_database(servers, settings.database_url) as database:
        env = {"DATABASE_URL": database, "LABBOOK_TOKEN_SECRET": SECRET, port_setting: str(port),
               "LOG_LEVEL": "WARNING", **env}
        log = tmp_path_factory.mktemp(name) / f"{name}.log"
        with spawn(python_module(f"services.{name}"), env, log) as child:
            url = f"http://127.0.0.1:{port}"
            await until_status(f"{url}/healthz", 200, child=child, log=log)
            yield url


@pytest.fixture(scope="module")
async def booking_url(servers, settings, tmp_path_factory):
    """A real booking-api process on its own database; its base URL."""
    async with service_process(servers, settings, tmp_path_factory, "booking", "BOOKING_PORT",
                               BOOKING_STATUS_GROUP=f"booking-status-e2e-{uuid.uuid4().hex[:12]}",
                               BOOKING_STATUS_OFFSET_RESET="latest",
                               # the localisation case planned again as the queue moves
                               BOOKING_CAPACITY_GAPS_MIN_AGE_S="0") as url:
        yield url


@pytest.fixture(scope="module")
async def labs_url(servers, settings, tmp_path_factory):
    """A real labs-api process on its own database (its own offers group); its base URL."""
    async with service_process(servers, settings, tmp_path_factory, "labs", "LABS_PORT",
                               LABS_OFFERS_GROUP=f"labs-offers-e2e-{uuid.uuid4().hex[:12]}") as url:
        yield url


@pytest.fixture(scope="module")
async def lab_id(labs_url) -> str:
    """A lab registered (by staff) in the labs process; a `lab` token with this org is that lab."""
    import aiohttp

    from tests.integration.labs.conftest import lab_body

    wanted = f"e2e-{uuid.uuid4().hex[:8]}"
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{labs_url}/v1/labs", json=lab_body(id=wanted),
                                headers={"Authorization": f"Bearer {token('staff')}"}) as response:
            assert response.status == 201, await response.text()
            return (await response.json())["id"]


@pytest.fixture(scope="module")
async def notifier_url(servers, settings, tmp_path_factory):
    """A real notifier process on its own database (its own consumer group); its base URL.
    Private targets are refused, as in production: generated webhook URLs never get sent to."""
    async with service_process(servers, settings, tmp_path_factory, "notifier", "NOTIFIER_PORT",
                               NOTIFIER_GROUP=f"notifier-e2e-{uuid.uuid4().hex[:12]}",
                               NOTIFIER_OFFSET_RESET="latest") as url:
        yield url
