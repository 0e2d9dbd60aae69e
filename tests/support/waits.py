"""Waiting for an event instead of for a time: poll a condition against a deadline."""
from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

POLL_S = 0.2


async def within(check: Callable[[], Any], timeout: float, interval: float = POLL_S):
    """Call check() (a plain function or a coroutine function) until it returns something
    truthy, and return that; None once `timeout` seconds have passed without it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if loop.time() >= deadline:
            return None
        await asyncio.sleep(interval)


async def until(check: Callable[[], Any], timeout: float, what: str | Callable[[], str],
                interval: float = POLL_S):
    """within(), failing the test if the deadline passes; `what` (or what()) names the
    awaited event in the failure."""
    result = await within(check, timeout, interval)
    if not result:
        raise AssertionError(f"timed out after {timeout:g} s waiting for {what() if callable(what) else what}")
    return result
