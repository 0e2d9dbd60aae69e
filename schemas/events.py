"""Every event payload labbook puts on Kafka (see topics.py for where each goes)."""
from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import AwareDatetime, Field

from .envelope import Event
from .states import RequestStatus
from .values import Accreditation, Component, Frozen, SampleCount, ScopeItem, TestKind


# labbook.requests.v1
class RequestSubmitted(Event):
    request_id: UUID
    org_id: str
    method_code: str
    test_kind: TestKind
    component: Component
    samples: SampleCount
    deadline: date
    ship_from_region: str
    preferred_lab_ids: tuple[str, ...] = ()
    excluded_lab_ids: tuple[str, ...] = ()
    submitted_at: AwareDatetime


class RequestCancelled(Event):
    request_id: UUID
    org_id: str
    reason: str | None = None


# labbook.labs.v1 (compacted, latest profile per lab)
class LabProfile(Event):
    lab_id: str
    name: str
    inn: str
    region_code: str
    city: str
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    accreditation: Accreditation
    scope: tuple[ScopeItem, ...]
    updated_at: AwareDatetime


# labbook.capacity.v1 (compacted, latest advert per lab)
class CapacityItem(Frozen):
    method_code: str
    slots: int = Field(ge=0, le=1000)
    available_from: AwareDatetime
    available_to: AwareDatetime


class CapacityAdvertised(Event):
    lab_id: str
    items: tuple[CapacityItem, ...]
    heartbeat_at: AwareDatetime


class _SlotTime(Event):
    """A reservation's time on a lab+method's calendar: asked for, or granted."""
    reservation_id: UUID
    request_id: UUID
    lab_id: str
    method_code: str
    start: AwareDatetime
    end: AwareDatetime


# labbook.reservations.v1 (key lab_id): the request side asks the lab side
class ReserveSlot(_SlotTime):
    # None: exactly [start, end) or nothing. Set: the earliest free [t, t + (end - start))
    # with start <= t and t + (end - start) <= latest_end (the deadline bound).
    latest_end: AwareDatetime | None = None


class ReleaseSlot(Event):
    reservation_id: UUID
    request_id: UUID
    lab_id: str
    reason: str


# labbook.matching.v1 (key request_id): the lab side's answers, and offers found expired
class SlotGranted(_SlotTime):
    pass


class SlotRefused(Event):
    reservation_id: UUID
    request_id: UUID
    lab_id: str
    reason: str


class OfferExpired(Event):
    offer_id: UUID
    request_id: UUID
    lab_id: str


# labbook.matching.v1, sent by a scheduler worker to one of its own partitions: a
# planning round of the requests queued there (scheduler/planning.py).
class MatchWindowClosed(Event):
    partition: int = Field(ge=0)
    # Methods whose supply changed since the last round: their plan is re-solved whole.
    methods: list[str] = Field(default_factory=list, max_length=1000)


class BookedSlot(Frozen):
    """One reservation on a lab+method's calendar: the time it holds a slot."""
    reservation_id: UUID
    start: AwareDatetime
    end: AwareDatetime


# labbook.lab-state.v1, sent by the lab side to every partition so
# each request partition holds every lab's profile and capacity (key lab_id).
class SupplyChanged(Event):
    lab_id: str
    profile: LabProfile | None = None
    capacity: CapacityAdvertised | None = None


# labbook.lab-state.v1, sent by the lab side to every partition after a
# grant or release, so matching sees each lab's calendar (its load and free time). The
# agent sends what changed (replace false): the reservations booked or moved, and those
# released. A full list (replace true, what every such message was before) replaces the
# lab+method's bookings; a full list per change made each change cost as much as the
# lab's whole calendar, four times over.
class BookingsChanged(Event):
    lab_id: str
    method_code: str
    bookings: tuple[BookedSlot, ...]
    released: tuple[UUID, ...] = ()
    replace: bool = True


# labbook.offers.v1
class OfferMade(Event):
    offer_id: UUID
    request_id: UUID
    lab_id: str
    method_code: str
    samples: SampleCount
    deadline: date
    planned_start: AwareDatetime
    planned_end: AwareDatetime
    expires_at: AwareDatetime


class OfferWithdrawn(Event):
    offer_id: UUID
    request_id: UUID
    lab_id: str
    reason: str


# A request cancelled after its lab accepted: the job is off (keyed by lab_id, after
# the offer it follows).
class JobCancelled(Event):
    request_id: UUID
    lab_id: str
    reason: str = Field(min_length=1)


# labbook.lab-responses.v1
class OfferAccepted(Event):
    offer_id: UUID
    request_id: UUID
    lab_id: str
    planned_start: AwareDatetime | None = None


class OfferDeclined(Event):
    offer_id: UUID
    request_id: UUID
    lab_id: str
    reason: str = Field(min_length=1)


class _JobProgress(Event):
    request_id: UUID
    lab_id: str
    at: AwareDatetime


class SamplesReceived(_JobProgress):
    pass


class TestingStarted(_JobProgress):
    __test__ = False


class TestingCompleted(_JobProgress):
    __test__ = False


class ReportIssued(_JobProgress):
    report_url: str = Field(min_length=1, max_length=2000)
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")


# labbook.status.v1: the one timeline of a request
class StatusChanged(Event):
    request_id: UUID
    org_id: str
    seq: int = Field(ge=1)  # per request, so read models can drop replays and stale events
    status: RequestStatus
    previous: RequestStatus | None
    at: AwareDatetime
    reason: str | None = None
    lab_id: str | None = None
    planned_start: datetime | None = None
    planned_end: datetime | None = None


# labbook.status.v1 too: the provisional placement of a request still MATCHING (the
# scheduler's plan, which may change until the offer goes out); no lab means none fits.
# Not a status change: its seq is that of the status it belongs to, and nobody is notified.
class RequestPlanned(Event):
    request_id: UUID
    org_id: str
    seq: int = Field(ge=1)
    at: AwareDatetime
    lab_id: str | None = None
    planned_start: AwareDatetime | None = None
    planned_end: AwareDatetime | None = None


# labbook.dlq.v1
class DeadLetter(Event):
    reason: str
    consumer: str
    topic: str
    partition: int
    offset: int
    key_b64: str | None
    original_b64: str  # its first MAX_ORIGINAL_BYTES (services/common/deadletter.py)
    original_size: int | None = None  # the whole message's bytes, when original_b64 holds only its start



# labbook.revocations.v1 (compacted, keyed by jti): every API replica refuses these tokens
class TokenRevoked(Event):
    jti: str = Field(min_length=1, max_length=100, pattern=r"^\S+$")
    revoked_at: AwareDatetime
    expires_at: AwareDatetime | None = None  # the token's exp; None when revoked by jti alone
    reason: str | None = Field(default=None, max_length=500)
