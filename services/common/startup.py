"""Start-up failures a person can act on: one line naming the setting."""
from __future__ import annotations

import logging
import sys
from urllib.parse import urlsplit, urlunsplit


class StartupError(RuntimeError):
    def __init__(self, setting: str, message: str) -> None:
        self.setting = setting
        super().__init__(f"{setting}: {message}")


def redact(url: str) -> str:
    """The URL with its password hidden, for logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def fail(service: str, exc: StartupError) -> None:
    print(f"{service}: cannot start: {exc}", file=sys.stderr)
    raise SystemExit(1)
