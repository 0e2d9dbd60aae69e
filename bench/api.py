"""Booking API throughput: submit (POST) and GET against a hello-JSON baseline.

Starts a real booking-api process (on a fresh database, the local Kafka broker)
with BOOKING_BENCH_HELLO=1, so GET /bench/hello is served by the same process and
middlewares and answers a constant JSON body. One load tool for all three: an
aiohttp client on loopback with fixed concurrency, bounded by count and time.

    .venv/bin/python -m bench.api [--concurrency 32] [--count 3000] [--seconds 20]

The last line is `submit_vs_hello <ratio>` (submit throughput / hello throughput).
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import aiohttp
import asyncpg
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from schemas.tokens import issue
from services.common.settings import ServiceSettings
from tests.support.processes import free_port, python_module, spawn, until_status

SECRET = "bench-secret-0123456789abcdef-0123456789"
err = Console(stderr=True)


def body() -> dict:
    return {"method_code": "ISO9227-NSS-96", "test_kind": "validation",
            "component": {"name": "Door hinge", "part_number": f"DH-{uuid.uuid4().hex[:6]}", "category": "body"},
            "samples": 5, "deadline": (date.today() + timedelta(days=90)).isoformat(), "ship_from_region": "RU-SAM"}


async def load(session: aiohttp.ClientSession, label: str, make_call, *, concurrency: int, count: int,
               seconds: float) -> dict:
    """Run make_call(i) count times (or until seconds pass) with `concurrency` in flight."""
    latencies: list[float] = []
    errors = 0
    next_index = 0
    stop_at = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal next_index, errors
        while next_index < count and time.perf_counter() < stop_at:
            i, next_index = next_index, next_index + 1
            started = time.perf_counter()
            method, url, kwargs, wanted = make_call(i)
            async with session.request(method, url, **kwargs) as response:
                await response.read()
                errors += response.status != wanted
            latencies.append(time.perf_counter() - started)
            bar.advance(task)

    columns = (TextColumn(f"{label:<8}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err) as bar:
        task = bar.add_task(label, total=count)
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {"name": label, "requests": len(latencies), "errors": errors, "seconds": elapsed,
            "rps": len(latencies) / elapsed, "p50_ms": 1000 * statistics.median(latencies),
            "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))]}


async def bench(args: argparse.Namespace) -> list[dict]:
    settings = ServiceSettings()
    admin = await asyncpg.connect(settings.database_url)
    name = f"bench_{uuid.uuid4().hex[:10]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    port, log = free_port(), Path(tempfile.mkdtemp(prefix="labbook-bench-")) / "booking.log"
    env = {"DATABASE_URL": f"{settings.database_url.rpartition('/')[0]}/{name}", "LABBOOK_TOKEN_SECRET": SECRET,
           "BOOKING_PORT": str(port), "BOOKING_BENCH_HELLO": "1", "LOG_LEVEL": "WARNING",
           "BOOKING_STATUS_GROUP": f"booking-status-{name}", "BOOKING_STATUS_OFFSET_RESET": "latest"}
    url = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {issue(SECRET, org='org-bench', role='supplier')}"}
    try:
        with spawn(python_module("services.booking"), env, log) as child:
            await until_status(f"{url}/healthz", 200, child=child, log=log)
            connector = aiohttp.TCPConnector(limit=args.concurrency)
            async with aiohttp.ClientSession(connector=connector) as session:
                run = lambda label, call: load(session, label, call, concurrency=args.concurrency,  # noqa: E731
                                               count=args.count, seconds=args.seconds)
                await run("warmup", lambda i: ("GET", f"{url}/bench/hello", {}, 200))
                hello = await run("hello", lambda i: ("GET", f"{url}/bench/hello", {}, 200))
                ids: list[str] = []

                def submit(i):
                    return "POST", f"{url}/v1/requests", {"json": body(), "headers": headers}, 201
                submit_result = await run("submit", submit)
                async with session.get(f"{url}/v1/requests?limit=200", headers=headers) as response:
                    ids = [r["id"] for r in (await response.json())["items"]]
                get = await run("get", lambda i: ("GET", f"{url}/v1/requests/{ids[i % len(ids)]}",
                                                  {"headers": headers}, 200))
        return [hello, submit_result, get]
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    results = asyncio.run(bench(args))
    print(f"\n{'route':<8} {'requests':>9} {'errors':>7} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    for r in results:
        print(f"{r['name']:<8} {r['requests']:>9} {r['errors']:>7} {r['rps']:>9.0f} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f}")
    print(f"(concurrency {args.concurrency}, loopback, one booking-api process)")
    print(f"submit_vs_hello {results[1]['rps'] / results[0]['rps']:.3f}")


if __name__ == "__main__":
    main()
