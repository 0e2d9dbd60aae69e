"""Helpers of bench/notifier.py: the webhook receiver, the database, events, the raw senders.

The receiver runs as its own process (`python -m bench.notifier_support receiver
--port P`), so neither the notifier nor the raw client shares a core's event loop
with it; the bench reads its counts from GET /_bench/stats.
"""
from __future__ import annotations

import argparse
import asyncio
import email.policy
import math
import os
import re
import socket
import time
import uuid
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import aiohttp
import aiosmtplib
import asyncpg
from aiohttp import web

from schemas import events as ev
from schemas.envelope import Envelope
from schemas.topics import REQUESTS, STATUS
from schemas.notifications import Kind, Language
from services.notifier import compose, signing
from services.notifier.context import MessageContext
from services.notifier.mail import build_message
from tests.support.db import drop_database

from . import cpu

SAMPLE_EVERY = 25  # verify the signature of every 25th request
STATS = "/_bench/stats"
MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.MULTILINE | re.IGNORECASE)


# The receiver (a separate process).

class Receiver:
    """Answers 200 at once; counts requests, distinct webhook-ids and bytes; verifies a sample."""

    def __init__(self) -> None:
        self.secrets: dict[str, str] = {}
        self.reset()

    def reset(self) -> None:
        self.requests = self.bytes = self.verified = 0
        self.ids: set[str] = set()
        self.bad: list[str] = []
        self.last_new_at = 0.0  # wall clock of the last new webhook-id

    async def hook(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.requests += 1
        self.bytes += len(body)
        msg_id = request.headers.get("webhook-id", "")
        if msg_id not in self.ids:
            self.ids.add(msg_id)
            self.last_new_at = time.time()
        if self.requests % SAMPLE_EVERY == 1:
            self._verify(request, body)
        return web.Response(status=200)

    def _verify(self, request: web.Request, body: bytes) -> None:
        secret = self.secrets.get(request.path)
        try:
            if secret is None:
                raise signing.InvalidSignature(f"no secret known for {request.path}")
            signing.verify(secret, request.headers, body)
            self.verified += 1
        except signing.InvalidSignature as exc:
            self.bad.append(f"{request.path}: {exc}")

    async def control(self, request: web.Request) -> web.Response:
        if request.method == "POST" and request.path.endswith("/secrets"):
            self.secrets.update(await request.json())
        elif request.method == "POST" and request.path.endswith("/reset"):
            self.reset()
        return web.json_response({"requests": self.requests, "distinct": len(self.ids), "bytes": self.bytes,
                                  "verified": self.verified, "bad": self.bad[:5], "last_new_at": self.last_new_at})


def receiver_main(port: int) -> None:
    receiver = Receiver()
    app = web.Application()
    app.router.add_route("*", "/_bench/{what}", receiver.control)
    app.router.add_post("/{tail:.*}", receiver.hook)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, shutdown_timeout=0.5)


async def receiver_call(session: aiohttp.ClientSession, base: str, what: str = "stats", body=None) -> dict:
    method = "GET" if body is None and what == "stats" else "POST"
    async with session.request(method, f"{base}/_bench/{what}", json=body) as response:
        response.raise_for_status()
        return await response.json()


async def until_listening(port: int, child, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and child.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            await asyncio.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout:g} s")


# PostgreSQL and the mail directory.

@asynccontextmanager
async def fresh_database(database_url: str):
    """A new database `bench_notifier_<hex>` on DATABASE_URL's server, dropped on exit."""
    admin = await asyncpg.connect(database_url)
    name = f"bench_notifier_{uuid.uuid4().hex[:10]}"
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"{database_url.rpartition('/')[0]}/{name}"
        finally:
            await drop_database(admin, name)  # needs only .execute
    finally:
        await admin.close()


def mail_files(directory: Path) -> list[os.DirEntry]:
    if not directory.is_dir():
        return []
    return [e for e in os.scandir(directory) if e.name.endswith(".eml") and not e.name.startswith(".")]


def mail_summary(directory: Path) -> dict:
    """Count, distinct Message-IDs, mean size and when the last one was written."""
    files = mail_files(directory)
    ids, size, last = set(), 0, 0.0
    for entry in files:
        data = Path(entry.path).read_bytes()
        size += len(data)
        last = max(last, entry.stat().st_mtime)
        if match := MESSAGE_ID.search(data):
            ids.add(match[1])
    return {"count": len(files), "distinct": len(ids), "mean_bytes": size / max(1, len(files)),
            "last_at": last}


def clear_mail(directory: Path) -> None:
    for entry in mail_files(directory):
        os.unlink(entry.path)


async def delivery_times(database_url: str, channel: str, started: float) -> dict:
    """Where the time went, from the notifier's own rows (same machine clock as `started`)."""
    conn = await asyncpg.connect(database_url)
    try:
        row = await conn.fetchrow(
            "SELECT count(*) AS n, extract(epoch FROM max(created_at))::float8 AS ingested,"
            " extract(epoch FROM min(delivered_at))::float8 AS first, count(*) FILTER (WHERE attempts > 1) AS retried,"
            " (SELECT avg(a.latency_ms) FROM notifier.delivery_attempts a JOIN notifier.deliveries x"
            "  ON x.id = a.delivery_id WHERE x.channel = $1)::float8 AS send_ms"
            " FROM notifier.deliveries WHERE channel = $1", channel)
    finally:
        await conn.close()
    return {"rows": row["n"], "ingested_s": (row["ingested"] or started) - started,
            "first_s": (row["first"] or started) - started, "send_ms": row["send_ms"] or 0.0,
            "retried": row["retried"]}


# CPU: of the notifier process, of the PostgreSQL server and Kafka broker in use, of the machine.

_servers: dict[str, int | None] = {}


def measure_servers(postgres_port: int, kafka_port: int) -> None:
    """Count the CPU of the PostgreSQL server and the Kafka broker the bench uses, and of no
    other (others may run on the machine: counted by name, theirs would be ours)."""
    _servers.update(postgres=cpu.listening_pid(postgres_port), kafka=cpu.listening_pid(kafka_port))


def cpu_now(parts: dict[str, list[int]]) -> dict[str, float]:
    """CPU seconds used so far by each part (its processes; PostgreSQL's and Kafka's found
    by their listening ports: measure_servers, with their backends and workers), by the
    whole machine, and the wall clock: differences give shares."""
    return cpu.snapshot({name: [pid] for name, pid in _servers.items() if pid}, parts)


def cpu_share(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """Each part's CPU as a share of one core over the interval (1.0 = one core busy);
    "wall" is the interval's length in seconds."""
    wall = max(1e-9, after["wall"] - before["wall"])
    return {**{name: (after[name] - before.get(name, 0.0)) / wall for name in after if name != "wall"},
            "wall": wall}


def cpu_line(share: dict[str, float], deliveries: int | None = None) -> str:
    """Each part's share of a core and, given the deliveries made, its CPU per delivery."""
    def part(name: str, value: float) -> str:
        if not deliveries or "wall" not in share:
            return f"{name} {value:.0%}"
        return f"{name} {value:.0%} {value * share['wall'] / deliveries * 1e6:.0f} us"
    parts = ", ".join(part(name, value) for name, value in share.items() if name not in ("machine", "wall"))
    return f"{parts}; {part('machine', share['machine'])} of {os.cpu_count() or 1} cores (100% = one core)"


# Events, as the booking API and the scheduler publish them.

STATUS_PATH = ("SUBMITTED", "MATCHING", "UNMATCHED")  # then MATCHING, UNMATCHED, ... (legal moves)


def submitted(org_id: str) -> ev.RequestSubmitted:
    return ev.RequestSubmitted(
        request_id=uuid.uuid4(), org_id=org_id, method_code="ISO9227-NSS-96", test_kind="certification",
        component={"name": "Brake pad", "part_number": "BP-100", "category": "brakes"}, samples=5,
        deadline=date.today() + timedelta(days=60), ship_from_region="RU-SAM", submitted_at=datetime.now(timezone.utc))


def statuses(req: ev.RequestSubmitted, count: int) -> list[ev.StatusChanged]:
    """seq 1 SUBMITTED, then MATCHING, UNMATCHED, MATCHING, ... (`count` events)."""
    names = [STATUS_PATH[0]] + [STATUS_PATH[1 + i % 2] for i in range(count - 1)]
    return [ev.StatusChanged(request_id=req.request_id, org_id=req.org_id, seq=i + 1, status=name,
                             previous=names[i - 1] if i else None, at=datetime.now(timezone.utc))
            for i, name in enumerate(names)]


async def publish(producer, org: str, events: int, per_request: int) -> float:
    """Every RequestSubmitted, then every StatusChanged; the wall clock of the first send."""
    requests = [submitted(org) for _ in range(math.ceil(events / per_request))]
    changes = [s for r in requests for s in statuses(r, per_request)]
    messages = [(REQUESTS.name, r) for r in requests] + [(STATUS.name, s) for s in changes]
    encoded = [(topic, Envelope.wrap(e, producer="bench", correlation_id=str(e.request_id)).to_bytes(),
                str(e.request_id).encode()) for topic, e in messages]
    started = time.time()
    sent = [await producer.send(topic, value, key=key) for topic, value, key in encoded]
    await asyncio.gather(*sent)
    return started


def log_problems(log: Path) -> list[str]:
    """The notifier's WARNING and ERROR lines."""
    lines = log.read_text(errors="replace").splitlines()
    return [line for line in lines if " WARNING " in line or " ERROR " in line]


# The raw baselines: the same receiver and catcher without the notifier in between.

def webhook_bodies(n: int, paths: list[str]) -> tuple[list[tuple[str, bytes, dict]], str]:
    """(path, body, headers) shaped like the notifier's (envelope + kind + request), signed; the secret."""
    secret, out = signing.new_secret(), []
    for i in range(n):
        req = submitted(f"bench-hooks-{uuid.uuid4().hex[:6]}")  # as long as the notifier phase's org
        envelope = Envelope.wrap(statuses(req, 1)[0], producer="bench", correlation_id=str(req.request_id))
        row = {"envelope": envelope.model_dump_json(), "kind": Kind.REQUEST_SUBMITTED.value,
               "request_id": req.request_id, "request_status": "SUBMITTED", "request_seq": 1}
        body = compose.webhook_body(row)
        headers = signing.headers([secret], str(uuid.uuid4()), int(time.time()), body)
        out.append((paths[i % len(paths)], body, {**headers, "Content-Type": "application/json"}))
    return out, secret


async def post_all(base: str, bodies: list[tuple[str, bytes, dict]], concurrency: int, timeout_s: float) -> int:
    """POST every body with `concurrency` workers on one pooled session; the number not answered 200."""
    queue = iter(bodies)
    errors = 0

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal errors
        for path, body, headers in queue:
            async with session.post(base + path, data=body, headers=headers) as response:
                await response.read()
                errors += response.status != 200

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session, asyncio.timeout(timeout_s):
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    return errors


def email_messages(n: int, sender: str) -> list[tuple[str, bytes]]:
    """(recipient, bytes) rendered like the notifier's request.submitted mail, precomputed."""
    out = []
    for i in range(n):
        req, to = submitted("org-raw"), f"raw{i % 10}@bench.example"
        ctx = MessageContext(kind=Kind.REQUEST_SUBMITTED, event_id=uuid.uuid4(), delivery_id=uuid.uuid4(),
                             occurred_at=datetime.now(timezone.utc), request_id=req.request_id,
                             request_url=f"http://127.0.0.1:8081/v1/requests/{req.request_id}", status="SUBMITTED",
                             seq=1, component_name=req.component.name, part_number=req.component.part_number,
                             category=req.component.category, method_code=req.method_code, samples=req.samples,
                             deadline=req.deadline, ship_from_region=req.ship_from_region)
        message = build_message(ctx, Language.RU, sender=sender, to=to)
        out.append((to, message.as_bytes()))
    return out


async def send_all(port: int, sender: str, messages: list[tuple[str, bytes]], connections: int,
                   timeout_s: float) -> None:
    """Send every message over `connections` SMTP sessions, each reused for its share."""
    queue = iter(messages)

    async def worker() -> None:
        smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=10)
        await smtp.connect()
        try:
            for to, data in queue:
                await smtp.sendmail(sender, [to], data)
        finally:
            await smtp.quit()

    async with asyncio.timeout(timeout_s):
        await asyncio.gather(*(worker() for _ in range(connections)))


# The chart.

def chart(rows: list[dict], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.2), dpi=100)
    x = range(len(rows))
    ax.bar([i - 0.2 for i in x], [r["notifier"] for r in rows], 0.4, label="notifier")
    ax.bar([i + 0.2 for i in x], [r["raw"] for r in rows], 0.4, label="raw client")
    ax.set_xticks(list(x), [r["channel"] for r in rows])
    ax.set_ylabel("deliveries / s")
    for i, r in enumerate(rows):
        ax.annotate(f"{r['ratio']:.2f}x", (i - 0.2, r["notifier"]), ha="center", va="bottom", fontsize=8)
    ax.set_title("notifier vs raw sender", fontsize=10)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="the bench's webhook receiver")
    parser.add_argument("role", choices=["receiver"])
    parser.add_argument("--port", type=int, required=True)
    receiver_main(parser.parse_args().port)
