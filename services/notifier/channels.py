"""The two ways out: signed webhooks over HTTP and email over SMTP.

Each `send` returns an Outcome and never raises for anything the target did, so
the dispatcher records every attempt the same way. Both bound their time
(timeouts) and reuse connections (aiohttp's pool, a small pool of SMTP sessions).
"""
from __future__ import annotations

import asyncio
import socket
import time

import aiohttp
import aiosmtplib

from . import signing, targets
from .outcomes import Outcome, Result, http_outcome, smtp_outcome

REPLY_BYTES = 500  # of an HTTP answer kept in the delivery log


class WebhookChannel:
    def __init__(self, *, timeout_s: float, allow_private: bool, connections: int) -> None:
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.timeout_s, self.allow_private = timeout_s, allow_private
        connector = targets.guarded_connector(allow_private=allow_private, limit=connections)
        self.session = aiohttp.ClientSession(connector=connector, timeout=self.timeout)

    async def close(self) -> None:
        await self.session.close()

    async def send(self, url: str, delivery_id: str, secrets: list[str], body: bytes) -> Outcome:
        headers = signing.headers(secrets, delivery_id, int(time.time()), body)
        headers["Content-Type"] = "application/json"
        try:
            async with self.session.post(url, data=body, headers=headers, allow_redirects=False) as response:
                reply = (await response.content.read(REPLY_BYTES)).decode(errors="replace")
                return http_outcome(response.status, reply)
        except targets.PrivateTargetRefused as exc:  # the connector refused a private address
            return Outcome(Result.FAILED, error=str(exc))
        except asyncio.TimeoutError:
            return Outcome(Result.RETRY, error=f"no answer within {self.timeout_s:g} s")
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, targets.PrivateTargetRefused):
                return Outcome(Result.FAILED, error=str(exc.os_error))
            return Outcome(Result.RETRY, error=f"cannot connect: {exc}")
        except (aiohttp.ClientError, OSError) as exc:
            return Outcome(Result.RETRY, error=f"{type(exc).__name__}: {exc}")


class EmailChannel:
    """SMTP sessions kept open between messages (a new one per message costs a handshake);
    one that failed is dropped and a fresh one opened next time."""

    def __init__(self, *, host: str, port: int, timeout_s: float, connections: int, username: str | None = None,
                 password: str | None = None, starttls: bool = False) -> None:
        # The EHLO name given, not looked up: aiosmtplib's default (getfqdn) asks the resolver
        # on every new connection.
        self.options = dict(hostname=host, port=port, timeout=timeout_s, username=username, password=password,
                            start_tls=starttls, local_hostname=socket.gethostname())
        self.idle: asyncio.Queue[aiosmtplib.SMTP] = asyncio.Queue()
        self.slots = asyncio.Semaphore(connections)

    async def close(self) -> None:
        while not self.idle.empty():
            smtp = self.idle.get_nowait()
            try:
                await smtp.quit()
            except (aiosmtplib.SMTPException, OSError):
                smtp.close()

    async def send(self, message: bytes, sender: str, recipient: str) -> Outcome:
        async with self.slots:
            smtp = None
            try:
                smtp = await self._session()
                errors, reply = await smtp.sendmail(sender, [recipient], message)
            except aiosmtplib.SMTPRecipientsRefused as exc:
                refused = exc.recipients[0]
                self._keep(smtp)
                return smtp_outcome(refused.code, refused.message)
            except aiosmtplib.SMTPResponseException as exc:
                self._keep(smtp)
                return smtp_outcome(exc.code, exc.message)
            except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError) as exc:
                if smtp is not None:
                    smtp.close()
                return Outcome(Result.RETRY, error=f"{type(exc).__name__}: {exc}")
            self._keep(smtp)
            return smtp_outcome(250, reply)

    async def _session(self) -> aiosmtplib.SMTP:
        while not self.idle.empty():
            smtp = self.idle.get_nowait()
            if smtp.is_connected:
                return smtp
        options = {k: v for k, v in self.options.items() if v is not None}
        smtp = aiosmtplib.SMTP(**options)
        await smtp.connect()
        return smtp

    def _keep(self, smtp: aiosmtplib.SMTP | None) -> None:
        if smtp is not None and smtp.is_connected:
            self.idle.put_nowait(smtp)
