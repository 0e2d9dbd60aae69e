"""The labs API built through create_app on a fresh database, served in-process."""
from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from aiokafka import AIOKafkaProducer

from schemas.envelope import Envelope
from schemas.events import OfferMade
from schemas.tokens import issue
from schemas.topics import OFFERS
from services.labs.app import create_app
from services.labs.settings import LabsSettings
from tests.integration.booking.conftest import collect, kafka_tail  # noqa: F401  (shared helpers)
from tests.support.apps import ServedApp, serving

SECRET = "labs-integration-secret-0123456789abcdef"
METHOD = "ISO9227-NSS-96"
OTHER_METHOD = "ISO9227-NSS-240"


def inn10() -> str:
    """A random organisation INN with correct check digits."""
    digits = [int(d) for d in f"{uuid.uuid4().int % 10**9:09d}"]
    check = sum(d * w for d, w in zip(digits, (2, 4, 10, 3, 5, 9, 4, 6, 8))) % 11 % 10
    return "".join(map(str, digits)) + str(check)


def certificate() -> str:
    return f"RA.RU.{uuid.uuid4().hex[:8].upper()}"


def lab_body(**overrides) -> dict:
    data = {
        "name": "Togliatti Test Centre", "inn": inn10(), "region_code": "RU-SAM", "city": "Togliatti",
        "lat": 53.5078, "lon": 49.4204,
        "accreditation": {"certificate_no": certificate(), "status": "active",
                          "valid_until": (date.today() + timedelta(days=365)).isoformat()},
        "scope": [{"method_code": METHOD, "max_samples": 20, "price_rub": 85000},
                  {"method_code": OTHER_METHOD, "max_samples": 10, "price_rub": 120000, "duration_hours": 260}],
    }
    return {**data, **overrides}


def window(days_from: int, days_to: int) -> tuple[str, str]:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    return (now + timedelta(days=days_from)).isoformat(), (now + timedelta(days=days_to)).isoformat()


class Api(ServedApp):
    def auth(self, role: str = "staff", org: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token(role, org)}"}

    async def call(self, method: str, path: str, headers: dict, body=None):
        response = await self.client.request(method, path, json=body, headers=headers)
        return response.status, await response.json()

    async def register(self, **overrides) -> dict:
        status, body = await self.call("POST", "/v1/labs", self.auth("staff"), lab_body(**overrides))
        assert status == 201, body
        return body


def token(role: str, org: str | None = None) -> str:
    return issue(SECRET, org=org or f"org-{uuid.uuid4().hex[:8]}", role=role)


@pytest.fixture
async def labs(fresh_db, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", fresh_db)
    monkeypatch.setenv("LABBOOK_TOKEN_SECRET", SECRET)
    # A group of its own: a labs-api of a concurrent test run must not take these offers
    # into its database. It starts from the earliest offset, so nothing sent early is missed.
    monkeypatch.setenv("LABS_OFFERS_GROUP", f"labs-offers-test-{uuid.uuid4().hex[:8]}")
    app = create_app(LabsSettings())
    async with serving(app) as client:
        yield Api(client, app)


def offer_made(lab_id: str, **overrides) -> OfferMade:
    now = datetime.now(timezone.utc)
    data = dict(offer_id=uuid.uuid4(), request_id=uuid.uuid4(), lab_id=lab_id, method_code=METHOD, samples=5,
                deadline=date.today() + timedelta(days=60), planned_start=now + timedelta(days=7),
                planned_end=now + timedelta(days=11), expires_at=now + timedelta(hours=48))
    return OfferMade(**{**data, **overrides})


@pytest.fixture
async def scheduler(settings):
    """Stands in for the scheduler: publishes offer events to labbook.offers.v1."""
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    await producer.start()

    async def publish(event, raw: bytes | None = None) -> None:
        value = raw if raw is not None else Envelope.wrap(event, producer="test-scheduler").to_bytes()
        key = event.lab_id.encode() if event is not None else b"junk"
        await producer.send_and_wait(OFFERS.name, value, key=key)

    yield publish
    await producer.stop()


async def until_offer(api: Api, headers: dict, offer_id, *, status: str | None = None,
                      job_status: str | None = None, timeout: float = 30.0) -> dict:
    """Poll the inbox until the offer shows (with the given status and job status)."""
    import asyncio
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        cursor = ""
        while True:  # every page: staff see every offer the inbox ever stored
            code, body = await api.call("GET", f"/v1/offers?limit=200{cursor}", headers)
            assert code == 200, body
            for item in body["items"]:
                if item["id"] == str(offer_id) and (status is None or item["status"] == status) and (
                        job_status is None or item["job_status"] == job_status):
                    return item
            if not body["next_cursor"]:
                break
            cursor = f"&cursor={body['next_cursor']}"
        await asyncio.sleep(0.2)
    raise AssertionError(f"offer {offer_id} never showed with status {status}: {json.dumps(body)[:500]}")


async def pending_offers(labs: Api, scheduler, count: int = 2) -> tuple[dict, dict, list[OfferMade]]:
    """A new lab with `count` offers in its inbox (as the scheduler sends them): the lab,
    its headers and the offers, the last one awaited."""
    lab = await labs.register()
    me = labs.auth("lab", lab["id"])
    offers = [offer_made(lab["id"]) for _ in range(count)]
    for offer in offers:
        await scheduler(offer)
    await until_offer(labs, me, offers[-1].offer_id)
    return lab, me, offers

