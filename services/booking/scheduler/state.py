"""What the scheduler's tables hold: a request's state (what it asked for, where it
stands, what it holds) and a lab's record (its supply and bookings).

Frozen models: a handler returns a new one and never changes the one in the table, so
a handler that fails half-way leaves the stored value as it was. The tables keep them
as JSON through the `scheduler-state` and `scheduler-lab` codecs; a value written as a
plain dict by an earlier version (the same keys, some missing) loads as one of these.
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any, NamedTuple
from uuid import UUID

from faust.serializers import codecs
from pydantic import AwareDatetime, BaseModel, ConfigDict

from schemas import events as ev
from schemas.states import RequestStatus

CODEC_NAME = "scheduler-state"
LAB_CODEC_NAME = "scheduler-lab"


class Frozen(BaseModel):
    # "ignore": a key an earlier version wrote and this one dropped must not stop a load.
    model_config = ConfigDict(frozen=True, extra="ignore")

    def but(self, **changes: Any):
        """A copy with these fields changed (the values are already of the right type)."""
        return self.model_copy(update=changes)


class Hold(Frozen):
    """A reservation asked for and not yet answered (`pending`), or the one that would
    move an accepted job to the lab's proposed start (`move`)."""
    reservation_id: UUID
    lab_id: str


class Slot(Frozen):
    """The reservation the request holds at a lab."""
    reservation_id: UUID
    lab_id: str
    method_code: str | None = None  # not kept when a booking moved to the lab's proposed start
    start: AwareDatetime
    end: AwareDatetime


class Offer(Frozen):
    """The offer open at a lab, waiting for its answer."""
    offer_id: UUID
    lab_id: str
    expires_at: AwareDatetime


class Placement(Frozen):
    """The request's provisional placement in the plan (planning.py): no lab has seen it."""
    lab_id: str
    start: AwareDatetime
    end: AwareDatetime
    completion: AwareDatetime
    score: float


class RequestState(Frozen):
    request: ev.RequestSubmitted | None  # None: a cancel that overtook its submission
    partition: int  # the requests.v1 partition it was read from (the watch's index)
    status: RequestStatus
    seq: int  # of the last status sent
    declined: tuple[str, ...] = ()  # labs that declined, let an offer expire or were suspended
    tried: tuple[str, ...] = ()  # labs that refused a slot in this round of matching
    pending: Hold | None = None
    move: Hold | None = None
    offer: Offer | None = None
    slot: Slot | None = None
    cancelled: bool = False
    queued: bool = False  # in its partition's plan: placed at the next round, offered when due
    plan: Placement | None = None  # where the last round placed it (while queued)
    left_out: str | None = None  # why the last round placed it nowhere (while queued: it waits for room)
    asked: int = 0  # reservations asked for so far: the next one's derived id
    declined_offers: tuple[UUID, ...] = ()  # declined before this state made them (see flow.declined)
    accepted_early: tuple[ev.OfferAccepted, ...] = ()  # accepted before this state made them (flow.accepted)

    @property
    def request_id(self) -> UUID | None:
        return self.request.request_id if self.request else None


class Booked(NamedTuple):
    """One reservation a lab holds for a method (kept as [id, start, end] in JSON)."""
    reservation_id: str
    start: AwareDatetime
    end: AwareDatetime


class LabRecord(Frozen):
    """A lab as the scheduler knows it: its profile and capacity (as the labs API last
    published them), and, on the lab side, its bookings per method and the reservation
    ids it released (so a redelivered ask for one is not booked again)."""
    profile: ev.LabProfile | None = None
    capacity: ev.CapacityAdvertised | None = None
    booked: dict[str, tuple[Booked, ...]] = {}
    released: tuple[str, ...] = ()


class _Stored:
    """A table's value_type: Faust tables take no value_serializer, but read one from
    their value type (`_options.serializer`), and pass each decoded value through
    `from_data`: here, the model the codec made, as it is."""

    @staticmethod
    def from_data(data: Frozen, preferred_type: Any = None) -> Frozen:
        return data


class StoredState(_Stored):
    _options = SimpleNamespace(serializer=CODEC_NAME)


class StoredLabRecord(_Stored):
    _options = SimpleNamespace(serializer=LAB_CODEC_NAME)


class ModelCodec(codecs.Codec):
    """One model as JSON; a bad record stops recovery loudly."""

    def __init__(self, model: type[Frozen], **kwargs: Any) -> None:
        super().__init__(model=model, **kwargs)  # in kwargs, so Codec.clone() passes it on
        self.model = model

    def _dumps(self, obj: Any) -> bytes:
        if isinstance(obj, self.model):
            return obj.model_dump_json().encode()
        raise TypeError(f"this codec encodes {self.model.__name__}, not {type(obj).__name__}")

    def _loads(self, s: bytes) -> Frozen:
        return self.model.model_validate_json(s)


def register() -> None:
    codecs.register(CODEC_NAME, ModelCodec(RequestState))
    codecs.register(LAB_CODEC_NAME, ModelCodec(LabRecord))
