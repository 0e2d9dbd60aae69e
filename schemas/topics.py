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
             producers=(LABS_API,), consumers=(SCHEDULER, NOTIFIER, BOOKING_API))
CAPACITY = Topic("labbook.capacity.v1", "lab_id", ("CapacityAdvertised",), compacted=True,
                 producers=(LABS_API,), consumers=(SCHEDULER, BOOKING_API))
# The scheduler's messages to itself, never read by other services, on three topics by
# key and purpose, so that each agent reads exactly what it handles:
# - lab-keyed asks of the lab side, the single writer of each lab's bookings;
RESERVATIONS = Topic("labbook.reservations.v1", "lab_id", ("ReserveSlot", "ReleaseSlot"),
                     producers=(SCHEDULER,), consumers=(SCHEDULER,))
# - request-keyed steps of the request side: the lab side's answers, expiry, the window;
MATCHING = Topic(
    "labbook.matching.v1", "request_id", ("SlotGranted", "SlotRefused", "OfferExpired", "MatchWindowClosed"),
    producers=(SCHEDULER,), consumers=(SCHEDULER,),
    event_keys={"MatchWindowClosed": "window-{partition} (sent to that partition)"},
)
# - what every request partition must know of every lab: a copy to each partition.
LAB_STATE = Topic(
    "labbook.lab-state.v1", "lab_id (a copy to every partition)", ("SupplyChanged", "BookingsChanged"),
    producers=(SCHEDULER,), consumers=(SCHEDULER,),
)
OFFERS = Topic("labbook.offers.v1", "lab_id", ("OfferMade", "OfferWithdrawn", "JobCancelled"),
               producers=(SCHEDULER,), consumers=(LABS_API, NOTIFIER))
# A job is SCHEDULED by the scheduler itself once its offer is accepted, so no lab sends
# that step (JobScheduled was listed here and sent by nobody).
LAB_RESPONSES = Topic(
    "labbook.lab-responses.v1", "request_id",
    ("OfferAccepted", "OfferDeclined", "SamplesReceived", "TestingStarted", "TestingCompleted", "ReportIssued"),
    producers=(LABS_API,), consumers=(SCHEDULER,),
)
# The booking API writes a request's first and its cancelled status, the scheduler the rest.
# RequestPlanned: the scheduler's provisional placement while a request is MATCHING.
STATUS = Topic("labbook.status.v1", "request_id", ("StatusChanged", "RequestPlanned"),
               producers=(BOOKING_API, SCHEDULER), consumers=(BOOKING_API, NOTIFIER))
# Every consumer dead-letters what it cannot apply; no service reads the topic back.
DLQ = Topic("labbook.dlq.v1", "original key", ("DeadLetter",),
            producers=(BOOKING_API, LABS_API, SCHEDULER, NOTIFIER))
# Read whole, from the start, by every API replica (services/common/revocations.py).
REVOCATIONS = Topic("labbook.revocations.v1", "jti", ("TokenRevoked",), compacted=True,
                    producers=(CLI,), consumers=(BOOKING_API, LABS_API, NOTIFIER))

ALL: tuple[Topic, ...] = (REQUESTS, LABS, CAPACITY, RESERVATIONS, MATCHING, LAB_STATE, OFFERS, LAB_RESPONSES, STATUS, DLQ, REVOCATIONS)
BY_NAME: dict[str, Topic] = {t.name: t for t in ALL}


def carried_by(*topics: Topic) -> frozenset[str]:
    """The event types the topics carry: what a reader of them must handle."""
    return frozenset(kind for topic in topics for kind in topic.events)


def topic_for_event(event_type: str) -> Topic:
    """The topic an event type is published on (each type has exactly one)."""
    for topic in ALL:
        if event_type in topic.events:
            return topic
    raise KeyError(f"no topic carries event type {event_type!r}")
