"""`labbook token revoke`: a revoked token gets 401 from the running service."""
from __future__ import annotations

import asyncio

import pytest

from schemas.tokens import issue, verify
from services.cli.main import main

from .conftest import SECRET

pytestmark = pytest.mark.integration


async def status_within(booking, headers: dict, wanted: int, timeout: float = 10.0) -> int:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        status = (await booking.client.get("/v1/requests", headers=headers)).status
        if status == wanted or loop.time() > deadline:
            return status
        await asyncio.sleep(0.1)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


async def test_revoked_token_gets_401(booking, capsys):
    token, other = issue(SECRET, org="org-r", role="supplier"), issue(SECRET, org="org-r", role="supplier")
    assert (await booking.client.get("/v1/requests", headers=bearer(token))).status == 200
    assert main(["token", "revoke", token]) == 0
    assert verify(SECRET, token).jti in capsys.readouterr().out
    assert await status_within(booking, bearer(token), 401) == 401
    response = await booking.client.get("/v1/requests", headers=bearer(token))
    assert (await response.json())["error"]["code"] == "unauthorized"
    assert (await booking.client.get("/v1/requests", headers=bearer(other))).status == 200  # same org, other jti


async def test_revoke_by_jti(booking):
    token = issue(SECRET, org="org-j", role="staff")
    assert main(["token", "revoke", "--jti", verify(SECRET, token).jti]) == 0
    assert await status_within(booking, bearer(token), 401) == 401


async def test_revoking_a_foreign_token_fails(booking, capsys):
    assert main(["token", "revoke", issue("another-secret", org="x", role="staff")]) == 1
    assert "--jti" in capsys.readouterr().err
