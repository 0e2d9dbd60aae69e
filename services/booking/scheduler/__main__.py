"""`python -m services.booking.scheduler`: run the scheduler as a Faust worker."""
from __future__ import annotations

import asyncio

from faust import Worker

from services.common.kafka import kafka_alive
from services.common.settings import load_settings
from services.common.startup import StartupError, fail, setup_logging

from .app import SERVICE, create_worker
from .outlook import compile_search
from .runtime import tune_gc
from .settings import SchedulerSettings


def main() -> None:
    settings = load_settings(SchedulerSettings, SERVICE)
    setup_logging(settings.log_level)
    # Faust retries an unreachable broker forever; say so once instead.
    if not asyncio.run(kafka_alive(settings.kafka_bootstrap, timeout=10)):
        fail(SERVICE, StartupError("KAFKA_BOOTSTRAP", f"no Kafka broker answered at {settings.kafka_bootstrap}"))
    settings.home.mkdir(parents=True, exist_ok=True)  # Faust makes its datadir, not the parents
    app = create_worker(settings).app
    compile_search()
    tune_gc()
    Worker(app, loglevel=settings.log_level.lower(), quiet=True).execute_from_commandline()


if __name__ == "__main__":
    main()
