"""The one backoff every retry loop of labbook uses: waits that double from `first` up
to `most`, zero until the first failure (so a loop warns once per outage, not per try),
and `retrying` for the common case of one step tried until it goes through."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class Backoff:
    first: float = 0.5
    most: float = 10.0
    delay: float = 0.0  # the last wait; 0 while nothing has failed since the last reset

    @property
    def failing(self) -> bool:
        return self.delay > 0

    def failed(self) -> float:
        """One more failure: how long to wait before the next try."""
        self.delay = min(self.most, self.delay * 2 or self.first)
        return self.delay

    def reset(self) -> None:
        self.delay = 0.0


async def retrying(step: Callable[..., Awaitable[Any]], *args: Any, retryable: tuple[type[BaseException], ...],
                   what: str, log: logging.Logger, most: float) -> Any:
    """`step(*args)` until it raises nothing retryable (the outage ends), warning once."""
    backoff = Backoff(most=most)
    while True:
        try:
            return await step(*args)
        except retryable as exc:
            if not backoff.failing:
                log.warning("%s cannot go on, will retry: %s", what, exc or type(exc).__name__)
            await asyncio.sleep(backoff.failed())
