"""Pure parts of bench/pipeline.py: the benchmark's world (labs with room for every
request), the statistics (percentiles, the steady window's rate), where poison goes,
and the rows a submission writes (for the raw PostgreSQL baseline)."""
from __future__ import annotations

import dataclasses
import math
import uuid
from datetime import date, timedelta

from schemas.booking_api import SubmitRequest
from schemas.envelope import Envelope, utcnow
from schemas.events import RequestSubmitted, StatusChanged
from schemas.states import RequestStatus
from schemas.topics import REQUESTS, STATUS
from services.booking import db
from services.booking.service import PRODUCER, serialise
from services.cli.demo import world as worlds
from services.common import idempotency
from services.common.outbox import outbox_row

SLOTS = 1000  # the labs API's upper bound per window: capacity is never the limit
OPEN_DAYS = 365
DEADLINE_DAYS = 300


# --- statistics ---------------------------------------------------------------------

def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), linear between the closest ranks (numpy's default);
    NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def steady_rate(times: list[float], trim: float = 0.1) -> float:
    """Events per second over the steady part: the completions between the first and
    the last `trim` share are dropped (ramp-up, tail); NaN with fewer than 3 left."""
    ordered = sorted(times)
    first, last = math.floor(len(ordered) * trim), math.ceil(len(ordered) * (1 - trim)) - 1
    if last - first < 2 or ordered[last] <= ordered[first]:
        return math.nan
    return (last - first) / (ordered[last] - ordered[first])


def poison_points(requests: int, share: float) -> list[int]:
    """The request indexes after which one poison record goes to every consumed topic:
    `share` of the requests, spread evenly, none before the first or at the very end."""
    if share <= 0:
        return []
    count = max(1, round(requests * share))
    return [min(requests - 1, round((i + 0.5) * requests / count)) for i in range(count)]


# --- the world ------------------------------------------------------------------------

def bench_world(requests: int, seed: int = 7, today: date | None = None) -> worlds.World:
    """The demo's 40 labs, each accredited for three years with SLOTS slots per method
    for OPEN_DAYS, and `requests` of the demo's requests for methods some lab holds,
    due in DEADLINE_DAYS, each with a key of its own."""
    today = today or date.today()
    base = worlds.build(seed, today)
    labs = tuple(_roomy(lab, today) for lab in base.labs)
    held = {m for lab in labs for m, _, _ in lab.scope}
    fitting = {(m, n) for lab in labs for m, n, _ in lab.scope}
    pool = [r for r in base.requests if r.body["method_code"] in held
            and any(m == r.body["method_code"] and n >= r.body["samples"] for m, n in fitting)]
    due = (today + timedelta(days=DEADLINE_DAYS)).isoformat()
    chosen = []
    for i in range(requests):
        r = pool[i % len(pool)]
        body = {**r.body, "deadline": due, "component": {**r.body["component"], "part_number": f"P-{i:06d}"}}
        chosen.append(dataclasses.replace(r, key=str(uuid.uuid4()), body=body))
    return worlds.World(labs, base.suppliers, tuple(chosen))


def _roomy(lab: worlds.Lab, today: date) -> worlds.Lab:
    windows = tuple(worlds.Window(m, SLOTS, today + timedelta(days=1), today + timedelta(days=OPEN_DAYS))
                    for m, _, _ in lab.scope)
    return dataclasses.replace(lab, capacity=windows, agent="offline", valid_until=today + timedelta(days=1095))


# --- what a submission writes ----------------------------------------------------------

def submission(org: str, body: dict, key: str) -> tuple:
    """insert_submission's arguments for this request, built as services/booking/service.py
    builds them: (row, first status, outbox rows, kept answer)."""
    parsed = SubmitRequest.model_validate(body)
    request_id, now = uuid.uuid4(), utcnow()
    row = db.new_request(request_id, org, parsed, RequestStatus.SUBMITTED.value, now)
    first = StatusChanged(request_id=request_id, org_id=org, seq=1, status=RequestStatus.SUBMITTED,
                          previous=None, at=now)
    events = [outbox_row(submitted_envelope(org, parsed, request_id, now), REQUESTS, str(request_id)),
              outbox_row(Envelope.wrap(first, producer=PRODUCER, correlation_id=str(request_id)), STATUS,
                         str(request_id))]
    answer = serialise(row, [{"seq": 1, "status": row["status"], "at": now, "reason": None, "lab_id": None}])
    raw = str(body).encode()
    return row, first, events, (key, idempotency.body_hash(raw), 201, answer)


def submitted_envelope(org: str, body: SubmitRequest, request_id: uuid.UUID, now=None) -> Envelope:
    now = now or utcnow()
    event = RequestSubmitted(request_id=request_id, org_id=org, submitted_at=now, **body.model_dump(exclude={"notes"}))
    return Envelope.wrap(event, producer=PRODUCER, correlation_id=str(request_id))


def envelope_size(world: worlds.World) -> int:
    """Bytes of a typical RequestSubmitted envelope of this world (the median one)."""
    sizes = sorted(len(submitted_envelope(r.org, SubmitRequest.model_validate(r.body), uuid.uuid4()).to_bytes())
                   for r in world.requests[:200])
    return sizes[len(sizes) // 2]
