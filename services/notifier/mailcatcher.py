"""A local SMTP server that keeps every message as a .eml file: the local stack's mailbox.

`python -m services.notifier.mailcatcher [--dir DIR] [--host H] [--port P]`
(defaults from MailCatcherSettings: 127.0.0.1:1025, $LABBOOK_HOME/mail).
Each message is written as received, with the SMTP envelope prepended as
`X-Labbook-Envelope-From` / `X-Labbook-Envelope-To` (Bcc recipients appear only
there). Recipients whose local part starts with `reject` are refused with 550,
`tempfail` with 451, so tests can drive the notifier's bounce and retry paths.
"""
from __future__ import annotations

import argparse
import asyncio
import email.policy
import itertools
import os
import re
import signal
import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session

from services.common.settings import load_settings

from .mailcatcher_settings import MailCatcherSettings

REFUSALS = {"reject": "550 5.1.1 mailbox unavailable", "tempfail": "451 4.3.0 try again later"}
ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]*")
HOSTNAME = "labbook-mailcatcher"  # not socket.getfqdn(): that may wait on DNS


class CatchHandler:
    """aiosmtpd handler: refuse scripted recipients, store everything else."""

    def __init__(self, directory: Path, refusals: Mapping[str, str] = REFUSALS) -> None:
        self.directory = Path(directory)
        self.refusals = refusals
        self._counter = itertools.count(1)

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        local = address.rpartition("@")[0].lower()
        for prefix, reply in self.refusals.items():
            if local.startswith(prefix):
                return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        path = self.store(envelope.mail_from or "", envelope.rcpt_tos, envelope.original_content or b"")
        return f"250 OK queued as {path.stem}"

    def store(self, mail_from: str, rcpt_tos: list[str], content: bytes) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        now = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
        name = f"{now}-{next(self._counter):06d}-{uuid.uuid4().hex[:8]}.eml"
        envelope = (f"X-Labbook-Envelope-From: <{mail_from}>\r\n"
                    f"X-Labbook-Envelope-To: {', '.join(rcpt_tos)}\r\n").encode()
        # A reader polling the directory must never see half a message.
        temp = self.directory / f".{name}.tmp"
        with open(temp, "wb") as f:
            f.write(envelope + content)
        os.replace(temp, self.directory / name)
        return self.directory / name


async def serve(dir: Path | str, host: str = "127.0.0.1", port: int = 1025) -> asyncio.Server:
    """Listening on return; `async with` it, or close() and wait_closed(), to stop."""
    loop = asyncio.get_running_loop()
    handler = CatchHandler(Path(dir))
    return await loop.create_server(
        lambda: SMTP(handler, hostname=HOSTNAME, enable_SMTPUTF8=True, loop=loop), host, port)


@dataclass(frozen=True)
class MailSummary:
    id: str
    date: datetime
    sender: str
    to: list[str]
    subject: str
    size: int


def _parse(data: bytes, *, headers_only: bool = False) -> EmailMessage:
    # Files keep SMTP's CRLF; readers want text with "\n", as Python's mailbox gives it.
    return BytesParser(policy=email.policy.default).parsebytes(data.replace(b"\r\n", b"\n"),
                                                               headersonly=headers_only)


def _date(message: EmailMessage, path: Path) -> datetime:
    try:
        date = parsedate_to_datetime(str(message["Date"]))
    except (TypeError, ValueError):  # no or unreadable Date header: when it was caught
        return datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
    return date if date.tzinfo else date.replace(tzinfo=timezone.utc)  # "-0000": UTC, zone unknown


def _summary(path: Path) -> MailSummary:
    data = path.read_bytes()
    message = _parse(data, headers_only=True)
    to = str(message.get("X-Labbook-Envelope-To") or message.get("To") or "")
    return MailSummary(
        id=path.stem, date=_date(message, path), sender=str(message.get("From") or ""),
        to=[a.strip() for a in to.split(",") if a.strip()],
        subject=str(message.get("Subject") or ""), size=len(data),
    )


def _files(dir: Path | str) -> list[Path]:
    # Names start with the UTC time caught, so name order is arrival order.
    return sorted(p for p in Path(dir).glob("*.eml") if not p.name.startswith("."))


def list_messages(dir: Path | str) -> list[MailSummary]:
    """Every caught message, oldest first."""
    return [_summary(path) for path in _files(dir)]


def read_message(dir: Path | str, id: str) -> EmailMessage:
    """The message with this id (its file name without .eml); KeyError if none."""
    if not ID.fullmatch(id):
        raise KeyError(id)
    path = Path(dir) / f"{id}.eml"
    try:
        return _parse(path.read_bytes())
    except FileNotFoundError:
        raise KeyError(id) from None


def _args(argv: list[str] | None) -> argparse.Namespace:
    settings = load_settings(MailCatcherSettings, "mailcatcher")
    p = argparse.ArgumentParser(prog="mailcatcher", description=__doc__.splitlines()[0])
    p.add_argument("--dir", type=Path, default=settings.mail_dir(), help="where .eml files go")
    p.add_argument("--host", default=settings.host)
    p.add_argument("--port", type=int, default=settings.port)
    return p.parse_args(argv)


async def _run(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    args.dir.mkdir(parents=True, exist_ok=True)
    async with await serve(args.dir, args.host, args.port) as server:
        port = server.sockets[0].getsockname()[1]  # the real one when --port 0
        print(f"mailcatcher: listening on smtp://{args.host}:{port}, writing to {args.dir}", flush=True)
        await stop.wait()
    print("mailcatcher: stopped", flush=True)


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    try:
        asyncio.run(_run(args))
    except OSError as exc:  # the port is taken, the directory is not writable
        print(f"mailcatcher: cannot start: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
