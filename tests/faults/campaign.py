"""The fault campaign: every labbook process as a real subprocess on a PRIVATE
PostgreSQL and Kafka broker (so both may be restarted), under the demo's load (its
labs, their agents, suppliers submitting, lab staff reporting), while the scheduler,
the notifier, the booking API and the labs API (each with its outbox relay inside) are
killed with SIGKILL at random points and restarted, a second scheduler worker joins and
is killed (the first one rebalances twice while it works), and the broker and PostgreSQL
are restarted. Afterwards the invariants (invariants.py) are checked.

    .venv/bin/python -m tests.faults.campaign [--kills 20] [--requests 3000] [--seed 11]

is the long run (`make faults`); tests/faults/test_campaign.py is the short one."""
from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import AsyncExitStack, ExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import asyncpg

from services.cli.demo import driver, world as worlds
from services.common.kafka import ensure_topics
from tests.e2e.system import MODULES, SECRET, System, environments
from tests.support.brokers import kafka, private_broker_env
from tests.support.processes import ROOT, PrivatePostgres, free_port, http_status, python_module
from tests.support.smtp import smtp_server
from tests.support.webhooks import WebhookReceiver

from . import invariants

KILLABLE = ("scheduler", "notifier", "booking", "labs")
EMAIL_SUPPLIERS = 10


@dataclass
class Service:
    """A labbook process the campaign may kill and start again."""
    name: str
    env: dict[str, str]
    log: Path
    url: str
    child: subprocess.Popen | None = None
    crashes: int = 0  # times it exited without being killed (restarted, as a supervisor would)
    module: str = ""  # default: MODULES[name]

    def start(self) -> None:
        with open(self.log, "ab") as out:
            module = self.module or MODULES[self.name]
            self.child = subprocess.Popen(python_module(module), env={**os.environ, **self.env}, cwd=ROOT,
                                          stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                          start_new_session=True)

    def kill(self) -> None:
        if self.child is not None and self.child.poll() is None:
            os.killpg(self.child.pid, signal.SIGKILL)
            self.child.wait(10)

    async def until_healthy(self, timeout: float = 120) -> float:
        started = time.monotonic()
        while (code := await http_status(f"{self.url}/healthz")) != 200:
            if self.child.poll() is not None:
                self.crashes += 1
                self.start()  # died on its own (e.g. started while the broker was away): as a supervisor would
            if time.monotonic() - started > timeout:
                raise AssertionError(f"{self.name} not healthy within {timeout:g} s (last {code}); see {self.log}")
            await asyncio.sleep(0.2)
        return time.monotonic() - started


@dataclass
class Record:
    """What happened, for the table and the invariants."""
    recoveries: dict[str, list[float]] = field(default_factory=dict)
    created: dict[str, str] = field(default_factory=dict)  # Idempotency-Key -> request id (201)
    keys: set[str] = field(default_factory=set)
    in_flight: set[str] = field(default_factory=set)  # deliveries 'sending' when a notifier was killed
    outage: dict = field(default_factory=dict)  # PostgreSQL: what the APIs answered, recovery
    checks: list = field(default_factory=list)  # (invariant, holds, detail)
    evidence: dict = field(default_factory=dict)  # over-booked jobs: request id -> (offer, history)
    crashes: dict = field(default_factory=dict)  # process -> times it exited on its own
    resent: list = field(default_factory=list)  # booking's log lines: submissions sent again

    def recovered(self, what: str, seconds: float) -> None:
        self.recoveries.setdefault(what, []).append(seconds)


class Campaign:
    def __init__(self, home: Path, *, requests: int, kills: int, infra: bool, seed: int,
                 killable: tuple[str, ...] = KILLABLE) -> None:
        self.home, self.requests, self.kills, self.infra, self.seed = home, requests, kills, infra, seed
        self.killable = killable
        self.rnd = random.Random(seed)
        self.record = Record()
        self.pg = PrivatePostgres(home / "pg", free_port())
        self.broker = private_broker_env(home / "kafka-home")
        self.bootstrap = f"127.0.0.1:{self.broker['LABBOOK_KAFKA_PORT']}"
        self.services: dict[str, Service] = {}
        self.world = campaign_world(seed, requests)

    async def run(self) -> Record:
        async with AsyncExitStack() as stack:
            system = await self._start(stack)
            apis = driver.Apis(system.http, {k: system.urls[k] for k in ("booking", "labs", "notifier")}, SECRET)
            await driver.register_labs(apis, self.world, lambda: None)
            hooks = await self._subscribe(system)
            stop = asyncio.Event()
            agents = await driver.run_agents(apis, self.world, stop)
            work = asyncio.create_task(driver.lab_work(apis, self.world, stop, random.Random(self.seed)))
            load = asyncio.create_task(self._submit_all(apis))
            await self._faults(system, load)
            await load
            await invariants.settle(system, self.pg.url, self.world)
            stop.set()
            for task in (*agents, work):
                with suppress(Exception):
                    await task
            self.record.checks = await invariants.check(system, self.pg.url, self.world, self.record, hooks)
            self.record.crashes = {name: s.crashes for name, s in self.services.items() if s.crashes}
            self.record.resent = [line for line in self.services["booking"].log.read_text(errors="replace").splitlines()
                                  if "RequestSubmitted went out; sent again" in line]
        return self.record

    async def _start(self, stack: AsyncExitStack) -> System:
        self.pg.run("up")
        stack.callback(self.pg.run, "destroy")
        kafka("up", self.broker)
        stack.callback(kafka, "down", self.broker)
        await ensure_topics(self.bootstrap)
        smtp = stack.enter_context(smtp_server(_dir(self.home / "smtp")))
        receiver = await stack.enter_async_context(WebhookReceiver())
        http = await stack.enter_async_context(aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)))
        _dir(self.home / "scheduler")
        ports = {name: free_port() for name in MODULES}
        envs, groups = environments(self.pg.url, self.home, smtp, ports)
        system = System({n: f"http://127.0.0.1:{p}" for n, p in ports.items()}, smtp, receiver, self.home, http)
        for name in MODULES:
            env = {**envs[name], "KAFKA_BOOTSTRAP": self.bootstrap, "LOG_LEVEL": "INFO", **FROM_THE_START,
                   # a delivery claimed by a killed notifier is sent again after this, not after a minute;
                   # the default 10 s send timeouts, as a loaded 2-core machine needs them
                   "NOTIFIER_LEASE_S": "45", "NOTIFIER_RETRY_SCHEDULE": "1s,2s,5s,10s,20s,30s,60s",
                   # a submission lost on the way is sent again within the settling time
                   "BOOKING_RESEND_SUBMITTED_AFTER_S": str(RESEND_AFTER_S)}
            service = Service(name, env, _dir(self.home) / f"{name}.log", system.urls[name])
            system.logs[name] = service.log
            service.start()
            stack.callback(service.kill)
            self.services[name] = service
        for service in self.services.values():
            await service.until_healthy()
        await system.until_ready(groups, self.bootstrap)
        return system

    async def _subscribe(self, system: System) -> dict[str, str]:
        """A webhook for every supplier of the load, email for a few: {receiver path: secret}."""
        secrets = {}
        for i, supplier in enumerate(sorted({r.org for r in self.world.requests})):
            hook = await system.subscribe("supplier", supplier, "webhook", system.receiver.url(f"/s/{supplier}"))
            secrets[f"/s/{supplier}"] = hook["secret"]
            if i < EMAIL_SUPPLIERS:
                await system.subscribe("supplier", supplier, "email", f"quality@{supplier}.example")
        return secrets

    async def _submit_all(self, apis: driver.Apis) -> None:
        """Every request until it has its 201: a refused connection or a 503 is tried again
        with the same Idempotency-Key, so nothing is lost and nothing doubled."""
        slots = asyncio.Semaphore(8)
        pace = FAULT_GAP_S * len(self._plan()) / max(1, len(self.world.requests))

        async def one(request: worlds.Request) -> None:
            async with slots:
                self.record.keys.add(request.key)
                self.record.created[request.key] = await _submit_until_created(apis, request)

        tasks = []
        for request in self.world.requests:
            tasks.append(asyncio.create_task(one(request)))
            await asyncio.sleep(pace)  # the load goes on while the faults do
        await asyncio.gather(*tasks)

    def _plan(self) -> list[str]:
        plan = [name for name in self.killable for _ in range(self.kills)]
        plan += ["scheduler joins"] * (max(1, self.kills // 4) if "scheduler" in self.killable else 0)
        plan += ["broker", "postgres"] if self.infra else []
        random.Random(self.seed).shuffle(plan)
        return plan

    async def _faults(self, system: System, load: asyncio.Task) -> None:
        for n, fault in enumerate(self._plan(), 1):
            await asyncio.sleep(self.rnd.uniform(0.3, 2 * FAULT_GAP_S))
            if load.done() and load.exception():
                raise load.exception()
            print(f"fault {n}: {fault}", file=sys.stderr, flush=True)
            if fault == "broker":
                await self._restart_broker()
            elif fault == "postgres":
                await self._postgres_outage(system)
            elif fault == "scheduler joins":
                await self._scheduler_peer()
            else:
                await self._kill(fault)

    async def _kill(self, name: str) -> None:
        service = self.services[name]
        service.kill()
        if name == "notifier":
            self.record.in_flight |= await _sending(self.pg.url)
        await asyncio.sleep(self.rnd.uniform(0, 1.0))  # down a moment, as a crashed process is
        service.start()
        self.record.recovered(f"kill -9 {name}", await service.until_healthy())

    async def _scheduler_peer(self) -> None:
        """A second scheduler worker joins the group, takes partitions over and is killed:
        the running worker goes through two rebalances while it works."""
        scheduler, port = self.services["scheduler"], free_port()
        env = {**scheduler.env, "SCHEDULER_PORT": str(port), "LABBOOK_HOME": str(_dir(self.home / "scheduler-peer"))}
        peer = Service("scheduler-peer", env, self.home / "scheduler-peer.log", f"http://127.0.0.1:{port}",
                       module=MODULES["scheduler"])
        peer.start()
        try:
            self.record.recovered("a second scheduler joins", await peer.until_healthy())
            await asyncio.sleep(self.rnd.uniform(1.0, 2 * FAULT_GAP_S))
        finally:
            peer.kill()

    async def _restart_broker(self) -> None:
        kafka("down", self.broker)
        started = time.monotonic()
        kafka("up", self.broker)
        for service in self.services.values():
            await service.until_healthy()
        self.record.recovered("Kafka broker restart", time.monotonic() - started)

    async def _postgres_outage(self, system: System) -> None:
        self.pg.run("down")
        self.record.outage["answers"] = await invariants.answers_while_down(system)
        self.pg.run("up")
        back = time.monotonic()
        await invariants.until_apis_answer(system, timeout=60)
        self.record.outage["recovery_s"] = time.monotonic() - back
        self.record.recovered("PostgreSQL restart", self.record.outage["recovery_s"])


FAULT_GAP_S = 3.0  # mean seconds between faults
RESEND_AFTER_S = 30.0
# The broker is the campaign's own, so every consumer starts where production's do: at the
# beginning. ("latest", which tests on the shared broker need, would skip what arrived while
# a killed worker that had not committed yet was down.)
FROM_THE_START = {"SCHEDULER_AUTO_OFFSET_RESET": "earliest", "BOOKING_STATUS_OFFSET_RESET": "earliest",
                  "LABS_OFFERS_OFFSET_RESET": "earliest", "NOTIFIER_OFFSET_RESET": "earliest"}


async def _submit_until_created(apis: driver.Apis, request: worlds.Request) -> str:
    token = apis.token("supplier", request.org)
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": request.key}
    for _ in range(600):
        try:
            async with apis.session.post(apis.urls["booking"] + "/v1/requests", json=request.body,
                                         headers=headers) as response:
                body = await response.json(content_type=None)
                if response.status == 201:
                    return body["id"]
                if response.status not in (502, 503, 504):
                    raise AssertionError(f"submit refused: {response.status} {body}")
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError):
            pass  # the booking API is being restarted
        await asyncio.sleep(0.5)
    raise AssertionError(f"request {request.key} never got its 201")


async def _sending(database_url: str) -> set[str]:
    conn = await asyncpg.connect(database_url)
    try:
        return {str(r["id"]) for r in await conn.fetch("SELECT id FROM notifier.deliveries WHERE status = 'sending'")}
    finally:
        await conn.close()


def campaign_world(seed: int, requests: int) -> worlds.World:
    """The demo's world with every agent answering within seconds (so any offer left open
    at the end is stuck, not slow) and `requests` of its requests, repeated with new keys
    past its 1,320."""
    base = worlds.build(seed)
    labs = tuple(dataclasses.replace(lab, agent="fast") for lab in base.labs)
    pool = base.requests
    chosen = [dataclasses.replace(pool[i % len(pool)], key=str(uuid.uuid5(worlds.NAMESPACE, f"faults-{seed}-{i}")))
              for i in range(requests)]
    return worlds.World(labs, base.suppliers, tuple(chosen))


def _dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kills", type=int, default=20, help="SIGKILLs per process (default 20)")
    p.add_argument("--requests", type=int, default=3000, help="requests submitted during the faults")
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--only", nargs="+", choices=KILLABLE, default=KILLABLE, metavar="PROCESS",
                   help=f"kill only these ({', '.join(KILLABLE)}; default all)")
    p.add_argument("--no-infra", action="store_true", help="leave the broker and PostgreSQL running")
    p.add_argument("--keep", type=Path, help="keep the processes' logs and data here (default: a temporary directory)")
    args = p.parse_args(argv)
    # Agents riding out the outages this campaign makes would log each one: expected here.
    logging.getLogger("labbook.agent").setLevel(logging.ERROR)
    with ExitStack() as stack:
        home = _dir(args.keep) if args.keep else Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="labbook-faults-")))
        campaign = Campaign(home, requests=args.requests, kills=args.kills, infra=not args.no_infra, seed=args.seed,
                            killable=tuple(args.only))
        record = asyncio.run(campaign.run())
    invariants.report(record)
    return 0 if all(ok for _, ok, _ in record.checks) else 1


if __name__ == "__main__":
    sys.exit(main())
