"""faust-streaming on the real broker: an agent with a changelog-backed table runs
end to end with Kafka transactions, and a killed worker's successor recovers the
table from the changelog."""
import asyncio
import os
import signal
import uuid
from datetime import datetime, timezone

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from schemas.envelope import Envelope
from schemas.events import StatusChanged
from tests.support.processes import free_port, python_module, spawn


def status_changed(request_id: uuid.UUID, seq: int) -> bytes:
    event = StatusChanged(request_id=request_id, org_id="org", seq=seq, status="MATCHING",
                          previous="SUBMITTED", at=datetime.now(timezone.utc))
    return Envelope.wrap(event, producer="test").to_bytes()


@pytest.fixture
async def topics(settings, servers):
    suffix = uuid.uuid4().hex[:8]
    names = (f"test.counter-in.{suffix}", f"test.counter-out.{suffix}")
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(n, 4, 1) for n in names])
    yield names
    await admin.delete_topics(list(names))
    await admin.close()


async def read_counts(consumer, wanted: dict[bytes, bytes], timeout: float = 120) -> dict[bytes, bytes]:
    """Latest value per key, until every wanted key's value starts with its wanted bytes
    (outputs land on different partitions, so they arrive in any order)."""
    latest: dict[bytes, bytes] = {}

    async def consume():
        async for message in consumer:
            latest[message.key] = message.value
            if all(latest.get(k, b"").startswith(v) and (v or k in latest) for k, v in wanted.items()):
                return

    try:
        await asyncio.wait_for(consume(), timeout)
    except asyncio.TimeoutError:
        raise AssertionError(f"wanted {wanted}, got {latest} within {timeout} s") from None
    return latest


@pytest.mark.parametrize("guarantee", ["exactly_once"])
async def test_table_survives_a_killed_worker(settings, topics, tmp_path, guarantee):
    source, output = topics
    env = {
        "COUNTER_APP_ID": f"test-counter-{uuid.uuid4().hex[:8]}", "COUNTER_SOURCE": source,
        "COUNTER_OUTPUT": output, "COUNTER_GUARANTEE": guarantee, "COUNTER_DATADIR": str(tmp_path / "data"),
        "KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
    }
    a, b = uuid.uuid4(), uuid.uuid4()
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, enable_idempotence=True)
    consumer = AIOKafkaConsumer(output, bootstrap_servers=settings.kafka_bootstrap,
                                auto_offset_reset="earliest", isolation_level="read_committed")
    await producer.start()
    await consumer.start()
    try:
        worker_args = python_module("tests.integration.faust_counter", "worker", "-l", "info")
        with spawn(worker_args, {**env, "COUNTER_WEB_PORT": str(free_port())}, tmp_path / "w1.log") as first:
            for seq, key in enumerate([a, a, b, a, b], start=1):
                await producer.send_and_wait(source, status_changed(key, seq), key=str(key).encode())
            await producer.send_and_wait(source, b"{not an envelope", key=b"junk")
            wanted = {str(a).encode(): b"3", str(b).encode(): b"2", b"rejected": b"not JSON"}
            latest = await read_counts(consumer, wanted)
            assert latest[str(a).encode()] == b"3" and latest[str(b).encode()] == b"2"
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(10)
        with spawn(worker_args, {**env, "COUNTER_WEB_PORT": str(free_port())}, tmp_path / "w2.log"):
            await producer.send_and_wait(source, status_changed(a, 6), key=str(a).encode())
            await producer.send_and_wait(source, status_changed(b, 7), key=str(b).encode())
            latest = await read_counts(consumer, {str(a).encode(): b"4", str(b).encode(): b"3"})
            assert latest[str(a).encode()] == b"4"  # 3 before the kill, recovered, plus one
    finally:
        await producer.stop()
        await consumer.stop()
