"""A real SMTP server for tests: `python -m services.notifier.mailcatcher` as a subprocess.

    with smtp_server(tmp_path) as smtp:
        ... point the notifier at smtp.host, smtp.port ...
        [message] = await smtp.wait_for(1)

Recipients whose local part starts with `reject` are refused with 550, with
`tempfail` with 451 (see services/notifier/mailcatcher.py).
"""
from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path

from services.notifier.mailcatcher import list_messages, read_message
from tests.support.processes import free_port, python_module, spawn

POLL_S = 0.05  # the catcher is another process: its directory is all we can watch


class SmtpServer:
    def __init__(self, host: str, port: int, directory: Path, log: Path) -> None:
        self.host, self.port, self.dir, self.log = host, port, directory, log
        self.process = None  # the subprocess.Popen, once started

    def messages(self) -> list[EmailMessage]:
        """Every message caught so far, oldest first (envelope in X-Labbook-Envelope-*)."""
        if not self.dir.is_dir():
            return []
        return [read_message(self.dir, summary.id) for summary in list_messages(self.dir)]

    async def wait_until(self, predicate: Callable[[list[EmailMessage]], bool],
                         timeout: float = 30) -> list[EmailMessage]:
        """The messages, once `predicate(messages)` holds; AssertionError after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            messages = self.messages()
            if predicate(messages):
                return messages
            if time.monotonic() > deadline:
                caught = [(str(m["X-Labbook-Envelope-To"]), str(m["Subject"])) for m in messages]
                raise AssertionError(f"mail not as expected within {timeout} s; caught (to, subject): {caught}")
            await asyncio.sleep(POLL_S)

    async def wait_for(self, count: int, timeout: float = 30) -> list[EmailMessage]:
        """At least `count` messages (all of them, oldest first)."""
        return await self.wait_until(lambda messages: len(messages) >= count, timeout)


def _until_listening(server: SmtpServer, child, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((server.host, server.port), timeout=1):
                return
        except OSError:
            if child.poll() is not None:
                break
            time.sleep(POLL_S)
    tail = server.log.read_text(errors="replace")[-3000:] if server.log.exists() else ""
    raise AssertionError(f"mailcatcher not listening on {server.host}:{server.port} within {timeout} s\n{tail}")


@contextmanager
def smtp_server(tmp_path: Path, *, timeout: float = 30) -> Iterator[SmtpServer]:
    """A catcher on a free loopback port writing to tmp_path/mail; killed on exit."""
    server = SmtpServer("127.0.0.1", free_port(), tmp_path / "mail", tmp_path / "mailcatcher.log")
    args = python_module("services.notifier.mailcatcher", "--dir", str(server.dir),
                         "--host", server.host, "--port", str(server.port))
    with spawn(args, {}, server.log) as child:
        server.process = child
        _until_listening(server, child, timeout)
        yield server
