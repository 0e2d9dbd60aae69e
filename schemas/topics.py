"""The topic registry: every Kafka topic labbook uses, in one place.

Faust does not create source or sink topics, and the broker runs with
`auto.create.topics.enable=false`, so the project creates these itself
(`labbook topics create`). All share one partition count so that a table's
changelog and its source topic never disagree (PartitionsMismatch).
"""
from __future__ import annotations

from dataclasses import dataclass, field

PARTITIONS = 4


@dataclass(frozen=True)
class Topic:
    name: str
    key: str
    events: tuple[str, ...]
    compacted: bool = False
    partitions: int = PARTITIONS
    extra_config: dict[str, str] = field(default_factory=dict)

    def config(self) -> dict[str, str]:
        policy = "compact" if self.compacted else "delete"
        return {"cleanup.policy": policy, **self.extra_config}


REQUESTS = Topic("labbook.requests.v1", "request_id", ("RequestSubmitted", "RequestCancelled"))
LABS = Topic("labbook.labs.v1", "lab_id", ("LabProfile",), compacted=True)
CAPACITY = Topic("labbook.capacity.v1", "lab_id", ("CapacityAdvertised",), compacted=True)
# SlotGranted / SlotRefused / OfferExpired are keyed by request_id, SupplyChanged and
# BookingsChanged are sent to every partition, MatchWindowClosed to one: the scheduler's messages to itself,
# never read by other services.
RESERVATIONS = Topic(
    "labbook.reservations.v1", "lab_id",
    ("ReserveSlot", "ReleaseSlot", "SlotGranted", "SlotRefused", "OfferExpired", "SupplyChanged",
     "MatchWindowClosed", "BookingsChanged"),
)
OFFERS = Topic("labbook.offers.v1", "lab_id", ("OfferMade", "OfferWithdrawn", "JobCancelled"))
LAB_RESPONSES = Topic(
    "labbook.lab-responses.v1",
    "request_id",
    (
        "OfferAccepted",
        "OfferDeclined",
        "JobScheduled",
        "SamplesReceived",
        "TestingStarted",
        "TestingCompleted",
        "ReportIssued",
    ),
)
STATUS = Topic("labbook.status.v1", "request_id", ("StatusChanged",))
DLQ = Topic("labbook.dlq.v1", "original key", ("DeadLetter",))
# Read whole, from the start, by every API replica (services/common/revocations.py).
REVOCATIONS = Topic("labbook.revocations.v1", "jti", ("TokenRevoked",), compacted=True)

ALL: tuple[Topic, ...] = (REQUESTS, LABS, CAPACITY, RESERVATIONS, OFFERS, LAB_RESPONSES, STATUS, DLQ, REVOCATIONS)
BY_NAME: dict[str, Topic] = {t.name: t for t in ALL}


def topic_for_event(event_type: str) -> Topic:
    """The topic an event type is published on (each type has exactly one)."""
    for topic in ALL:
        if event_type in topic.events:
            return topic
    raise KeyError(f"no topic carries event type {event_type!r}")
