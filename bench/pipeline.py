"""Pipeline latency and throughput: POST /v1/requests -> the request OFFERED, through
the real processes (booking API, labs API, notifier, scheduler) on a PostgreSQL and a
Kafka broker of the benchmark's own, against raw baselines on the same two servers in
the same run: an idempotent aiokafka producer -> consumer of messages the size of a
RequestSubmitted envelope, and asyncpg writing the booking API's submission statement.

    .venv/bin/python -m bench.pipeline [--requests N] [--rate R] [--quick] [--poison 0.01]

Phases: the pipeline at full speed (C submitters, or --rate per second open loop), the
pipeline at half the rate it reached (open loop: its p99 against the raw one), with
--poison a full-speed phase with that share of malformed records on every consumed
topic, then the raw Kafka and raw PostgreSQL baselines. The last line is
`pipeline_vs_baseline <ratio>`: pipeline OFFERED/s over the slower baseline's rate.
Chart: bench/out/pipeline.png. Ctrl-C or SIGTERM cleans everything up.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
from collections import Counter
import math
import os
import signal
import sys
import tempfile
import time
from contextlib import AsyncExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from schemas.envelope import MessageRejected, decode
from schemas.states import RequestStatus
from schemas.topics import STATUS, Topic
from services.booking import db as booking_db
from services.booking.app import MIGRATIONS as BOOKING_MIGRATIONS
from services.cli.demo import driver
from services.common.kafka import ensure_topics
from services.common.migrations import migrate
from services.common.outbox import POLL_S as RELAY_POLL_S
from tests.e2e.system import MODULES, SECRET, System, environments
from tests.faults.campaign import FROM_THE_START, Service
from tests.faults.test_poison import READERS, DeadLetters, junk
from tests.support.brokers import assign_from_end, kafka, private_broker_env
from tests.support.processes import PrivatePostgres, free_port
from tests.support.smtp import smtp_server

from . import cpu, pipeline_support as sup

CHART = Path(__file__).parent / "out" / "pipeline.png"
RAW_TOPIC = Topic("bench.pipeline-raw.v1", "index", ("Raw",))
WARM_UP = 40
IDLE_S = 10.0
STALL_S = 30.0
err = Console(stderr=True)


class Stalled(RuntimeError):
    """A phase stopped moving; the message says where."""


@dataclass
class Phase:
    label: str
    sent: int
    done: int  # OFFERED (pipeline) or consumed / committed (raw)
    rate: float  # per second over the steady part
    latencies_ms: list[float]
    submit_rate: float = math.nan  # 201 per second (pipeline)
    note: str = ""
    cpu_ms: dict[str, float] = field(default_factory=dict)  # CPU ms per item done, by process group

    @property
    def p50(self) -> float:
        return sup.percentile(self.latencies_ms, 50)

    @property
    def p99(self) -> float:
        return sup.percentile(self.latencies_ms, 99)


@dataclass
class Bench:
    args: argparse.Namespace
    home: Path
    pg: PrivatePostgres
    broker: dict[str, str]
    bootstrap: str
    http: aiohttp.ClientSession | None = None
    apis: driver.Apis | None = None
    services: dict[str, Service] = field(default_factory=dict)
    offered: dict[str, float] = field(default_factory=dict)  # request id -> when its OFFERED was read
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, org: str) -> str:
        if org not in self.tokens:
            self.tokens[org] = self.apis.token("supplier", org)
        return self.tokens[org]


def cpu_snapshot(b: Bench) -> dict[str, float]:
    """CPU so far of each labbook process, of the private servers (not the shared ones,
    which other work may be using) and of this benchmark process itself."""
    trees = {name: [s.child.pid] for name, s in b.services.items() if s.child is not None}
    for name, port in (("PostgreSQL", b.pg.env["LABBOOK_PG_PORT"]), ("Kafka", b.broker["LABBOOK_KAFKA_PORT"])):
        trees[name] = [pid] if (pid := cpu.listening_pid(int(port))) else []
    return cpu.snapshot(trees, {"benchmark": [os.getpid()]})


# --- the stack ------------------------------------------------------------------------

async def start(stack: AsyncExitStack, args: argparse.Namespace, home: Path) -> Bench:
    pg = PrivatePostgres(home / "pg", free_port())
    broker = private_broker_env(home / "kafka-home")
    b = Bench(args, home, pg, broker, f"127.0.0.1:{broker['LABBOOK_KAFKA_PORT']}")
    err.print("starting a private PostgreSQL and Kafka broker ...")
    pg.run("up")
    stack.callback(pg.run, "destroy")
    kafka("up", broker)
    stack.callback(kafka, "down", broker)
    await ensure_topics(b.bootstrap)
    await ensure_topics(b.bootstrap, (RAW_TOPIC,))
    smtp = stack.enter_context(smtp_server(_dir(home / "smtp")))
    b.http = await stack.enter_async_context(aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)))
    await start_services(stack, b, smtp)
    return b


async def start_services(stack: AsyncExitStack, b: Bench, smtp) -> None:
    _dir(b.home / "scheduler")
    ports = {name: free_port() for name in MODULES}
    envs, groups = environments(b.pg.url, b.home, smtp, ports)
    system = System({n: f"http://127.0.0.1:{p}" for n, p in ports.items()}, smtp, None, b.home, b.http)
    for name in MODULES:
        env = {**envs[name], "KAFKA_BOOTSTRAP": b.bootstrap, **FROM_THE_START}
        service = Service(name, env, b.home / f"{name}.log", system.urls[name])
        system.logs[name] = service.log
        service.start()
        stack.callback(service.kill)
        b.services[name] = service
    err.print("starting booking API, labs API, notifier, scheduler ...")
    for service in b.services.values():
        await service.until_healthy()
    await system.until_ready(groups, b.bootstrap)
    b.apis = driver.Apis(b.http, {k: system.urls[k] for k in ("booking", "labs", "notifier")}, SECRET)


async def register(b: Bench, world) -> None:
    """Every lab with its capacity (entered by staff) and one heartbeat, so it is live."""
    await driver.register_labs(b.apis, world, lambda: None)
    for lab in world.labs:
        await b.apis.call("labs", "POST", f"/v1/labs/{lab.id}/heartbeat", b.apis.token("lab", lab.id))


async def watch_offered(b: Bench) -> None:
    """Every StatusChanged to OFFERED on labbook.status.v1 from now on: when it was read."""
    consumer = AIOKafkaConsumer(bootstrap_servers=b.bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        await assign_from_end(consumer, STATUS)
        while True:
            batches = await consumer.getmany(timeout_ms=100)
            now = time.monotonic()
            for message in itertools.chain.from_iterable(batches.values()):
                with suppress(MessageRejected):  # poison
                    event = decode(message.value)[1]
                    if getattr(event, "status", None) == RequestStatus.OFFERED:
                        b.offered.setdefault(str(event.request_id), now)
    finally:
        await consumer.stop()


# --- a pipeline phase -------------------------------------------------------------------

async def pipeline_phase(b: Bench, label: str, requests, *, rate: float | None = None,
                         poison: Poison | None = None) -> Phase:
    submitted: dict[str, float] = {}
    failures: list[str] = []
    points = set(sup.poison_points(len(requests), poison.share)) if poison else set()

    async def one(i: int, request) -> None:
        headers = {"Authorization": f"Bearer {b.token(request.org)}", "Idempotency-Key": request.key}
        async with b.http.post(b.apis.urls["booking"] + "/v1/requests", json=request.body,
                               headers=headers) as response:
            body = await response.json(content_type=None)
            if response.status == 201:
                submitted[body["id"]] = time.monotonic()
            else:
                failures.append(f"{response.status} {str(body)[:200]}")
        if i in points:
            await poison.inject(i)

    started, before = time.monotonic(), cpu_snapshot(b)
    load = asyncio.create_task(_open_loop(one, requests, rate) if rate else _closed_loop(one, requests, b.args.concurrency))
    await _until_offered(b, label, len(requests), submitted, load, failures)
    costs = cpu.per_item_ms(before, cpu_snapshot(b), sum(1 for i in submitted if i in b.offered))
    submit_span = max(submitted.values(), default=started) - started
    times = [b.offered[i] for i in submitted if i in b.offered]
    latencies = [(b.offered[i] - t) * 1000 for i, t in submitted.items() if i in b.offered]
    note = f"{len(failures)} submits refused" if failures else ""
    return Phase(label, len(requests), len(times), sup.steady_rate(times), latencies,
                 len(submitted) / submit_span if submit_span else math.nan, note, costs)


async def topic_ends(b: Bench) -> dict[str, int]:
    """How many records every topic on the private broker holds (changelogs included)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=b.bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        cluster = await consumer._client.fetch_all_metadata()  # every topic's partitions
        names = sorted(t for t in cluster.topics() if not t.startswith("__"))
        parts = [TopicPartition(t, p) for t in names for p in sorted(cluster.partitions_for_topic(t) or ())]
        ends = await consumer.end_offsets(parts)
        return {t: sum(n for tp, n in ends.items() if tp.topic == t) for t in names}
    finally:
        await consumer.stop()


async def idle_phase(b: Bench, seconds: float = IDLE_S) -> Phase:
    """Every process up and nothing asked of it: what the stack burns per second anyway
    (polling consumers, timers, the broker's own work)."""
    before = cpu_snapshot(b)
    await asyncio.sleep(seconds)  # the quiet is what is measured
    per_second = {k: v / seconds for k, v in cpu.per_item_ms(before, cpu_snapshot(b), 1).items()}
    return Phase("idle (per second)", 0, 0, math.nan, [], cpu_ms=per_second)


async def _closed_loop(one, requests, concurrency: int) -> None:
    queue = list(enumerate(requests))[::-1]

    async def worker() -> None:
        while queue:
            await one(*queue.pop())

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def _open_loop(one, requests, rate: float) -> None:
    """Each request at its instant, whether or not the earlier ones have been answered."""
    loop = asyncio.get_running_loop()
    begin, tasks = loop.time(), []
    for i, request in enumerate(requests):
        await asyncio.sleep(max(0.0, begin + i / rate - loop.time()))
        tasks.append(asyncio.create_task(one(i, request)))
    await asyncio.gather(*tasks)


async def _until_offered(b: Bench, label: str, expected: int, submitted: dict, load: asyncio.Task,
                         failures: list) -> None:
    columns = (TextColumn(f"{label:<22}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    moved, last = time.monotonic(), -1
    with Progress(*columns, console=err) as bar:
        task = bar.add_task(label, total=expected)
        while True:
            if load.done() and load.exception():
                raise load.exception()
            done = sum(1 for i in submitted if i in b.offered)
            bar.update(task, completed=done)
            if load.done() and done >= len(submitted):
                return
            if done != last:
                last, moved = done, time.monotonic()
            elif time.monotonic() - moved > STALL_S:
                err.print(f"[yellow]{label}: {done} of {len(submitted)} OFFERED, nothing new for {STALL_S:g} s; "
                          f"going on ({len(failures)} refused submits)")
                return
            await asyncio.sleep(0.1)


@dataclass
class Poison:
    """Malformed records (tests/faults/test_poison.py's kinds, in turn) on every topic
    labbook consumes; the letters each reader writes for them."""
    share: float
    producer: AIOKafkaProducer
    sent: dict = field(default_factory=dict)  # (topic, partition, offset) -> readers
    count: int = 0

    async def inject(self, i: int) -> None:
        for topic, readers in READERS:
            raw, _words = list(junk(topic).values())[self.count % 4]
            meta = await self.producer.send_and_wait(topic.name, raw, key=f"poison-{i}".encode())
            self.sent[(topic.name, meta.partition, meta.offset)] = readers
        self.count += 1

    @property
    def expected_letters(self) -> int:
        return sum(len(readers) for readers in self.sent.values())


async def poisoned_phase(b: Bench, requests) -> tuple[Phase, int, int]:
    """A full-speed phase with poison; the phase, dead letters for its records, letters owed."""
    async with AsyncExitStack() as stack:
        letters = await stack.enter_async_context(DeadLetters(b.bootstrap))
        producer = AIOKafkaProducer(bootstrap_servers=b.bootstrap, enable_idempotence=True,
                                    max_request_size=2_000_000)
        await producer.start()
        stack.push_async_callback(producer.stop)
        poison = Poison(b.args.poison, producer)
        phase = await pipeline_phase(b, f"pipeline + {b.args.poison:.0%} poison", requests, rate=b.args.rate,
                                     poison=poison)
        found, deadline = 0, time.monotonic() + STALL_S
        while found < poison.expected_letters and time.monotonic() < deadline:
            found = sum(1 for d in await letters.read() if (d.topic, d.partition, d.offset) in poison.sent)
        phase.note = f"{poison.count * len(READERS)} poison records; {found} of {poison.expected_letters} dead letters"
        return phase, found, poison.expected_letters


# --- raw baselines ------------------------------------------------------------------------

async def raw_kafka(b: Bench, n: int, size: int) -> Phase:
    """C idempotent send_and_wait loops of `size`-byte messages; read back by one consumer."""
    consumer = AIOKafkaConsumer(bootstrap_servers=b.bootstrap, enable_auto_commit=False)
    producer = AIOKafkaProducer(bootstrap_servers=b.bootstrap, enable_idempotence=True, acks="all")
    await consumer.start()
    await producer.start()
    try:
        await assign_from_end(consumer, RAW_TOPIC)
        sent, got = {}, {}

        async def read() -> None:
            while len(got) < n:
                batches = await consumer.getmany(timeout_ms=100)
                now = time.monotonic()
                for message in itertools.chain.from_iterable(batches.values()):
                    got.setdefault(int(message.key), now)

        reader = asyncio.create_task(read())
        pad, before = b"x" * max(0, size - 8), cpu_snapshot(b)

        async def one(i: int, _request) -> None:
            sent[i] = time.monotonic()
            await producer.send_and_wait(RAW_TOPIC.name, i.to_bytes(8, "big") + pad, key=str(i).encode())

        load = asyncio.create_task(_closed_loop(one, range(n), b.args.concurrency))
        await _until_done("raw Kafka produce->consume", n, lambda: len(got), load, reader)
        return Phase("raw Kafka produce->consume", n, len(got), sup.steady_rate(list(got.values())),
                     [(got[i] - t) * 1000 for i, t in sent.items() if i in got], note=f"{size} B messages",
                     cpu_ms=cpu.per_item_ms(before, cpu_snapshot(b), len(got)))
    finally:
        await producer.stop()
        await consumer.stop()


async def raw_postgres(b: Bench, world, n: int) -> Phase:
    """booking's own submission statement (services/booking/db.py), one transaction each,
    from C connections, into a scratch database on the private server with booking's
    migrations; the arguments are built before the clock starts."""
    admin = await asyncpg.connect(b.pg.url)
    try:
        await admin.execute("CREATE DATABASE bench_raw")
    finally:
        await admin.close()
    url = b.pg.url.rpartition("/")[0] + "/bench_raw"
    pool = await asyncpg.create_pool(url, min_size=b.args.concurrency, max_size=b.args.concurrency)
    try:
        async with pool.acquire() as conn:
            await migrate(conn, "booking", BOOKING_MIGRATIONS)
        rows = [sup.submission(r.org, r.body, r.key) for r in itertools.islice(itertools.cycle(world.requests), n)]
        started, done = {}, {}

        async def one(i: int, args) -> None:
            started[i] = time.monotonic()
            async with pool.acquire() as conn:
                await booking_db.insert_submission(conn, *args)
            done[i] = time.monotonic()

        before = cpu_snapshot(b)
        load = asyncio.create_task(_closed_loop(one, rows, b.args.concurrency))
        await _until_done("raw PostgreSQL insert", n, lambda: len(done), load)
        return Phase("raw PostgreSQL insert", n, len(done), sup.steady_rate(list(done.values())),
                     [(done[i] - t) * 1000 for i, t in started.items() if i in done],
                     note="booking.requests + history + 2 outbox rows + key",
                     cpu_ms=cpu.per_item_ms(before, cpu_snapshot(b), len(done)))
    finally:
        await pool.close()


async def _until_done(label: str, expected: int, count, load: asyncio.Task, *others: asyncio.Task) -> None:
    columns = (TextColumn(f"{label:<22}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    moved, last = time.monotonic(), -1
    try:
        with Progress(*columns, console=err) as bar:
            task = bar.add_task(label, total=expected)
            while (done := count()) < expected:
                for t in (load, *others):
                    if t.done() and t.exception():
                        raise t.exception()
                if done != last:
                    last, moved = done, time.monotonic()
                elif time.monotonic() - moved > STALL_S:
                    raise Stalled(f"{label}: {done} of {expected}, nothing new for {STALL_S:g} s")
                bar.update(task, completed=done)
                await asyncio.sleep(0.05)
            bar.update(task, completed=done)
    finally:
        for t in (load, *others):
            t.cancel()
            with suppress(BaseException):
                await t


# --- the run --------------------------------------------------------------------------------

async def run(args: argparse.Namespace, home: Path) -> list[str]:
    n, half_n = args.requests, max(50, args.requests // 2)
    world = sup.bench_world(WARM_UP + n + half_n + (n if args.poison else 0))
    requests = list(world.requests)
    async with AsyncExitStack() as stack:
        b = await start(stack, args, home)
        await register(b, world)
        watcher = asyncio.create_task(watch_offered(b))
        stack.push_async_callback(_cancel, watcher)
        await asyncio.sleep(1)  # the watcher at the end of the topic
        warm = await pipeline_phase(b, "warm-up", _take(requests, WARM_UP))
        if warm.done < WARM_UP:
            raise Stalled(f"warm-up: {warm.done} of {WARM_UP} OFFERED; see {b.services['scheduler'].log}")
        idle = await idle_phase(b)
        ends = await topic_ends(b)
        async with DeadLetters(b.bootstrap) as letters:
            phases = [await pipeline_phase(b, "pipeline max", _take(requests, n), rate=args.rate)]
            records = {t: n - ends.get(t, 0) for t, n in (await topic_ends(b)).items()}
            warn_of_letters(await letters.read())
        half_rate = phases[0].rate / 2
        phases.append(await pipeline_phase(b, f"pipeline at {half_rate:.0f}/s", _take(requests, half_n),
                                           rate=half_rate))
        dead = None
        if args.poison:
            poisoned, found, owed = await poisoned_phase(b, _take(requests, n))
            phases.append(poisoned)
            dead = (found, owed)
        phases.append(await raw_kafka(b, n, sup.envelope_size(world)))
        phases.append(await raw_postgres(b, world, n))
        return report(phases, half_rate, dead, args, idle, records)


def _take(requests: list, k: int) -> list:
    out, requests[:k] = requests[:k], []
    return out


async def _cancel(task: asyncio.Task) -> None:
    task.cancel()
    with suppress(BaseException):
        await task


def report(phases: list[Phase], half_rate: float, dead, args, idle: Phase, records: dict[str, int]) -> list[str]:
    out = Console(width=150)
    table = Table(title=f"submit -> OFFERED, C={args.concurrency} (rates over the steady 80 %)")
    for column in ("phase", "sent", "done", "per s", "201 per s", "p50 ms", "p99 ms", "note"):
        table.add_column(column, justify="left" if column in ("phase", "note") else "right")
    for p in phases:
        table.add_row(p.label, str(p.sent), str(p.done), f"{p.rate:,.0f}", _num(p.submit_rate), f"{p.p50:,.1f}",
                      f"{p.p99:,.1f}", p.note)
    out.print(table)
    out.print(cpu_table([*phases, idle]))
    out.print(records_table(records, phases[0].done))
    plot(phases)
    by = {p.label: p for p in phases}
    full, half = phases[0], phases[1]
    kafka_raw, pg_raw = by["raw Kafka produce->consume"], by["raw PostgreSQL insert"]
    slower = min(kafka_raw, pg_raw, key=lambda p: p.rate)
    bound = 3 * kafka_raw.p99 + RELAY_POLL_S * 1000
    lines = [f"pipeline {full.rate:,.0f} OFFERED/s; slower baseline: {slower.label} {slower.rate:,.0f}/s",
             f"p99 at half rate ({half_rate:.0f}/s): {half.p99:,.0f} ms; 3 x raw p99 ({kafka_raw.p99:.1f} ms) + relay "
             f"poll {RELAY_POLL_S * 1000:.0f} ms = {bound:,.0f} ms: {'within' if half.p99 <= bound else 'NOT within'}"]
    if dead is not None:
        poisoned = phases[2]
        ratio = poisoned.rate / full.rate
        lines.append(f"poison: {poisoned.rate:,.0f}/s vs clean {full.rate:,.0f}/s = {ratio:.2f} "
                     f"({'within' if ratio >= 0.9 else 'NOT within'} 10 %); dead letters in labbook.dlq.v1: "
                     f"{dead[0]} (owed {dead[1]})")
    lines.append(f"pipeline_vs_baseline {full.rate / slower.rate:.3f}")
    for line in lines:
        print(line, flush=True)
    return lines


def cpu_table(phases: list[Phase]) -> Table:
    """CPU milliseconds per item done, by process: where a request's cost goes. The raw
    phases run while the labbook processes idle, so theirs is their idle cost; the idle row
    is CPU ms per second with nothing asked (1,000 = one core busy)."""
    groups = list(dict.fromkeys(g for p in phases for g in p.cpu_ms if g != "machine"))
    table = Table(title="CPU ms per item done (OFFERED request, consumed message, inserted submission)")
    for column in ("phase", *groups, "machine"):
        table.add_column(column, justify="left" if column == "phase" else "right")
    for p in phases:
        table.add_row(p.label, *(f"{p.cpu_ms.get(g, math.nan):.2f}" for g in (*groups, "machine")))
    return table


def warn_of_letters(letters: list) -> None:
    """A clean phase dead-letters nothing: say what was, if anything was."""
    if letters:
        kinds = Counter((d.consumer, d.topic, d.reason[:120]) for d in letters)
        err.print(f"[yellow]{len(letters)} dead letters in a clean phase; the commonest:")
        for (consumer, topic, reason), count in kinds.most_common(5):
            err.print(f"  {count} x {consumer} on {topic}: {reason}", markup=False)


def records_table(records: dict[str, int], offered: int) -> Table:
    """Kafka records written per OFFERED request in the full-speed phase, by topic."""
    table = Table(title=f"Kafka records per OFFERED request, pipeline max ({offered} requests)")
    table.add_column("topic")
    table.add_column("records", justify="right")
    table.add_column("per request", justify="right")
    for topic, n in sorted(records.items(), key=lambda kv: -kv[1]):
        if n:
            table.add_row(topic, f"{n:,}", f"{n / max(1, offered):.2f}")
    table.add_row("all", f"{sum(records.values()):,}", f"{sum(records.values()) / max(1, offered):.2f}")
    return table


def _num(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:,.0f}"


def plot(phases: list[Phase]) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (cdf, bars) = plt.subplots(1, 2, figsize=(12, 4.5))
    for p in phases:
        xs = sorted(p.latencies_ms)
        if xs:
            cdf.plot(xs, [(i + 1) / len(xs) for i in range(len(xs))], label=p.label)
    cdf.set_xscale("log")
    cdf.set_xlabel("latency, ms (log)")
    cdf.set_ylabel("share of requests / messages")
    cdf.set_title("latency CDF")
    cdf.legend(fontsize=8)
    rates = [0 if math.isnan(p.rate) else p.rate for p in phases]
    bars.barh([p.label for p in phases], rates)
    for y, rate in enumerate(rates):
        bars.text(rate, y, f" {rate:,.0f}", va="center", fontsize=8)
    bars.set_xscale("log")
    bars.set_xlabel("per second, steady part (log)")
    bars.set_title("throughput")
    fig.tight_layout()
    CHART.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(CHART, dpi=110)
    plt.close(fig)


def _dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _terminate(*_args) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--requests", type=int, default=2000, help="requests of the full-speed phase (default 2000)")
    p.add_argument("--rate", type=float, default=None,
                   help="submits per second, open loop (default: as fast as --concurrency submitters go)")
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--quick", action="store_true", help="400 requests")
    p.add_argument("--poison", type=float, default=0.0, help="share of malformed records in a third phase")
    args = p.parse_args(argv)
    if args.quick:
        args.requests = 400
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started in the background
    with tempfile.TemporaryDirectory(prefix="labbook-bench-pipeline-") as tmp:
        try:
            asyncio.run(run(args, Path(tmp)))
        except KeyboardInterrupt:
            err.print("interrupted; cleaned up")
            return 130
        except Exception:
            _tails(Path(tmp))
            raise
    return 0


def _tails(home: Path) -> None:
    for name in MODULES:
        log = home / f"{name}.log"
        if log.exists():
            err.print(f"--- {log.name} (last lines)\n" + "\n".join(log.read_text(errors="replace").splitlines()[-8:]))


if __name__ == "__main__":
    sys.exit(main())
