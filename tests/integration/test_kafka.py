"""aiokafka on the real broker: the registry's topics, and an idempotent round trip."""
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from schemas.topics import ALL
from services.common.kafka import ensure_topics


async def _topic_configs(admin, name: str) -> dict[str, str]:
    [response] = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name)])
    [resource] = response.resources
    return {entry[0]: entry[1] for entry in resource[4]}


async def test_registry_topics_exist_with_their_configs(servers, settings):
    assert await ensure_topics(settings.kafka_bootstrap) == []  # second call creates nothing
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        described = {t["topic"]: t for t in await admin.describe_topics([t.name for t in ALL])}
        for topic in ALL:
            assert len(described[topic.name]["partitions"]) == topic.partitions
            configs = await _topic_configs(admin, topic.name)
            assert configs["cleanup.policy"] == topic.config()["cleanup.policy"], topic.name
    finally:
        await admin.close()


async def test_idempotent_producer_to_consumer_group_round_trip(servers, settings):
    name = f"test.roundtrip.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(name, 4, 1)])
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, enable_idempotence=True, acks="all")
    consumer = AIOKafkaConsumer(name, bootstrap_servers=settings.kafka_bootstrap, group_id=f"g-{name}",
                                auto_offset_reset="earliest", enable_auto_commit=False)
    try:
        await producer.start()
        sent = {f"k{i}".encode(): f"v{i}".encode() for i in range(50)}
        for key, value in sent.items():
            await producer.send(name, value, key=key)
        await producer.flush()
        await consumer.start()
        received = {}
        async for message in consumer:
            received[message.key] = message.value
            if len(received) == len(sent):
                break
        await consumer.commit()
        assert received == sent
        committed = [await consumer.committed(tp) for tp in consumer.assignment()]
        assert sum(committed) == len(sent)
    finally:
        await producer.stop()
        await consumer.stop()
        await admin.delete_topics([name])
        await admin.close()
