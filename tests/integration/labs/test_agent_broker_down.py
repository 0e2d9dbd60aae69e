"""The agent and the labs API ride out a Kafka outage, on a PRIVATE broker we may stop:
heartbeats keep being answered (the outbox holds the adverts), and after the broker
is back the adverts arrive and an offer made then is accepted by policy."""
import uuid

from aiokafka import AIOKafkaProducer

from schemas.envelope import Envelope
from schemas.events import CapacityAdvertised, OfferAccepted
from schemas.topics import CAPACITY, LAB_RESPONSES, OFFERS
from services.common.db import PG_POOL
from services.common.kafka import kafka_alive
from services.labs.app import create_app
from services.labs.settings import LabsSettings
from tests.support.brokers import kafka, read_topic, serve_on_private_broker, until
from tests.support.processes import spawn

from .conftest import SECRET, Api, offer_made
from .test_agent import agent_run, lab_toml


async def read_all(bootstrap: str, topic, lab_id: str) -> list:
    return await read_topic(bootstrap, topic, lambda event: getattr(event, "lab_id", None) == lab_id)


async def test_agent_and_api_survive_a_broker_restart(private_broker, fresh_db, monkeypatch, tmp_path):
    async with serve_on_private_broker(
        private_broker, fresh_db, monkeypatch, SECRET, lambda: create_app(LabsSettings()),
        LABS_OFFERS_GROUP=f"labs-offers-{uuid.uuid4().hex[:8]}") as (bootstrap, client):
        app = client.server.app
        api = Api(client, app)
        lab = await api.register()
        with spawn(agent_run(api.url, lab["id"], lab_toml(tmp_path / "lab.toml")), {}, tmp_path / "agent.log"):
            await until(lambda: read_all(bootstrap, CAPACITY, lab["id"]), 60, "the first advert")
            kafka("down", private_broker)
            assert not await kafka_alive(bootstrap, timeout=2)
            pool = app[PG_POOL]
            before = await pool.fetchval("SELECT last_seen_at FROM labs.labs WHERE id = $1", lab["id"])

            async def beats_answered():  # heartbeats every second, answered from PostgreSQL alone
                seen = await pool.fetchval("SELECT last_seen_at FROM labs.labs WHERE id = $1", lab["id"])
                unsent = await pool.fetchval("SELECT count(*) FROM labs.outbox WHERE sent_at IS NULL")
                return seen if seen > before and unsent >= 2 else None
            during = await until(beats_answered, 30, "heartbeats answered, their adverts held in the outbox")
            assert "unavailable" not in (tmp_path / "agent.log").read_text()

            assert "listening" in kafka("up", private_broker)

            async def advert_after_outage():
                adverts = [e for e in await read_all(bootstrap, CAPACITY, lab["id"])
                           if isinstance(e, CapacityAdvertised)]
                return [a for a in adverts if a.heartbeat_at >= during]
            await until(advert_after_outage, 120, "the adverts held in the outbox")

            offer = offer_made(lab["id"])
            producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
            await producer.start()
            try:
                await producer.send_and_wait(OFFERS.name, Envelope.wrap(offer, producer="test").to_bytes(),
                                             key=lab["id"].encode())
            finally:
                await producer.stop()

            async def accepted():
                return [e for e in await read_all(bootstrap, LAB_RESPONSES, lab["id"])
                        if isinstance(e, OfferAccepted) and e.offer_id == offer.offer_id]
            await until(accepted, 120, "the agent to accept an offer made after the restart")
