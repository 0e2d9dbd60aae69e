"""`labbook token revoke`: a revoked token gets 401 from every running service, through
the compacted labbook.revocations.v1 (no shared files); an expired one says so."""
from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from contextlib import AsyncExitStack
from datetime import datetime, timezone

import aiohttp
import pytest

from schemas.tokens import issue, verify
from services.cli.main import main
from tests.support.db import new_database
from tests.support.processes import ROOT, free_port, python_module, spawn, until_status

from .conftest import SECRET

pytestmark = pytest.mark.integration


async def answers(get, wanted: int, timeout: float) -> int:
    """Poll get() (an HTTP status) until it is `wanted` or the deadline passes; the last status."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        status = await get()
        if status == wanted or loop.time() > deadline:
            return status
        await asyncio.sleep(0.05)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def in_process(booking, token: str):
    async def get() -> int:
        return (await booking.client.get("/v1/requests", headers=bearer(token))).status
    return get


async def test_revoked_token_gets_401(booking, capsys):
    token, other = issue(SECRET, org="org-r", role="supplier"), issue(SECRET, org="org-r", role="supplier")
    assert (await booking.client.get("/v1/requests", headers=bearer(token))).status == 200
    assert await asyncio.to_thread(main, ["token", "revoke", token]) == 0  # its own event loop
    assert verify(SECRET, token).jti in capsys.readouterr().out
    assert await answers(in_process(booking, token), 401, timeout=5) == 401
    body = await (await booking.client.get("/v1/requests", headers=bearer(token))).json()
    assert body["error"] == {"code": "unauthorized", "message": "this bearer token has been revoked", "details": None}
    assert (await booking.client.get("/v1/requests", headers=bearer(other))).status == 200  # same org, other jti


@pytest.mark.parametrize("how", ["--jti", "positional"])
async def test_revoke_by_jti(booking, how):
    token = issue(SECRET, org="org-j", role="staff")
    jti = verify(SECRET, token).jti
    assert await asyncio.to_thread(main, ["token", "revoke", *(["--jti"] if how == "--jti" else []), jti]) == 0
    assert await answers(in_process(booking, token), 401, timeout=5) == 401


async def test_revoking_a_foreign_token_fails(booking, capsys):
    foreign = issue("another-secret-0123456789abcdef-xyz", org="x", role="staff")
    assert await asyncio.to_thread(main, ["token", "revoke", foreign]) == 1
    assert "--jti" in capsys.readouterr().err


async def test_an_expired_token_is_told_when_it_expired(booking):
    token = issue(SECRET, org="org-e", role="supplier", ttl_s=60, now=datetime(2025, 1, 1, tzinfo=timezone.utc))
    response = await booking.client.get("/v1/requests", headers=bearer(token))
    assert response.status == 401
    assert (await response.json())["error"] == {
        "code": "unauthorized",
        "message": "this bearer token expired at 2025-01-01T00:01:00+00:00; issue a new one with `labbook token issue`",
        "details": {"expired_at": "2025-01-01T00:01:00+00:00"},
    }


async def test_two_services_sharing_no_files_both_refuse_a_revoked_token(servers, settings, tmp_path):
    """A booking and a labs process, each with its own LABBOOK_HOME and database; the CLI
    runs with a third home. Only the broker connects them."""
    common = {"LABBOOK_TOKEN_SECRET": SECRET, "LOG_LEVEL": "WARNING"}
    tag = uuid.uuid4().hex[:8]
    apis = {
        "booking": ("services.booking", {"BOOKING_PORT": str(free_port()), "BOOKING_STATUS_GROUP": f"rv-{tag}",
                                         "BOOKING_STATUS_OFFSET_RESET": "latest"}, "/v1/queue"),
        "labs": ("services.labs", {"LABS_PORT": str(free_port()), "LABS_OFFERS_GROUP": f"rv-{tag}",
                                   "LABS_OFFERS_OFFSET_RESET": "latest"}, "/v1/labs"),
    }
    async with AsyncExitStack() as stack:
        urls = {}
        for name, (module, env, path) in apis.items():
            database = await stack.enter_async_context(new_database(servers, settings.database_url))
            home, log = tmp_path / name, tmp_path / f"{name}.log"
            home.mkdir()
            env = {**common, **env, "DATABASE_URL": database, "LABBOOK_HOME": str(home)}
            child = stack.enter_context(spawn(python_module(module), env, log))
            port = env.get("BOOKING_PORT") or env["LABS_PORT"]
            await until_status(f"http://127.0.0.1:{port}/healthz", 200, child=child, log=log)
            urls[name] = f"http://127.0.0.1:{port}{path}"
        session = await stack.enter_async_context(aiohttp.ClientSession())
        token = issue(SECRET, org="cluster", role="staff")

        def status(name: str):
            async def get() -> int:
                async with session.get(urls[name], headers=bearer(token)) as response:
                    return response.status
            return get

        assert [await status(name)() for name in apis] == [200, 200]
        cli_env = {**os.environ, **common, "LABBOOK_HOME": str(tmp_path / "cli")}
        revoke = await asyncio.to_thread(subprocess.run, python_module("services.cli.main", "token", "revoke", token),
                                         env=cli_env, cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert revoke.returncode == 0, revoke.stderr
        refused = await asyncio.gather(*(answers(status(name), 401, timeout=2.5) for name in apis))
        assert refused == [401, 401]
        assert not any((tmp_path / name / "revoked-tokens").exists() for name in [*apis, "cli"])
