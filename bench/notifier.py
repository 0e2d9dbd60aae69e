"""Notifier throughput, end to end: Kafka event in, webhook POST / SMTP message out.

Starts a real notifier process on a fresh database with the local Kafka broker, a
webhook receiver process (answers 200 at once, counts distinct webhook-ids,
verifies a sample of signatures) and the local mail catcher. K subscriptions per
channel; RequestSubmitted and StatusChanged events are published until
events x K = N deliveries; timed from the first publish to the last new delivery
the receiver / catcher got. Then the same receiver and catcher are driven by a
bare client (aiohttp / aiosmtplib) with the same concurrency: the raw figure.

    .venv/bin/python -m bench.notifier [--deliveries N] [--concurrency C] [--quick]

The last line is `notifier_vs_raw <ratio>`: the smaller of the two channels'
notifier/raw ratios. Chart: bench/out/notifier.png.
"""
from __future__ import annotations

import argparse
import asyncio
import math
import os
import secrets as random_secrets
import signal
import sys
import tempfile
import time
import uuid
from contextlib import AsyncExitStack, ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from schemas.tokens import issue
from services.common.settings import ServiceSettings
from tests.support.brokers import until_group_stable
from tests.support.processes import free_port, python_module, spawn, until_status

from . import notifier_support as sup

SENDER = "labbook <notifications@labbook.local>"
CHART = Path(__file__).parent / "out" / "notifier.png"
err = Console(stderr=True)


class Stalled(RuntimeError):
    """A phase did not reach its count in time; the message says where it stopped."""


@dataclass
class Stack:
    args: argparse.Namespace
    secret: str
    database_url: str
    receiver: str  # base URL
    smtp_port: int
    mail_dir: Path
    log_dir: Path
    notifier: str = ""  # base URL of the first replica (subscriptions, metrics)
    receiver_pid: int = 0
    catcher_pid: int = 0
    children: list = field(default_factory=list)  # each replica's Popen
    replicas: list = field(default_factory=list)  # each replica's base URL
    stop_notifier: ExitStack = field(default_factory=ExitStack)
    session: aiohttp.ClientSession | None = None


async def start(stack: AsyncExitStack, args: argparse.Namespace) -> Stack:
    settings = ServiceSettings()
    database_url = await stack.enter_async_context(sup.fresh_database(settings.database_url))
    sup.measure_servers(urlsplit(settings.database_url).port or 5432,
                        int(settings.kafka_bootstrap.split(",")[0].rpartition(":")[2]))
    tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="labbook-bench-notifier-")))
    st = Stack(args, random_secrets.token_hex(16), database_url, "", free_port(), tmp / "mail", tmp)
    receiver_port = free_port()
    st.receiver = f"http://127.0.0.1:{receiver_port}"
    st.receiver_pid = stack.enter_context(spawn(python_module(
        "bench.notifier_support", "receiver", "--port", str(receiver_port)), {}, tmp / "receiver.log")).pid
    catcher = stack.enter_context(spawn(python_module(
        "services.notifier.mailcatcher", "--dir", str(st.mail_dir), "--host", "127.0.0.1",
        "--port", str(st.smtp_port)), {}, tmp / "mailcatcher.log"))
    st.catcher_pid = catcher.pid
    st.session = await stack.enter_async_context(aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)))
    await until_status(f"{st.receiver}{sup.STATS}", 200, timeout=30, log=tmp / "receiver.log")
    await sup.until_listening(st.smtp_port, catcher, timeout=30)
    stack.callback(st.stop_notifier.close)
    await start_notifier(st)
    return st


async def start_notifier(st: Stack) -> None:
    """`--replicas` notifier processes in one consumer group on one database, the
    concurrency split between them: the total in flight stays --concurrency."""
    group, replicas = f"bench-notifier-{uuid.uuid4().hex[:8]}", st.args.replicas
    c = max(1, st.args.concurrency // replicas)
    for i in range(replicas):
        port = free_port()
        env = {"DATABASE_URL": st.database_url, "LABBOOK_TOKEN_SECRET": st.secret, "LABBOOK_HOME": str(st.log_dir),
               "NOTIFIER_PORT": str(port), "NOTIFIER_GROUP": group,
               "NOTIFIER_OFFSET_RESET": "latest", "NOTIFIER_ALLOW_PRIVATE_TARGETS": "true",
               "NOTIFIER_SMTP_PORT": str(st.smtp_port), "NOTIFIER_CONCURRENCY": str(c),
               "NOTIFIER_PER_TARGET_CONCURRENCY": str(min(c, 100)),  # its upper bound
               "NOTIFIER_SMTP_CONNECTIONS": str(min(c, 100)),
               "NOTIFIER_DETAILS_WAIT_S": "0", "NOTIFIER_DISPATCH_POLL_S": "0.05"}
        log = notifier_log(st, i)
        child = st.stop_notifier.enter_context(spawn(python_module("services.notifier"), env, log))
        st.children.append(child)
        await until_status(f"http://127.0.0.1:{port}/healthz", 200, timeout=60, child=child, log=log)
        st.replicas.append(f"http://127.0.0.1:{port}")
    st.notifier = st.replicas[0]
    # A replica joining later moves partitions; events published before that settles could be
    # read from "latest" past them.
    await until_group_stable(ServiceSettings().kafka_bootstrap, group, replicas, timeout=60)


def notifier_log(st: Stack, replica: int = 0) -> Path:
    return st.log_dir / ("notifier.log" if replica == 0 else f"notifier-{replica}.log")


async def stop_notifier(st: Stack, timeout: float = 10) -> None:
    """SIGTERM, so each shuts down as it would; killed (whole group) if it takes longer."""
    for child in st.children:
        child.terminate()
    deadline = time.monotonic() + timeout
    while any(c.poll() is None for c in st.children) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    st.stop_notifier.close()


async def subscribe(st: Stack, org: str, channel: str, count: int) -> dict[str, str]:
    """`count` subscriptions for `org`: {path or address: secret or ""}."""
    headers = {"Authorization": f"Bearer {issue(st.secret, org=org, role='supplier')}"}
    out = {}
    for i in range(count):
        target = f"{st.receiver}/hooks/{org}/{i}" if channel == "webhook" else f"user{i}@bench.example"
        async with st.session.post(f"{st.notifier}/v1/subscriptions", headers=headers,
                                   json={"channel": channel, "target": target}) as response:
            body = await response.json()
            if response.status != 201:
                raise Stalled(f"cannot subscribe {target}: {response.status} {body}")
        out[target.removeprefix(st.receiver)] = body.get("secret") or ""
    return out


async def wait_for(label: str, expected: int, count, args: argparse.Namespace, check=lambda: None) -> None:
    """Show a progress bar until `await count()` reaches `expected`; Stalled if it stops moving.
    `check()` raises if what produces the count died."""
    columns = (TextColumn(f"{label:<16}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    started = moved = time.monotonic()
    last, timeout, stall_s = -1, args.timeout, args.stall
    with Progress(*columns, console=err, transient=False) as bar:
        task = bar.add_task(label, total=expected)
        while (done := await count()) < expected:
            check()
            now = time.monotonic()
            if done != last:
                last, moved = done, now
            if now - moved > stall_s or now - started > timeout:
                why = f"nothing new for {stall_s:g} s" if now - moved > stall_s else f"--timeout {timeout:g} s passed"
                raise Stalled(f"{label}: {done} of {expected} after {now - started:.1f} s ({why});"
                              " the notifier is stalled or too slow")
            bar.update(task, completed=done)
            await asyncio.sleep(0.05)
        bar.update(task, completed=done)


def notifier_alive(st: Stack) -> None:
    for child in st.children:
        if child.poll() is not None:
            raise Stalled(f"a notifier exited with {child.returncode}")


def task_alive(task: asyncio.Task) -> None:
    if task.done() and not task.cancelled() and task.exception() is not None:
        raise Stalled(f"the raw sender failed: {task.exception()!r}")


async def receiver_stats(st: Stack, what: str = "stats", body=None) -> dict:
    return await sup.receiver_call(st.session, st.receiver, what, body)


async def through_notifier(st: Stack, producer: AIOKafkaProducer, channel: str, org: str, k: int, n: int,
                           count) -> dict:
    """Publish events for `org` (k subscriptions) until n deliveries are due; wait for them all."""
    events = math.ceil(n / k)
    expected = math.ceil(events / st.args.statuses) * st.args.statuses * k
    parts = cpu_parts(st, notifier=[c.pid for c in st.children], bench=[os.getpid()])
    cpu = sup.cpu_now(parts)
    started = await sup.publish(producer, org, events, st.args.statuses)
    await wait_for(f"notifier {channel}", expected, count, st.args, lambda: notifier_alive(st))
    return {"n": expected, "started": started, "cpu": sup.cpu_share(cpu, sup.cpu_now(parts))}


def cpu_parts(st: Stack, **parts: list[int]) -> dict[str, list[int]]:
    return {**parts, "receiver": [st.receiver_pid], "mail catcher": [st.catcher_pid]}


async def notifier_webhooks(st: Stack, producer: AIOKafkaProducer, n: int) -> dict:
    org, k = f"bench-hooks-{uuid.uuid4().hex[:6]}", min(st.args.subscriptions, n)
    await receiver_stats(st, "secrets", await subscribe(st, org, "webhook", k))
    await receiver_stats(st, "reset", {})
    out = await through_notifier(st, producer, "webhook", org, k, n, lambda: _distinct(st))
    await asyncio.sleep(0.5)  # a late duplicate would show now
    stats = await receiver_stats(st)
    return {**out, "channel": "webhook", "seconds": stats["last_new_at"] - out["started"], "stats": stats,
            "duplicates": stats["requests"] - stats["distinct"],
            "time": await sup.delivery_times(st.database_url, "webhook", out["started"])}


async def _distinct(st: Stack) -> int:
    return (await receiver_stats(st))["distinct"]


async def _mail_count(st: Stack) -> int:
    return len(sup.mail_files(st.mail_dir))


async def notifier_emails(st: Stack, producer: AIOKafkaProducer, n: int) -> dict:
    org, k = f"bench-mail-{uuid.uuid4().hex[:6]}", min(st.args.subscriptions, n)
    await subscribe(st, org, "email", k)
    sup.clear_mail(st.mail_dir)
    out = await through_notifier(st, producer, "email", org, k, n, lambda: _mail_count(st))
    await asyncio.sleep(0.5)
    mail = sup.mail_summary(st.mail_dir)
    return {**out, "channel": "email", "seconds": mail["last_at"] - out["started"], "mail": mail,
            "duplicates": mail["count"] - mail["distinct"],
            "time": await sup.delivery_times(st.database_url, "email", out["started"])}


async def bare_webhooks(st: Stack, n: int) -> dict:
    paths = [f"/raw/{i}" for i in range(st.args.subscriptions)]
    bodies, secret = sup.webhook_bodies(n, paths)
    await receiver_stats(st, "secrets", {p: secret for p in paths})
    await receiver_stats(st, "reset", {})
    parts = cpu_parts(st, **{"raw client": [os.getpid()]})
    cpu, started = sup.cpu_now(parts), time.time()
    sending = asyncio.create_task(sup.post_all(st.receiver, bodies, st.args.concurrency, st.args.timeout))
    try:
        await wait_for("raw webhook", n, lambda: _distinct(st), st.args, lambda: task_alive(sending))
        errors = await sending
    finally:
        sending.cancel()
    cpu = sup.cpu_share(cpu, sup.cpu_now(parts))
    stats = await receiver_stats(st)
    return {"channel": "webhook", "n": n, "seconds": stats["last_new_at"] - started, "stats": stats,
            "errors": errors, "cpu": cpu}


async def bare_emails(st: Stack, n: int) -> dict:
    messages = sup.email_messages(n, SENDER)
    sup.clear_mail(st.mail_dir)
    parts = cpu_parts(st, **{"raw client": [os.getpid()]})
    cpu, started = sup.cpu_now(parts), time.time()
    sending = asyncio.create_task(sup.send_all(st.smtp_port, SENDER, messages, st.args.concurrency,
                                               st.args.timeout))
    try:
        await wait_for("raw email", n, lambda: _mail_count(st), st.args, lambda: task_alive(sending))
        await sending
    finally:
        sending.cancel()
    cpu = sup.cpu_share(cpu, sup.cpu_now(parts))
    mail = sup.mail_summary(st.mail_dir)
    return {"channel": "email", "n": n, "seconds": mail["last_at"] - started, "mail": mail, "cpu": cpu}


async def metrics_lines(st: Stack) -> list[str]:
    """The delivery counters, summed over the replicas."""
    totals: dict[str, float] = {}
    for base in st.replicas:
        async with st.session.get(f"{base}/metrics") as response:
            text = await response.text()
        for line in text.splitlines():
            if line.startswith("labbook_notifier_delivery_attempts_total"):
                name, _, value = line.rpartition(" ")
                totals[name] = totals.get(name, 0.0) + float(value)
    return [f"{name} {value}" for name, value in totals.items()]


async def run(args: argparse.Namespace) -> dict:
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, asyncio.current_task().cancel)
    async with AsyncExitStack() as stack:
        st = await start(stack, args)
        producer = AIOKafkaProducer(bootstrap_servers=ServiceSettings().kafka_bootstrap, enable_idempotence=True,
                                    linger_ms=5)
        await producer.start()
        stack.push_async_callback(producer.stop)
        try:
            out = {"notifier": [await notifier_webhooks(st, producer, args.webhooks),
                                await notifier_emails(st, producer, args.emails)],
                   "metrics": await metrics_lines(st)}
        except Stalled as exc:
            tail = notifier_log(st).read_text(errors="replace").splitlines()[-15:]
            raise Stalled(f"{exc}\n--- notifier log (last lines) ---\n" + "\n".join(tail)) from None
        out["log_problems"] = [p for i in range(args.replicas) for p in sup.log_problems(notifier_log(st, i))]
        await stop_notifier(st)  # nothing of it runs beside the raw clients
        out["raw"] = [await bare_webhooks(st, args.webhooks), await bare_emails(st, args.emails)]
        return out


def report(out: dict, args: argparse.Namespace) -> float:
    table = Table(title=f"notifier vs raw sender (concurrency {args.concurrency}, loopback, 2-core machine)")
    for name in ("channel", "deliveries", "notifier /s", "raw /s", "ratio"):
        table.add_column(name, justify="left" if name == "channel" else "right")
    rows = []
    for mine, raw in zip(out["notifier"], out["raw"]):
        notifier_rate, raw_rate = mine["n"] / mine["seconds"], raw["n"] / raw["seconds"]
        rows.append({"channel": mine["channel"], "notifier": notifier_rate, "raw": raw_rate,
                     "ratio": notifier_rate / raw_rate})
        table.add_row(mine["channel"], str(mine["n"]), f"{notifier_rate:,.0f}", f"{raw_rate:,.0f}",
                      f"{notifier_rate / raw_rate:.3f}")
    console = Console(soft_wrap=True)
    console.print(table)
    details(console, out)
    sup.chart(rows, CHART)
    console.print(f"chart: {CHART}")
    return min(r["ratio"] for r in rows)


def details(console: Console, out: dict) -> None:
    hooks, mail = out["notifier"]
    raw_hooks, raw_mail = out["raw"]
    console.print(f"duplicates seen: webhook {hooks['duplicates']}, email {mail['duplicates']} (should be 0)")
    for s, who in ((hooks["stats"], "notifier"), (raw_hooks["stats"], "raw")):
        console.print(f"{who} webhooks: {s['requests']} requests, mean body {s['bytes'] / max(1, s['requests']):.0f} B,"
                      f" signatures verified {s['verified']}, bad {len(s['bad'])}{': ' + s['bad'][0] if s['bad'] else ''}")
    console.print(f"mean message size: notifier {mail['mail']['mean_bytes']:.0f} B,"
                  f" raw {raw_mail['mail']['mean_bytes']:.0f} B; raw webhook errors {raw_hooks['errors']}")
    for phase in (hooks, mail):
        t = phase["time"]
        console.print(f"{phase['channel']}: {t['rows']} delivery rows, all ingested by +{t['ingested_s']:.2f} s,"
                      f" first sent +{t['first_s']:.2f} s, last +{phase['seconds']:.2f} s;"
                      f" mean attempt {t['send_ms']:.1f} ms; retried {t['retried']}")
    for phase, who in ((hooks, "notifier"), (raw_hooks, "raw"), (mail, "notifier"), (raw_mail, "raw")):
        console.print(f"CPU, {who} {phase['channel']}: {sup.cpu_line(phase['cpu'], phase['n'])}", markup=False,
                      highlight=False)
    for line in out["metrics"]:
        console.print(line, markup=False, highlight=False)
    if out["log_problems"]:
        console.print(f"notifier log: {len(out['log_problems'])} warnings/errors, first: {out['log_problems'][0]}",
                      markup=False)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--deliveries", type=int, help="webhook deliveries (emails: a third); default 3000, --quick 600")
    p.add_argument("--concurrency", type=int, default=32, help="NOTIFIER_CONCURRENCY and the raw clients' (32)")
    p.add_argument("--statuses", type=int, default=1, help="StatusChanged events per request (default 1)")
    p.add_argument("--subscriptions", type=int, default=10,
                   help="subscriptions per channel, so deliveries per event (default 10; 1: nothing shared)")
    p.add_argument("--replicas", type=int, default=1,
                   help="notifier processes sharing the work (the concurrency is split between them)")
    p.add_argument("--quick", action="store_true", help="600 webhooks and 200 emails")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds a phase may take at most")
    p.add_argument("--stall", type=float, default=30.0, help="seconds without progress that end the run")
    args = p.parse_args(argv)
    args.webhooks = args.deliveries or (600 if args.quick else 3000)
    args.emails = max(1, args.webhooks // 3)
    return args


def main() -> None:
    args = parse_args()
    try:
        out = asyncio.run(run(args))
    except (RuntimeError, AssertionError, OSError, KafkaError) as exc:  # Stalled; AssertionError: no start
        err.print("[bold red]notifier bench stopped:[/]", end=" ")
        err.print(str(exc) or type(exc).__name__, markup=False, highlight=False, soft_wrap=True)
        sys.exit(1)
    except (KeyboardInterrupt, asyncio.CancelledError):
        err.print("interrupted; processes, temp dirs and the database were cleaned up")
        sys.exit(130)
    ratio = report(out, args)
    print(f"notifier_vs_raw {ratio:.3f}", flush=True)


if __name__ == "__main__":
    main()
