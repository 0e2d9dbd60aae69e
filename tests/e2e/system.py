"""Every labbook process as a real subprocess: booking API, labs API, notifier and
scheduler on one fresh database and the shared broker, as `labbook up` runs them, with
the test's own SMTP server and webhook receiver. Tests talk to it the way people do:
the public HTTP APIs, and the lab agent CLI (`labbook agent ...`)."""
from __future__ import annotations

import asyncio
import json
import sys
import uuid
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import aiohttp

from schemas.tokens import issue
from tests.integration.labs.conftest import certificate, inn10
from tests.integration.scheduler.support import _delete_internal_topics
from tests.support.brokers import until_group_stable
from tests.support.db import new_database
from tests.support.lab_toml import capacity
from tests.support.processes import ROOT, free_port, python_module, spawn, until_status
from tests.support.smtp import SmtpServer, smtp_server
from tests.support.webhooks import WebhookReceiver

SECRET = "e2e-system-secret-0123456789abcdef"
LABBOOK = [sys.executable, "-m", "services.cli.main"]
UNHELD_METHOD = "UNECE-R10"  # no lab of these tests holds it: a probe request goes UNMATCHED


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@dataclass
class System:
    urls: dict[str, str]  # booking, labs, notifier, scheduler
    smtp: SmtpServer
    receiver: WebhookReceiver
    home: Path
    http: aiohttp.ClientSession
    logs: dict[str, Path] = field(default_factory=dict)
    probes: int = 0  # readiness probe requests submitted (until_ready)

    def token(self, role: str, org: str) -> str:
        return issue(SECRET, org=org, role=role)

    async def call(self, service: str, method: str, path: str, token: str, body=None,
                   expect: int | None = 200) -> dict:
        async with self.http.request(method, self.urls[service] + path, json=body,
                                     headers={"Authorization": f"Bearer {token}"}) as response:
            data = await response.json(content_type=None)
            if expect is not None:
                assert response.status == expect, (method, path, response.status, data)
            return data

    async def cli(self, *args: str, token: str) -> dict | list:
        """`labbook agent ...` against the labs API; its JSON output (lines: a list)."""
        child = await asyncio.create_subprocess_exec(
            *LABBOOK, "agent", *args, "--url", self.urls["labs"], "--token", token, cwd=ROOT,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(child.communicate(), 60)
        assert child.returncode == 0, (args, child.returncode, err.decode())
        lines = [json.loads(line) for line in out.decode().splitlines()]
        return lines if args[0] == "offers" else lines[0]

    async def until_status(self, request_id: str, token: str, *statuses: str, timeout: float = 90) -> dict:
        """The request (with its history) once its status is one of `statuses`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            request = await self.call("booking", "GET", f"/v1/requests/{request_id}", token)
            if request["status"] in statuses:
                return request
            assert loop.time() < deadline, (f"request {request_id} is {request['status']}, not {statuses}, "
                                            f"after {timeout} s; history {request['history']}; logs in {self.home}")
            await asyncio.sleep(0.25)

    async def until_offers(self, lab_id: str, status: str, count: int = 1, timeout: float = 60) -> list[dict]:
        """The lab's offers in `status`, as `labbook agent offers` lists them, once there are `count`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(found := await self.cli("offers", "--status", status, token=self.token("lab", lab_id))) < count:
            assert loop.time() < deadline, f"lab {lab_id}: {len(found)} {status} offers after {timeout} s"
            await asyncio.sleep(0.5)
        return found

    async def submit(self, org: str, method: str, **fields) -> dict:
        body = {"method_code": method, "test_kind": "certification",
                "component": {"name": "Brake caliper", "part_number": unique("BC"), "category": "brakes"},
                "samples": 3, "deadline": (date.today() + timedelta(days=120)).isoformat(),
                "ship_from_region": "RU-SAM", **fields}
        return await self.call("booking", "POST", "/v1/requests", self.token("supplier", org), body, expect=201)

    async def register_lab(self, method: str, *, city: str = "Togliatti", at=(53.5078, 49.4204)) -> str:
        body = {"id": unique("e2e-lab"), "name": f"{city} Test Centre", "inn": inn10(), "region_code": "RU-SAM",
                "city": city, "lat": at[0], "lon": at[1],
                "accreditation": {"certificate_no": certificate(), "status": "active",
                                  "valid_until": (date.today() + timedelta(days=400)).isoformat()},
                "scope": [{"method_code": method, "max_samples": 20, "price_rub": 85000}]}
        return (await self.call("labs", "POST", "/v1/labs", self.token("staff", "cluster"), body, expect=201))["id"]

    @contextmanager
    def agent(self, lab_id: str, method: str, *, slots: int = 1, auto_accept: bool = False):
        """`labbook agent run` for the lab: capacity for the next 120 days, heartbeats every second."""
        config = self.home / f"{lab_id}.toml"
        start, end = date.today() + timedelta(days=1), date.today() + timedelta(days=120)
        config.write_text(f"""heartbeat_seconds = 1
poll_seconds = 0.5

[policy]
auto_accept = {str(auto_accept).lower()}
max_concurrent_jobs = 20
""" + capacity(method, slots, start.isoformat(), end.isoformat()))
        args = [*LABBOOK, "agent", "run", "--lab", lab_id, "--token", self.token("lab", lab_id), "--config",
                str(config), "--url", self.urls["labs"]]
        with spawn(args, {}, self.home / f"agent-{lab_id}.log") as child:
            yield child

    async def subscribe(self, role: str, org: str, channel: str, target: str, **fields) -> dict:
        body = {"channel": channel, "target": target, **fields}
        return await self.call("notifier", "POST", "/v1/subscriptions", self.token(role, org), body, expect=201)

    async def until_ready(self, groups: dict[str, str], bootstrap: str) -> None:
        """Every consumer group settled; then a probe request must come back UNMATCHED, so the
        scheduler (which reads from "latest") has its partitions and positions."""
        for group in groups.values():
            await until_group_stable(bootstrap, group, 1, timeout=90)
        org = unique("probe")
        for _ in range(12):
            probe = await self.submit(org, UNHELD_METHOD)
            self.probes += 1
            try:
                await self.until_status(probe["id"], self.token("supplier", org), "UNMATCHED", timeout=10)
                return
            except AssertionError:
                continue
        raise AssertionError(f"the scheduler matched no probe request; see {self.logs['scheduler']}")


def environments(database: str, home: Path, smtp: SmtpServer, ports: dict[str, int]) -> tuple[dict, dict]:
    """Each process's settings (ports, own consumer groups reading from the end of the shared
    topics) and the groups to wait for."""
    groups = {"booking": unique("e2e-booking-status"), "labs": unique("e2e-labs-offers"),
              "notifier": unique("e2e-notifier"), "scheduler": unique("e2e-scheduler")}
    common = {"DATABASE_URL": database, "LABBOOK_TOKEN_SECRET": SECRET, "LABBOOK_HOME": str(home)}
    booking = f"http://127.0.0.1:{ports['booking']}"
    env = {
        "booking": {"BOOKING_PORT": str(ports["booking"]), "BOOKING_STATUS_GROUP": groups["booking"],
                    "BOOKING_STATUS_OFFSET_RESET": "latest"},
        "labs": {"LABS_PORT": str(ports["labs"]), "LABS_OFFERS_GROUP": groups["labs"],
                 "LABS_OFFERS_OFFSET_RESET": "latest"},
        "notifier": {"NOTIFIER_PORT": str(ports["notifier"]), "NOTIFIER_GROUP": groups["notifier"],
                     "NOTIFIER_OFFSET_RESET": "latest", "NOTIFIER_SMTP_HOST": smtp.host,
                     "NOTIFIER_SMTP_PORT": str(smtp.port), "NOTIFIER_ALLOW_PRIVATE_TARGETS": "true",
                     "NOTIFIER_DISPATCH_POLL_S": "0.1", "NOTIFIER_REQUEST_URL": booking + "/v1/requests/{id}"},
        "scheduler": {"SCHEDULER_PORT": str(ports["scheduler"]), "SCHEDULER_APP_ID": groups["scheduler"],
                      "SCHEDULER_AUTO_OFFSET_RESET": "latest", "SCHEDULER_OFFER_SCAN_INTERVAL_S": "0.5",
                      # Weeks in minutes, as in the demo: an offer due days from now would never go out.
                      "SCHEDULER_PLAN_AHEAD": "false", "LABBOOK_HOME": str(home / "scheduler")},
    }
    return {name: {**common, **values} for name, values in env.items()}, groups


MODULES = {"booking": "services.booking", "labs": "services.labs", "notifier": "services.notifier",
           "scheduler": "services.booking.scheduler"}


async def start_system(stack: AsyncExitStack, servers, settings, home: Path) -> System:
    database = await stack.enter_async_context(new_database(servers, settings.database_url))
    smtp = stack.enter_context(smtp_server(home / "smtp"))
    receiver = await stack.enter_async_context(WebhookReceiver())
    http = await stack.enter_async_context(aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)))
    ports = {name: free_port() for name in MODULES}
    envs, groups = environments(database, home, smtp, ports)
    system = System({name: f"http://127.0.0.1:{port}" for name, port in ports.items()}, smtp, receiver, home, http)
    stack.push_async_callback(_delete_internal_topics, settings.kafka_bootstrap, groups["scheduler"])
    for name, module in MODULES.items():
        system.logs[name] = home / f"{name}.log"
        child = stack.enter_context(spawn(python_module(module), envs[name], system.logs[name]))
        await until_status(f"{system.urls[name]}/healthz", 200, timeout=90, child=child, log=system.logs[name])
    await system.until_ready(groups, settings.kafka_bootstrap)
    return system
