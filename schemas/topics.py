"""The topic registry: every Kafka topic labbook uses, in one place.

Faust does not create source or sink topics, and the broker runs with
`auto.create.topics.enable=false`, so the project creates these itself
(`labbook topics create`). All share one partition count so that a table's
changelog and its source topic never disagree (PartitionsMismatch).

Who writes and who reads each topic is recorded here too (`producers`, `consumers`:
process names as in DESIGN.md), so the AsyncAPI document (asyncapi.py) has one source.
The booking and labs APIs publish through their outbox relay, which runs inside the
API process; the lab agent reaches Kafka only through the labs API.
"""
from __future__ import annotations

from dataclasses import dataclass, field

PARTITIONS = 4

BOOKING_API = "booking API"
LABS_API = "labs API"
SCHEDULER = "scheduler"
NOTIFIER = "notifier"
CLI = "labbook CLI"  # `labbook token revoke`


@dataclass(frozen=True)
class Topic:
    name: str
    key: str
    events: tuple[str, ...]
    compacted: bool = False
    partitions: int = PARTITIONS
    extra_config: dict[str, str] = field(default_factory=dict)
    producers: tuple[str, ...] = ()
    consumers: tuple[str, ...] = ()
    event_keys: dict[str, str] = field(default_factory=dict)  # event type -> its key, where not `key`

    def config(self) -> dict[str, str]:
        policy = "compact" if self.compacted else "delete"
        return {"cleanup.policy": policy, **self.extra_config}


REQUESTS = Topic("labbook.requests.v1", "request_id", ("RequestSubmitted", "RequestCancelled"),
                 producers=(BOOKING_API,), consumers=(SCHEDULER, NOTIFIER))
LABS = Topic("labbook.labs.v1", "lab_id", ("LabProfile",), compacted=True,
             producers=(LABS_API,), consumers=(SCHEDULER, NOTIFIER))
CAPACITY = Topic("labbook.capacity.v1", "lab_id", ("CapacityAdvertised",), compacted=True,
                 producers=(LABS_API,), consumers=(SCHEDULER,))
# SlotGranted / SlotRefused / OfferExpired are keyed by request_id, SupplyChanged and
# BookingsChanged are sent to every partition, MatchWindowClosed to one: the scheduler's messages to itself,
# never read by other services.
RESERVATIONS = Topic(
    "labbook.reservations.v1", "lab_id",
    ("ReserveSlot", "ReleaseSlot", "SlotGranted", "SlotRefused", "OfferExpired", "SupplyChanged",
     "MatchWindowClosed", "BookingsChanged"),
    producers=(SCHEDULER,), consumers=(SCHEDULER,),
    event_keys={"SlotGranted": "request_id", "SlotRefused": "request_id", "OfferExpired": "request_id",
                "SupplyChanged": "lab_id (a copy to every partition)",
                "BookingsChanged": "lab_id (a copy to every partition)",
                "MatchWindowClosed": "window-{partition} (sent to that partition)"},
)
OFFERS = Topic("labbook.offers.v1", "lab_id", ("OfferMade", "OfferWithdrawn", "JobCancelled"),
               producers=(SCHEDULER,), consumers=(LABS_API, NOTIFIER))
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
    producers=(LABS_API,), consumers=(SCHEDULER,),
)
# The booking API writes a request's first and its cancelled status, the scheduler the rest.
STATUS = Topic("labbook.status.v1", "request_id", ("StatusChanged",),
               producers=(BOOKING_API, SCHEDULER), consumers=(BOOKING_API, NOTIFIER))
# Every consumer dead-letters what it cannot apply; no service reads the topic back.
DLQ = Topic("labbook.dlq.v1", "original key", ("DeadLetter",),
            producers=(BOOKING_API, LABS_API, SCHEDULER, NOTIFIER))
# Read whole, from the start, by every API replica (services/common/revocations.py).
REVOCATIONS = Topic("labbook.revocations.v1", "jti", ("TokenRevoked",), compacted=True,
                    producers=(CLI,), consumers=(BOOKING_API, LABS_API, NOTIFIER))

ALL: tuple[Topic, ...] = (REQUESTS, LABS, CAPACITY, RESERVATIONS, OFFERS, LAB_RESPONSES, STATUS, DLQ, REVOCATIONS)
BY_NAME: dict[str, Topic] = {t.name: t for t in ALL}


def topic_for_event(event_type: str) -> Topic:
    """The topic an event type is published on (each type has exactly one)."""
    for topic in ALL:
        if event_type in topic.events:
            return topic
    raise KeyError(f"no topic carries event type {event_type!r}")
