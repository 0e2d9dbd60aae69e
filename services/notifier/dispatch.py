"""Sending: claim due deliveries, send each once, hand the outcome to the recorder.

A delivery is claimed ('sending', one more attempt, a lease) and that claim is
committed before anything is sent, so a redelivered Kafka message or a second
replica never sends it again. Its outcome is recorded afterwards (recorder.py); if
the process dies in between, the lease runs out and the delivery is sent again
under the same `webhook-id` / `Message-ID`: the one duplicate that HTTP and SMTP
themselves allow (the answer was lost after the target accepted).

Concurrency is bounded in total and per target, so one slow or dead target only
ever holds its own few slots. Claims run ahead of the sends (up to CLAIM_AHEAD times the
concurrency claimed, topped up when TOP_UP concurrencies' worth have gone out), so one
round trip claims a whole batch instead of one delivery per freed slot.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter

import asyncpg
from aiohttp import web

from schemas.envelope import utcnow
from schemas.notifications import Channel
from services.common.retry import Backoff

from . import compose, dispatch_db as q
from .channels import EmailChannel, WebhookChannel
from .outcomes import Outcome, Result
from .recorder import Attempt, Recorder
from .settings import CLAIM_AHEAD, NotifierSettings

log = logging.getLogger(__name__)

RETRYABLE = (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)
POSTPONE_S = 1.0
MAX_BACKOFF_S = 10.0
ORPHAN_CHECK_S = 5.0
# Claim again once this many concurrencies' worth of claimed deliveries have gone out: a
# claim costs PostgreSQL about as much for 32 rows as for 64 (its statement and commit),
# and the CLAIM_AHEAD - TOP_UP left queued keep the sends busy meanwhile.
TOP_UP = 2


class Dispatcher:
    def __init__(self, pool: asyncpg.Pool, settings: NotifierSettings, webhooks: WebhookChannel,
                 email: EmailChannel, recorder: Recorder) -> None:
        self.pool, self.settings, self.webhooks, self.email = pool, settings, webhooks, email
        self.recorder = recorder
        self.held: Counter[str] = Counter()  # claimed and not yet sent, per target
        self.tasks: set[asyncio.Task] = set()
        self.slots = asyncio.Semaphore(settings.concurrency)
        self.target_slots: dict[str, asyncio.Semaphore] = {}
        self._wakeup = asyncio.Event()

    def wake(self) -> None:
        self._wakeup.set()

    async def run(self) -> None:
        backoff, orphans_at = Backoff(most=MAX_BACKOFF_S), 0.0
        while True:
            try:
                if time.monotonic() - orphans_at > ORPHAN_CHECK_S:
                    orphans_at = time.monotonic()
                    await self._release_orphans()
                claimed = await self.claim()
                backoff.reset()
            except RETRYABLE as exc:
                if not backoff.failing:
                    log.warning("dispatcher cannot claim deliveries, will retry: %s", exc or type(exc).__name__)
                await asyncio.sleep(backoff.failed())
                continue
            except Exception:  # a bug must not silently end sending: log it, keep trying
                log.exception("dispatcher failed to claim deliveries")
                await asyncio.sleep(backoff.failed())
                continue
            for row, secrets in claimed:
                self._start(row, secrets)
            if not claimed:
                await self._idle()
            while len(self.tasks) > (CLAIM_AHEAD - TOP_UP) * self.settings.concurrency:  # top up before they run out
                await self._idle()

    async def stop(self) -> None:
        """Let the sends in flight finish and record (bounded by their timeouts)."""
        if self.tasks:
            await asyncio.wait(self.tasks)
        await self.recorder.flush()

    async def _release_orphans(self) -> None:
        async with self.pool.acquire() as conn:
            if released := await q.release_orphans(conn):
                log.info("released %d held deliveries whose predecessor had ended", released)

    async def _idle(self) -> None:
        try:
            async with asyncio.timeout(self.settings.dispatch_poll_s):
                await self._wakeup.wait()
        except TimeoutError:
            pass
        self._wakeup.clear()

    async def claim(self) -> list[tuple[asyncpg.Record, list[str]]]:
        if self.recorder.stalled:  # outcomes of sends made are not written yet: those first
            await self.recorder.flush()
        free = CLAIM_AHEAD * self.settings.concurrency - len(self.tasks)
        if free <= 0:
            return []
        per_target = CLAIM_AHEAD * self.settings.per_target_concurrency
        async with self.pool.acquire() as conn:
            rows = await q.claim(conn, free=free, window=min(self.settings.dispatch_batch, free * 4),
                                 held=dict(self.held), per_target=per_target, lease_s=self.settings.lease_s)
        return [(r, list(r["secrets"])) for r in rows]

    def _start(self, row: asyncpg.Record, secrets: list[str]) -> None:
        target = row["target"]
        self.held[target] += 1
        if target not in self.target_slots:
            self.target_slots[target] = asyncio.Semaphore(self.settings.per_target_concurrency)
        task = asyncio.create_task(self._deliver(row, secrets), name=f"delivery-{row['id']}")
        self.tasks.add(task)
        task.add_done_callback(lambda t: self._done(t, target))

    def _done(self, task: asyncio.Task, target: str) -> None:
        self.tasks.discard(task)
        self.held[target] -= 1
        if not self.held[target]:
            del self.held[target], self.target_slots[target]
        if len(self.tasks) <= (CLAIM_AHEAD - TOP_UP) * self.settings.concurrency:
            self.wake()  # room to claim more (above that, the loop would only wait again)

    async def _deliver(self, row: asyncpg.Record, secrets: list[str]) -> None:
        try:
            async with self.slots, self.target_slots[row["target"]]:
                await self._attempt(row, secrets)
        except RETRYABLE as exc:  # cannot record: the lease runs out and it is tried again
            log.warning("delivery %s: cannot record its outcome: %s", row["id"], exc or type(exc).__name__)
        except Exception:
            log.exception("delivery %s failed unexpectedly", row["id"])

    async def _attempt(self, row: asyncpg.Record, secrets: list[str]) -> None:
        if row["subscription_status"] != "active":
            outcome = Outcome(Result.FAILED, error=f"subscription {row['subscription_status']}")
            return self.recorder.add(Attempt(row, outcome, utcnow(), 0.0))
        age = (utcnow() - row["created_at"]).total_seconds()
        if compose.waiting_for_details(row) and age < self.settings.details_wait_s:
            async with self.pool.acquire() as conn:
                return await q.postpone(conn, row["id"], POSTPONE_S)
        started, clock = utcnow(), time.perf_counter()
        outcome = await self._send(row, secrets)
        self.recorder.add(Attempt(row, outcome, started, (time.perf_counter() - clock) * 1000))

    async def _send(self, row: asyncpg.Record, secrets: list[str]) -> Outcome:
        try:
            if row["channel"] == Channel.WEBHOOK:
                if not secrets:
                    return Outcome(Result.FAILED, error="the subscription has no valid signing secret")
                return await self.webhooks.send(row["target"], str(row["id"]), secrets, compose.webhook_body(row))
            ctx = compose.context_of(row, self.settings.request_url)
            message = compose.email_of(row, ctx, self.settings.mail_from)
        except (ValueError, TypeError, KeyError) as exc:  # bad stored data: retrying cannot help
            return Outcome(Result.FAILED, error=f"cannot compose the message: {exc}")
        return await self.email.send(message, self.settings.mail_from, row["target"])


DISPATCHER = web.AppKey("dispatcher", Dispatcher)
