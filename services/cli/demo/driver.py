"""Plays the world (world.py) against a running labbook through its public APIs only:
staff register the labs, each lab's agent (the same code as `labbook agent run`)
advertises capacity and answers offers by its policy, suppliers submit their requests,
and lab staff move jobs on to their reports, in compressed time."""
from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass

import aiohttp

from schemas.tokens import issue
from services.labs.agent import Agent, AgentConfig, LabsClient, Policy
from services.labs.agent import Window as AgentWindow

from .world import Lab, Request, World

SUBMIT_CONCURRENCY = 16
STREAM_SECONDS = 60.0  # three weeks of arrivals, compressed
WORK_TICK_S = 3.0
ADVANCE_SHARE = 0.12  # of a lab's open jobs moved one step on per tick
NEXT_STEP = {"ACCEPTED": "SAMPLES_RECEIVED", "SCHEDULED": "SAMPLES_RECEIVED", "SAMPLES_RECEIVED": "TESTING_STARTED",
             "IN_TESTING": "TESTING_COMPLETED", "COMPLETED": "REPORT_ISSUED"}
SUBSCRIBERS = {"staff": ("cluster", "desk@cluster.example", "en"),
               "supplier": ("demo-sup-001", "quality@sup-001.example", "ru")}


class DemoError(RuntimeError):
    """An API refused what the demo sent: the message says which call and why."""


@dataclass
class Apis:
    session: aiohttp.ClientSession
    urls: dict[str, str]  # booking, labs, notifier
    secret: str

    def token(self, role: str, org: str) -> str:
        return issue(self.secret, org=org, role=role)

    async def call(self, service: str, method: str, path: str, token: str, body=None, *, key: str | None = None,
                   ok: tuple[int, ...] = (200, 201)) -> tuple[int, dict]:
        headers = {"Authorization": f"Bearer {token}", **({"Idempotency-Key": key} if key else {})}
        for attempt in range(5):  # a 503 while a service catches up is waited out
            async with self.session.request(method, self.urls[service] + path, json=body,
                                            headers=headers) as response:
                data = await response.json(content_type=None)
                if response.status != 503:
                    break
            await asyncio.sleep(0.5 * 2 ** attempt)
        if response.status not in ok:
            raise DemoError(f"{method} {path}: {response.status} {data}")
        return response.status, data


def staff(apis: Apis) -> str:
    return apis.token("staff", "cluster")


async def seeded(apis: Apis, world: World) -> bool:
    """Whether this world's labs are registered already (a second `labbook demo`)."""
    status, _ = await apis.call("labs", "GET", f"/v1/labs/{world.labs[0].id}", staff(apis), ok=(200, 404))
    return status == 200


async def register_labs(apis: Apis, world: World, advance) -> None:
    for lab in world.labs:
        await apis.call("labs", "POST", "/v1/labs", staff(apis), lab.body(), key=f"demo-{lab.id}")
        if lab.agent == "offline":  # its capacity entered by staff; its agent never heard from
            items = [_window_body(w) for w in lab.capacity]
            await apis.call("labs", "PUT", f"/v1/labs/{lab.id}/capacity", staff(apis), {"items": items})
        advance()


def _window_body(w) -> dict:
    return {"method_code": w.method_code, "slots": w.slots, "available_from": w.available_from.isoformat(),
            "available_to": w.available_to.isoformat()}


async def subscribe(apis: Apis, world: World) -> None:
    """Email for the cluster desk, one supplier and two labs; mail lands in the local catcher."""
    who = [(role, org, target, language) for role, (org, target, language) in SUBSCRIBERS.items()]
    who += [("lab", lab.id, f"desk@{lab.id}.example", "ru") for lab in world.labs[:2]]
    for role, org, target, language in who:
        await apis.call("notifier", "POST", "/v1/subscriptions", apis.token(role, org),
                        {"channel": "email", "target": target, "language": language}, key=f"demo-{org}-email")


def agent_config(lab: Lab) -> AgentConfig:
    slow = lab.agent == "slow"
    policy = Policy(auto_accept=lab.agent != "manual", max_concurrent_jobs=8 if slow else 30,
                    min_lead_time_hours=12, refused="decline")  # shipping takes a day at least
    windows = tuple(AgentWindow(method_code=w.method_code, slots=w.slots, available_from=w.available_from,
                                available_to=w.available_to) for w in lab.capacity)
    return AgentConfig(heartbeat_seconds=60, poll_seconds=25 if slow else 1.5, capacity=windows, policy=policy)


async def run_agents(apis: Apis, world: World, stop: asyncio.Event) -> list[asyncio.Task]:
    """One agent per lab, except the offline one."""
    tasks = []
    for lab in world.labs:
        if lab.agent == "offline":
            continue
        client = LabsClient(apis.session, apis.urls["labs"], apis.token("lab", lab.id))
        tasks.append(asyncio.create_task(Agent(client, lab.id, agent_config(lab)).run(stop), name=f"agent-{lab.id}"))
    return tasks


async def submit(apis: Apis, requests: list[Request], advance, *, over_s: float = 0.0) -> None:
    """POST every request (its Idempotency-Key makes a rerun create nothing); spread over
    `over_s` seconds, or all at once with bounded concurrency."""
    slots = asyncio.Semaphore(SUBMIT_CONCURRENCY)
    gap = over_s / max(1, len(requests))

    async def one(request: Request) -> None:
        async with slots:
            await apis.call("booking", "POST", "/v1/requests", apis.token("supplier", request.org), request.body,
                            key=request.key)
        advance()

    tasks = []
    for request in requests:
        tasks.append(asyncio.create_task(one(request)))
        if gap:
            await asyncio.sleep(gap)
    await asyncio.gather(*tasks)


async def lab_work(apis: Apis, world: World, stop: asyncio.Event, rnd: random.Random) -> None:
    """Lab staff receive samples, test and issue reports: each tick, some open jobs move one step."""
    working = [lab for lab in world.labs if lab.agent in ("fast", "slow")]
    while not stop.is_set():
        for lab in working:
            try:
                await _advance_jobs(apis, lab, rnd)
            except (DemoError, aiohttp.ClientError, OSError, asyncio.TimeoutError):
                pass  # a service restarting or the database away: the next tick tries again
        try:
            await asyncio.wait_for(stop.wait(), WORK_TICK_S)
        except TimeoutError:
            pass


async def _advance_jobs(apis: Apis, lab: Lab, rnd: random.Random) -> None:
    token = apis.token("lab", lab.id)
    _, page = await apis.call("labs", "GET", "/v1/offers?status=accepted&job=open&limit=200", token)
    for offer in page["items"]:
        step = NEXT_STEP.get(offer["job_status"] or "")
        if step is None or rnd.random() > ADVANCE_SHARE:
            continue
        body = {"type": step}
        if step == "REPORT_ISSUED":
            body["report_url"] = f"https://reports.{lab.id}.example/{offer['request_id']}.pdf"
        await apis.call("labs", "POST", f"/v1/jobs/{offer['request_id']}/events", token, body, ok=(200, 409))
