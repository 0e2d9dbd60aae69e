"""A private Kafka broker a test may stop and start (deploy/local/kafka.sh with
its own LABBOOK_HOME and port), and readers for what reached it."""
from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from schemas.envelope import Envelope, Event, MessageRejected, decode
from schemas.topics import Topic
from services.common.kafka import assign_from_start, ensure_topics

from .apps import serving
from .processes import ROOT, free_port
from .waits import until  # its home was here: importers of tests.support.brokers.until still find it


def free_port_pair() -> int:
    """A port whose successor (the controller's) is free too."""
    for _ in range(50):
        port = free_port()
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 1))
                return port
            except OSError:
                continue
    raise RuntimeError("no two adjacent free ports")


def private_broker_env(home: Path) -> dict[str, str]:
    return {**os.environ, "LABBOOK_HOME": str(home), "LABBOOK_KAFKA_PORT": str(free_port_pair()),
            "LABBOOK_KAFKA_HEAP": "384m"}


def kafka(action: str, env: dict[str, str]) -> str:
    """Run deploy/local/kafka.sh ACTION for that broker; its output."""
    result = subprocess.run(["bash", str(ROOT / "deploy/local/kafka.sh"), action], env=env,
                            capture_output=True, text=True, timeout=180)
    assert result.returncode in (0, 3), result.stdout + result.stderr
    return result.stdout


@asynccontextmanager
async def serve_on_private_broker(broker: dict[str, str], database_url: str, monkeypatch, secret: str,
                                  create: Callable[[], web.Application], **env: str
                                  ) -> AsyncIterator[tuple[str, TestClient]]:
    """Start the private broker (topics made), point a service's settings at it and the
    database, and serve the app `create` builds then, for the block: the bootstrap and the client."""
    bootstrap = f"127.0.0.1:{broker['LABBOOK_KAFKA_PORT']}"
    assert "listening" in kafka("up", broker)
    await ensure_topics(bootstrap)
    for name, value in {"DATABASE_URL": database_url, "KAFKA_BOOTSTRAP": bootstrap, "LABBOOK_TOKEN_SECRET": secret,
                        "LABBOOK_HOME": broker["LABBOOK_HOME"], **env}.items():
        monkeypatch.setenv(name, value)
    async with serving(create()) as client:  # built here: the app starts only while Kafka is up
        yield bootstrap, client


async def read_topic(bootstrap: str, topic: Topic, keep: Callable[[Event], bool]) -> list[Event]:
    """Every event on the topic, up to its current end, for which keep() holds."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        await assign_from_start(consumer, topic)
        return [event for _, event in await read_to_end(consumer) if keep(event)]
    finally:
        await consumer.stop()


async def read_to_end(consumer: AIOKafkaConsumer) -> list[tuple[Envelope, Event]]:
    """Every message from the consumer's positions up to its partitions' ends as they are
    now, decoded (what does not decode, e.g. another test's poison, left out): all that
    was acked before the call, and no waiting for what may come."""
    parts = list(consumer.assignment())
    ends = await consumer.end_offsets(parts)
    found = []
    while [tp for tp in parts if await consumer.position(tp) < ends[tp]]:
        for messages in (await consumer.getmany(timeout_ms=500)).values():
            for m in messages:
                try:
                    found.append(decode(m.value))
                except MessageRejected:
                    continue
    return found


async def assign_from_end(consumer: AIOKafkaConsumer, *topics: Topic) -> None:
    """Give the consumer every partition of the topics at their current ends, resolved now,
    so it reads exactly what is sent after this returns."""
    parts = [TopicPartition(t.name, p) for t in topics for p in range(t.partitions)]
    consumer.assign(parts)
    await consumer.seek_to_end(*parts)
    for tp in parts:
        await consumer.position(tp)


async def until_group_stable(bootstrap: str, group: str, members: int, timeout: float) -> None:
    """Wait until the consumer group has `members` members and has finished rebalancing:
    a process that joined later moves partitions, and events sent before that settles
    could be read from "latest" past them."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        async def stable() -> bool:
            (response,) = await admin.describe_consumer_groups([group])
            _error, _id, state, _type, _protocol, found = response.groups[0][:6]
            return state == "Stable" and len(found) == members
        await until(stable, timeout, f"consumer group {group} to settle with {members} members")
    finally:
        await admin.close()


async def end_offsets(bootstrap: str, *topics: Topic) -> dict[TopicPartition, int]:
    """The topics' current end offsets, every partition."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        return await consumer.end_offsets([TopicPartition(t.name, p) for t in topics for p in range(t.partitions)])
    finally:
        await consumer.stop()


async def until_committed(bootstrap: str, group: str, offsets: dict[TopicPartition, int], timeout: float) -> None:
    """Wait until the consumer group has committed at least these offsets (the next
    offset to read, per partition): what it took before them a successor never reads again."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        async def committed() -> bool:
            found = await admin.list_consumer_group_offsets(group, partitions=list(offsets))
            return all(tp in found and found[tp].offset >= wanted for tp, wanted in offsets.items())
        await until(committed, timeout, f"group {group} to commit {offsets}")
    finally:
        await admin.close()
