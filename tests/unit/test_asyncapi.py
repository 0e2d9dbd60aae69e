"""The AsyncAPI 3.0 document (schemas/asyncapi.py) against the registry, the models and
the AsyncAPI 3.0.0 schema; a sample of every event, in its envelope, fits its message."""
from __future__ import annotations

import inspect
import json

import jsonschema_rs
import pytest

from schemas import events
from schemas.asyncapi import build
from schemas.envelope import Envelope, Event
from schemas.topics import ALL
from tests.support.asyncapi import payload_errors, structure_errors
from tests.support.event_samples import samples
from tests.support.openapi import refs, resolve

# Written out by hand from DESIGN.md's table and from reading who sends and subscribes
# in services/ (not from the registry the document is built from).
CHANNELS = {
    "labbook.requests.v1": ({"RequestSubmitted", "RequestCancelled"}, ["delete"]),
    "labbook.labs.v1": ({"LabProfile"}, ["compact"]),
    "labbook.capacity.v1": ({"CapacityAdvertised"}, ["compact"]),
    "labbook.reservations.v1": ({"ReserveSlot", "ReleaseSlot"}, ["delete"]),
    "labbook.matching.v1": ({"SlotGranted", "SlotRefused", "OfferExpired", "MatchWindowClosed"}, ["delete"]),
    "labbook.lab-state.v1": ({"SupplyChanged", "BookingsChanged"}, ["delete"]),
    "labbook.offers.v1": ({"OfferMade", "OfferWithdrawn", "JobCancelled"}, ["delete"]),
    "labbook.lab-responses.v1": ({"OfferAccepted", "OfferDeclined", "SamplesReceived",
                                  "TestingStarted", "TestingCompleted", "ReportIssued"}, ["delete"]),
    "labbook.status.v1": ({"StatusChanged", "RequestPlanned"}, ["delete"]),
    "labbook.dlq.v1": ({"DeadLetter"}, ["delete"]),
    "labbook.revocations.v1": ({"TokenRevoked"}, ["compact"]),
}
SENDS = {
    "labbook.requests.v1": ({"booking API"}, {"scheduler", "notifier"}),
    "labbook.labs.v1": ({"labs API"}, {"scheduler", "notifier", "booking API"}),
    "labbook.capacity.v1": ({"labs API"}, {"scheduler", "booking API"}),
    "labbook.reservations.v1": ({"scheduler"}, {"scheduler"}),
    "labbook.matching.v1": ({"scheduler"}, {"scheduler"}),
    "labbook.lab-state.v1": ({"scheduler"}, {"scheduler"}),
    "labbook.offers.v1": ({"scheduler"}, {"labs API", "notifier"}),
    "labbook.lab-responses.v1": ({"labs API"}, {"scheduler"}),
    "labbook.status.v1": ({"booking API", "scheduler"}, {"booking API", "notifier"}),
    "labbook.dlq.v1": ({"booking API", "labs API", "scheduler", "notifier"}, set()),
    "labbook.revocations.v1": ({"labbook CLI"}, {"booking API", "labs API", "notifier"}),
}


@pytest.fixture(scope="module")
def doc() -> dict:
    return json.loads(json.dumps(build()))  # as served: plain JSON


def test_the_document_is_valid_asyncapi_3(doc):
    assert doc["asyncapi"] == "3.0.0" and doc["info"]["title"] and doc["info"]["version"]
    assert set(doc) >= {"channels", "operations", "components"}
    assert structure_errors(doc) == []
    broken = json.loads(json.dumps(doc))
    broken["channels"]["labbook.labs.v1"]["bindings"]["kafka"]["topicConfiguration"]["cleanup.policy"] = ["gone"]
    del broken["info"]["version"]
    assert len(structure_errors(broken)) == 2  # the check is not vacuous


def test_every_schema_is_valid_json_schema_2020_12(doc):
    for schema in doc["components"]["schemas"].values():
        jsonschema_rs.meta.validate(schema)


def test_every_topic_is_a_channel_with_its_kafka_binding(doc):
    assert set(doc["channels"]) == set(CHANNELS) == {t.name for t in ALL}
    for name, (messages, policy) in CHANNELS.items():
        channel = doc["channels"][name]
        assert channel["address"] == name and set(channel["messages"]) == messages
        kafka = channel["bindings"]["kafka"]
        assert kafka["topic"] == name and kafka["partitions"] == 4
        assert kafka["topicConfiguration"]["cleanup.policy"] == policy
    assert "Key: request_id" in doc["channels"]["labbook.status.v1"]["description"]


def test_every_event_class_carried_on_a_topic_is_a_message(doc):
    defined = {name for name, cls in vars(events).items()
               if inspect.isclass(cls) and issubclass(cls, Event) and cls.__module__ == events.__name__
               and not name.startswith("_")}
    assert defined == set().union(*(m for m, _ in CHANNELS.values()))  # every one is carried
    assert set(doc["components"]["messages"]) == defined
    for channel in doc["channels"].values():
        for name, ref in channel["messages"].items():
            assert ref == {"$ref": f"#/components/messages/{name}"}


def test_every_ref_resolves_and_schemas_live_in_components(doc):
    found = set(refs(doc))
    assert "#/components/schemas/RequestSubmittedEnvelope" in found and "#/channels/labbook.offers.v1" in found
    for ref in found:
        assert resolve(doc, ref) is not None
        assert ref.split("/")[1] in {"components", "channels"}, ref
    assert "$defs" not in json.dumps(doc)


def test_each_message_is_the_envelope_with_its_event_as_payload(doc):
    schemas = doc["components"]["schemas"]
    message = doc["components"]["messages"]["OfferMade"]
    envelope = resolve(doc, message["payload"]["$ref"])
    assert set(envelope["required"]) == {"event_id", "type", "version", "occurred_at", "producer", "payload"}
    assert envelope["properties"]["type"]["const"] == "OfferMade"
    assert envelope["properties"]["payload"] == {"$ref": "#/components/schemas/OfferMade"}
    assert "expires_at" in schemas["OfferMade"]["required"]
    assert message["contentType"] == "application/json" and resolve(doc, message["headers"]["$ref"])
    assert message["correlationId"]["location"] == "$message.payload#/correlation_id"


def test_message_keys_are_described(doc):
    def key(name: str) -> str:
        return doc["components"]["messages"][name]["bindings"]["kafka"]["key"]["description"]

    assert "lab_id" in key("ReserveSlot") and "request_id" in key("SlotGranted")
    assert "request_id" in key("StatusChanged") and "lab_id" in key("OfferMade")
    assert "window-" in key("MatchWindowClosed")


def test_operations_say_who_sends_and_who_receives(doc):
    seen: dict[str, tuple[set, set]] = {name: (set(), set()) for name in CHANNELS}
    for op_id, op in doc["operations"].items():
        topic = resolve(doc, op["channel"]["$ref"])["address"]
        process = op["tags"][0]["name"]
        seen[topic][0 if op["action"] == "send" else 1].add(process)
        assert op_id == f"{process.lower().replace(' ', '-')}.{op['action']}.{topic}"
        assert all(ref["$ref"].startswith(f"#/channels/{topic}/messages/") for ref in op["messages"])
    assert seen == SENDS


def test_a_sample_of_every_event_fits_its_message(doc):
    made = samples()
    assert set(made) == set(doc["components"]["messages"])
    for name, event in made.items():
        request_id = getattr(event, "request_id", None)
        value = Envelope.wrap(event, producer="test", correlation_id=request_id and str(request_id))
        assert payload_errors(doc, name, value.to_bytes()) == [], name


def test_a_wrong_record_does_not_fit(doc):
    made = samples()
    cancelled = Envelope.wrap(made["RequestCancelled"], producer="test").to_bytes()
    assert payload_errors(doc, "RequestSubmitted", cancelled)  # another type's envelope
    value = json.loads(Envelope.wrap(made["OfferMade"], producer="test").to_bytes())
    value["payload"]["offer_id"] = "not-a-uuid"
    assert payload_errors(doc, "OfferMade", json.dumps(value).encode())
    del value["event_id"]
    assert len(payload_errors(doc, "OfferMade", json.dumps(value).encode())) == 2
