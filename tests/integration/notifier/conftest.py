"""The notifier built through create_app on a fresh database, served in-process, with a
real SMTP server (a subprocess) and a real webhook receiver (an aiohttp server)."""
from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import pytest
from aiokafka import AIOKafkaProducer

from schemas import events as ev
from schemas.envelope import Envelope
from schemas.tokens import issue
from schemas.topics import LABS, OFFERS, REQUESTS, STATUS
from services.notifier.app import create_app
from services.notifier.consumer import EVENTS_CONSUMER
from services.notifier.settings import NotifierSettings
from tests.support.apps import ServedApp, serving
from tests.support.smtp import smtp_server
from tests.support.webhooks import WebhookReceiver

SECRET = "notifier-integration-secret-0123456789abcdef"
METHOD = "ISO9227-NSS-96"


def now() -> datetime:
    return datetime.now(timezone.utc)


def org(prefix: str = "org") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@dataclass
class Notifier(ServedApp):
    producer: AIOKafkaProducer

    def auth(self, role: str = "supplier", org_id: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue(SECRET, org=org_id or org(), role=role)}"}

    async def subscribe(self, headers: dict, channel: str, target: str, **fields) -> dict:
        response = await self.client.post("/v1/subscriptions", headers=headers,
                                          json={"channel": channel, "target": target, **fields})
        body = await response.json()
        assert response.status == 201, body
        return body

    async def get(self, path: str, headers: dict, **params) -> tuple[int, dict]:
        response = await self.client.get(path, headers=headers, params=params)
        return response.status, await response.json()

    async def post(self, path: str, headers: dict, **params) -> tuple[int, dict]:
        response = await self.client.post(path, headers=headers, params=params)
        return response.status, await response.json()

    async def publish(self, topic: str, key: str, event: ev.Event, *, envelope: Envelope | None = None) -> Envelope:
        envelope = envelope or Envelope.wrap(event, producer="test", correlation_id=key)
        await self.producer.send_and_wait(topic, envelope.to_bytes(), key=key.encode())
        return envelope

    async def deliveries(self, headers: dict, **params) -> list[dict]:
        status, body = await self.get("/v1/deliveries", headers, **params)
        assert status == 200, body
        return body["items"]

    async def until_deliveries(self, headers: dict, check, timeout: float = 30, **params) -> list[dict]:
        """Poll the delivery log (the API a person would use) until check(items) holds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            items = await self.deliveries(headers, **params)
            if check(items) or loop.time() > deadline:
                return items
            await asyncio.sleep(0.1)

    def consumed(self) -> int:
        return self.app[EVENTS_CONSUMER].applied


def notifier_env(monkeypatch, database_url: str, smtp_port: int, **extra) -> None:
    values = {"DATABASE_URL": database_url, "LABBOOK_TOKEN_SECRET": SECRET,
              "NOTIFIER_GROUP": f"notifier-test-{uuid.uuid4().hex[:8]}", "NOTIFIER_OFFSET_RESET": "latest",
              "NOTIFIER_SMTP_PORT": str(smtp_port), "NOTIFIER_ALLOW_PRIVATE_TARGETS": "true",
              "NOTIFIER_RETRY_SCHEDULE": "50ms,100ms,100ms", "NOTIFIER_DISPATCH_POLL_S": "0.1",
              "NOTIFIER_DETAILS_WAIT_S": "3", **extra}
    for key, value in values.items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def smtp(tmp_path):
    with smtp_server(tmp_path) as server:
        yield server


@pytest.fixture
async def receiver():
    async with WebhookReceiver() as r:
        yield r


@pytest.fixture
async def producer(settings):
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, enable_idempotence=True)
    await producer.start()
    yield producer
    await producer.stop()


@pytest.fixture
def notifier_settings_env():
    """Extra NOTIFIER_* settings a test module wants (override this fixture)."""
    return {}


@pytest.fixture
async def notifier(fresh_db, monkeypatch, tmp_path, smtp, producer, notifier_settings_env):
    monkeypatch.setenv("LABBOOK_HOME", str(tmp_path))
    notifier_env(monkeypatch, fresh_db, smtp.port, **notifier_settings_env)
    app = create_app(NotifierSettings())
    async with serving(app) as client:
        yield Notifier(client, app, producer)


# Events as the booking API, the labs API and the scheduler publish them.

def submitted(org_id: str, *, samples: int = 5, method: str = METHOD) -> ev.RequestSubmitted:
    return ev.RequestSubmitted(
        request_id=uuid.uuid4(), org_id=org_id, method_code=method, test_kind="certification",
        component={"name": "Brake pad", "part_number": "BP-100", "category": "brakes"}, samples=samples,
        deadline=date.today() + timedelta(days=60), ship_from_region="RU-SAM", submitted_at=now())


def status(req: ev.RequestSubmitted, seq: int, to: str, previous: str | None, **fields) -> ev.StatusChanged:
    return ev.StatusChanged(request_id=req.request_id, org_id=req.org_id, seq=seq, status=to, previous=previous,
                            at=now(), **fields)


def profile(lab_id: str, *, valid_days: int = 365, name: str = "Тольяттинский испытательный центр",
            city: str = "Тольятти") -> ev.LabProfile:
    return ev.LabProfile(
        lab_id=lab_id, name=name, inn="6312345670", region_code="RU-SAM", city=city, lat=53.5, lon=49.4,
        updated_at=now(), accreditation={"certificate_no": "RA.RU.21AB12", "status": "active",
                                         "valid_until": date.today() + timedelta(days=valid_days)},
        scope=({"method_code": METHOD, "max_samples": 20, "price_rub": 85000},))


def offer(req: ev.RequestSubmitted, lab_id: str) -> ev.OfferMade:
    start = now() + timedelta(days=5)
    return ev.OfferMade(offer_id=uuid.uuid4(), request_id=req.request_id, lab_id=lab_id, method_code=req.method_code,
                        samples=req.samples, deadline=req.deadline, planned_start=start,
                        planned_end=start + timedelta(hours=100), expires_at=now() + timedelta(hours=48))


TOPICS = {"requests": REQUESTS.name, "status": STATUS.name, "offers": OFFERS.name, "labs": LABS.name}
