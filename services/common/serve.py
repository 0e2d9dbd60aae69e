"""Run an aiohttp service as a process: clear start-up errors, no traceback."""
from __future__ import annotations

import logging
from collections.abc import Callable

from aiohttp import web

from .settings import S, load_settings
from .startup import StartupError, fail, setup_logging

log = logging.getLogger(__name__)


def serve(service: str, settings_cls: type[S], create_app: Callable[[S], web.Application]) -> None:
    settings = load_settings(settings_cls, service)
    setup_logging(settings.log_level)
    app = create_app(settings)
    try:
        web.run_app(app, host=settings.host, port=settings.port, print=None, access_log=None)
    except StartupError as exc:
        fail(service, exc)
