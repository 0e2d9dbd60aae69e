"""The lab agent: runs at a lab, talks to the labs API over HTTP only.

It advertises the lab's capacity from lab.toml, sends heartbeats, and accepts
pending offers that its policy allows, leaving the rest for a person
(`labbook agent offers|accept|decline`). When the API is unreachable it retries
with backoff and logs the outage once, not once per attempt.
"""
from __future__ import annotations

import asyncio
import logging
import tomllib
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Literal

import aiohttp
from pydantic import BaseModel, ConfigDict, Field

from schemas.moments import DayOrInstant
from services.common.retry import Backoff

log = logging.getLogger("labbook.agent")

DEFAULT_URL = "http://127.0.0.1:8082"
MAX_BACKOFF_S = 30.0


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    auto_accept: bool = False  # off: every offer waits for a person
    methods: tuple[str, ...] = ()  # empty: any method in the lab's scope
    max_concurrent_jobs: int = Field(default=1, ge=0)
    min_lead_time_hours: float = Field(default=0, ge=0)
    # What auto-accept does with an offer its rules refuse: leave it for a person, or
    # decline it at once (the reason is the rule), so the request is matched elsewhere
    # now instead of when the offer expires.
    refused: Literal["leave", "decline"] = "leave"


class Window(BaseModel):
    """A [[capacity]] window of lab.toml. A TOML date (2026-12-01) is a whole day in the lab's
    zone, which the API knows from the lab's region: the agent sends it as a date. A local
    date-time (no offset) is refused here, before anything is sent."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method_code: str
    slots: int = Field(ge=0, le=1000)
    available_from: DayOrInstant
    available_to: DayOrInstant


class AgentConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    heartbeat_seconds: float = Field(default=300, gt=0)
    poll_seconds: float = Field(default=60, gt=0)
    capacity: tuple[Window, ...] = ()
    policy: Policy = Policy()


def load_config(path: Path) -> AgentConfig:
    """Raises OSError, tomllib.TOMLDecodeError or pydantic.ValidationError."""
    with open(path, "rb") as f:
        return AgentConfig.model_validate(tomllib.load(f))


def refusal(offer: dict, policy: Policy, active_jobs: int, now: datetime) -> str | None:
    """Why the policy leaves this offer for a person, or None to accept it."""
    if not policy.auto_accept:
        return "auto-accept is off"
    if policy.methods and offer["method_code"] not in policy.methods:
        return f"method {offer['method_code']} is not in the policy's methods"
    if active_jobs >= policy.max_concurrent_jobs:
        return f"{active_jobs} jobs running, the policy allows {policy.max_concurrent_jobs}"
    lead = datetime.fromisoformat(offer["planned_start"]) - now
    if lead < timedelta(hours=policy.min_lead_time_hours):
        return f"starts in {lead.total_seconds() / 3600:.1f} h, the policy needs {policy.min_lead_time_hours:g} h"
    return None


class Unavailable(Exception):
    """The labs API did not answer (connection refused, timeout, 5xx)."""


class ApiRefused(Exception):
    def __init__(self, status: int, body: Any) -> None:
        error = body.get("error", {}) if isinstance(body, dict) else {}
        self.status, self.code = status, error.get("code", "error")
        super().__init__(f"{status} {self.code}: {error.get('message', body)}")


class LabsClient:
    def __init__(self, session: aiohttp.ClientSession, url: str, token: str) -> None:
        self.session, self.url, self.headers = session, url.rstrip("/"), {"Authorization": f"Bearer {token}"}

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        try:
            async with self.session.request(method, self.url + path, json=body, headers=self.headers) as response:
                data = await response.json(content_type=None)
                status = response.status
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError, ValueError) as exc:
            raise Unavailable(str(exc) or type(exc).__name__) from None
        if status >= 500:
            raise Unavailable(f"{status} from {path}")
        if status >= 400:
            raise ApiRefused(status, data)
        return data

    async def offers(self, status: str | None = None, job: str | None = None) -> list[dict]:
        items, cursor = [], None
        while True:
            query = "&".join(f"{k}={v}" for k, v in (("status", status), ("job", job), ("cursor", cursor),
                                                      ("limit", 200)) if v)
            page = await self.call("GET", f"/v1/offers?{query}")
            items += page["items"]
            if not (cursor := page["next_cursor"]):
                return items


class Agent:
    def __init__(self, client: LabsClient, lab_id: str, config: AgentConfig) -> None:
        self.client, self.lab_id, self.config = client, lab_id, config
        self.capacity_sent = False
        self.left: set[str] = set()  # offers already logged as left for a person

    async def run(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        next_beat, backoff = 0.0, Backoff(most=MAX_BACKOFF_S)
        while not stop.is_set():
            try:
                await self.step(beat=loop.time() >= next_beat)
            except Unavailable as exc:
                if not backoff.failing:  # once per outage
                    log.warning("labs API at %s unavailable, retrying with backoff: %s", self.client.url, exc)
                await _sleep(stop, backoff.failed())
                continue
            if backoff.failing:
                log.info("labs API at %s answers again", self.client.url)
                backoff.reset()
            if loop.time() >= next_beat:
                next_beat = loop.time() + self.config.heartbeat_seconds
            await _sleep(stop, min(self.config.poll_seconds, max(0.0, next_beat - loop.time())))

    async def step(self, *, beat: bool) -> None:
        if not self.capacity_sent:
            items = [i.model_dump(mode="json") for i in self.config.capacity]
            await self.client.call("PUT", f"/v1/labs/{self.lab_id}/capacity", {"items": items})
            self.capacity_sent = True
            log.info("capacity advertised: %d windows", len(items))
        if beat:
            await self.client.call("POST", f"/v1/labs/{self.lab_id}/heartbeat")
            log.debug("heartbeat sent")
        await self.handle_offers()

    async def handle_offers(self) -> None:
        pending = await self.client.offers("pending")
        if not pending:
            return
        active = len(await self.client.offers("accepted", job="open"))
        for offer in pending:
            reason = refusal(offer, self.config.policy, active, datetime.now(timezone.utc))
            if reason is None:
                active += await self._accept(offer)
            elif self.config.policy.auto_accept and self.config.policy.refused == "decline":
                await self._decline(offer, reason)
            elif offer["id"] not in self.left:
                self.left.add(offer["id"])
                log.info("offer %s (%s) left for a person: %s", offer["id"], offer["method_code"], reason)

    async def _accept(self, offer: dict) -> int:
        """1 if accepted, 0 if it had expired or been withdrawn meanwhile."""
        try:
            await self.client.call("POST", f"/v1/offers/{offer['id']}/accept", {})
        except ApiRefused as exc:
            log.info("offer %s not accepted: %s", offer["id"], exc)
            return 0
        log.info("offer %s (%s, request %s) accepted by policy", offer["id"], offer["method_code"],
                 offer["request_id"])
        return 1

    async def _decline(self, offer: dict, reason: str) -> None:
        try:
            await self.client.call("POST", f"/v1/offers/{offer['id']}/decline", {"reason": f"policy: {reason}"})
        except ApiRefused as exc:
            log.info("offer %s not declined: %s", offer["id"], exc)
            return
        log.info("offer %s (%s, request %s) declined by policy: %s", offer["id"], offer["method_code"],
                 offer["request_id"], reason)


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    try:
        async with asyncio.timeout(seconds):
            await stop.wait()
    except TimeoutError:
        pass


def session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
