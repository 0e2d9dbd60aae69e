"""The one backoff (services/common/retry.py): doubling waits with a ceiling, zero until a
failure, and `retrying` warning once per outage."""
from __future__ import annotations

import logging

import asyncpg
import pytest

from services.common.retry import Backoff, retrying


def test_waits_double_up_to_the_ceiling_and_start_over_after_a_reset():
    backoff = Backoff(first=0.5, most=3.0)
    assert not backoff.failing
    assert [backoff.failed() for _ in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert backoff.failing
    backoff.reset()
    assert not backoff.failing and backoff.failed() == 0.5


async def test_retrying_goes_on_until_the_step_goes_through_and_warns_once(caplog):
    tries = []

    async def step(x):
        tries.append(x)
        if len(tries) < 3:
            raise OSError("connection refused")
        return x * 2

    with caplog.at_level(logging.WARNING):
        result = await retrying(step, 21, retryable=(OSError,), what="test-consumer",
                                log=logging.getLogger("test"), most=0.001)
    assert result == 42 and tries == [21, 21, 21]
    assert [r.getMessage() for r in caplog.records] == ["test-consumer cannot go on, will retry: connection refused"]


async def test_what_is_not_retryable_goes_through():
    async def step():
        raise asyncpg.DataError("bad row")

    with pytest.raises(asyncpg.DataError):
        await retrying(step, retryable=(OSError,), what="x", log=logging.getLogger("test"), most=0.001)
