"""The AsyncAPI 3.0 document of labbook's Kafka topics, built from the registry and the models.

One channel per topic in `topics.ALL` (its address is the topic's name), one message
per event type on it. A message's payload is the envelope every record value is
(envelope.py) with that event's schema as its `payload`, as pydantic describes it in
validation mode: what a consumer's `decode()` accepts. Operations say which processes
send and which receive each topic (`Topic.producers` / `Topic.consumers`). Every
schema lives in `components/schemas`, so each schema `$ref` is
`#/components/schemas/NAME`.

Pure: no I/O. Each service serves it at GET /asyncapi.json (services/common/asyncapi.py).
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, create_model
from pydantic.json_schema import models_json_schema

from .envelope import EVENT_TYPES, Envelope, Event
from .topics import ALL, Topic

ASYNCAPI = "3.0.0"
KAFKA_BINDING = "0.5.0"
REF = "#/components/schemas/{model}"
HEADERS = "KafkaHeaders"
DESCRIPTION = (
    "Every Kafka record labbook writes: the value is a JSON envelope (event_id, type, version, "
    "occurred_at in UTC, producer, correlation_id, payload) whose payload is the event named by "
    "`type`. Consumers validate it; what fails goes to labbook.dlq.v1 as a DeadLetter. "
    "The booking and labs APIs publish through their transactional outbox.")
HEADER_SCHEMA = {
    "type": "object",
    "description": "labbook sets and reads no Kafka record headers: the envelope in the value carries "
                   "the event's id, type, version and time.",
}


def build() -> dict:
    """The whole document, from `topics.ALL` and the event models."""
    refs, schemas = _schemas()
    channels, messages, operations = {}, {}, {}
    for topic in ALL:
        channels[topic.name] = _channel(topic)
        messages |= {name: _message(topic, name, refs[name]) for name in topic.events}
        operations |= _operations(topic)
    return {
        "asyncapi": ASYNCAPI,
        "info": {"title": "labbook events", "version": "1", "description": DESCRIPTION},
        "defaultContentType": "application/json",
        "servers": {"local": {"host": "127.0.0.1:9092", "protocol": "kafka",
                              "description": "the local stack's broker (`labbook up`); "
                                             "services elsewhere read KAFKA_BOOTSTRAP"}},
        "channels": channels,
        "operations": operations,
        "components": {"schemas": {**schemas, HEADERS: HEADER_SCHEMA}, "messages": messages},
    }


def envelope_model(event: type[Event]) -> type[BaseModel]:
    """The envelope as it carries this one event: `type` and `version` fixed, `payload` typed."""
    name = event.type_name()
    return create_model(
        f"{name}Envelope", __base__=Envelope, __doc__=f"A {name} event in its envelope.",
        type=(Literal[name], ...), version=(Literal[event.VERSION], ...), payload=(event, ...))


def carried() -> dict[str, type[Event]]:
    """Every event type some topic carries, by name, in registry order."""
    return {name: EVENT_TYPES[name] for topic in ALL for name in topic.events}


def _schemas() -> tuple[dict[str, dict], dict[str, dict]]:
    """({event name: $ref of its envelope}, every schema by name), pydantic's $defs hoisted."""
    models = {name: envelope_model(event) for name, event in carried().items()}
    refs, top = models_json_schema([(m, "validation") for m in models.values()], ref_template=REF)
    return {name: refs[(m, "validation")] for name, m in models.items()}, top.get("$defs", {})


def _channel(topic: Topic) -> dict:
    readers = ", ".join(topic.consumers) or "no service"
    return {
        "address": topic.name,
        "title": topic.name,
        "description": f"Key: {topic.key}. Written by {', '.join(topic.producers)}; read by {readers}."
                       + (" Compacted: the latest record per key is kept." if topic.compacted else ""),
        "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in topic.events},
        "bindings": {"kafka": {
            "topic": topic.name,
            "partitions": topic.partitions,
            "topicConfiguration": {"cleanup.policy": topic.config()["cleanup.policy"].split(",")},
            "bindingVersion": KAFKA_BINDING,
        }},
    }


def _message(topic: Topic, name: str, payload: dict) -> dict:
    key = topic.event_keys.get(name, topic.key)
    return {
        "name": name,
        "title": name,
        "summary": f"{name} on {topic.name}, keyed by {key}",
        "contentType": "application/json",
        "headers": {"$ref": REF.format(model=HEADERS)},
        "payload": payload,
        "correlationId": {"description": "the request id, where there is one",
                          "location": "$message.payload#/correlation_id"},
        "bindings": {"kafka": {"key": {"type": "string", "description": f"the record key: {key}"},
                               "bindingVersion": KAFKA_BINDING}},
    }


def _operations(topic: Topic) -> dict[str, dict]:
    """One operation per (process, action) on the topic: who sends it, who receives it."""
    out = {}
    for action, processes in (("send", topic.producers), ("receive", topic.consumers)):
        for process in processes:
            verb = "sends" if action == "send" else "receives"
            out[f"{process.lower().replace(' ', '-')}.{action}.{topic.name}"] = {
                "action": action,
                "channel": {"$ref": f"#/channels/{topic.name}"},
                "title": f"{process} {verb} {topic.name}",
                "tags": [{"name": process}],
                "messages": [{"$ref": f"#/channels/{topic.name}/messages/{name}"} for name in topic.events],
            }
    return out
