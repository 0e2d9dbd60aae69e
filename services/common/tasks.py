"""Background tasks a service runs beside its routes (relays, consumers)."""
from __future__ import annotations

import asyncio
import logging

log = logging.getLogger(__name__)


async def stop_task(task: asyncio.Task) -> None:
    """Cancel the task and wait for it; an error it ended with is logged, not raised,
    so the rest of the shutdown still runs."""
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    except Exception:
        log.exception("%s ended with an error", task.get_name())
