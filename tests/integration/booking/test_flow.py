"""The live queue's flow (GET /v1/insight/flow, services/booking/staff.flow) on real
PostgreSQL: requests seeded at hand-chosen moments before a fixed NOW, their statuses
applied through the read model as the scheduler's StatusChanged events would be, and
every figure checked against values worked out by hand below."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from uuid import uuid4

import pytest

from schemas.events import StatusChanged
from services.booking import db, read_model, staff
from services.booking.read_model import Outcome

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)  # a Friday noon; the window of 7 days starts 11-14
SALT, DAMP = "ISO9227-NSS-96", "ISO6270-2-CH-240"
PATH = ["MATCHING", "OFFERED", "ACCEPTED", "SCHEDULED", "SAMPLES_RECEIVED", "IN_TESTING", "COMPLETED",
        "REPORT_ISSUED"]


def h(hours: float) -> datetime:
    return NOW - timedelta(hours=hours)


async def seed(pool, name: str, method: str, submitted_h: float, *steps: tuple) -> None:
    """A request submitted `submitted_h` hours before NOW, then each step (status, hours
    before NOW[, lab]) applied as a StatusChanged through the read model."""
    request_id, org = uuid4(), f"org-{name}"
    await pool.execute(
        "INSERT INTO booking.requests (id, org_id, method_code, test_kind, component, samples, deadline,"
        " ship_from_region, status, status_seq, created_at, updated_at)"
        " VALUES ($1, $2, $3, 'validation', $4::jsonb, 5, '2027-06-01', 'RU-SAM', 'SUBMITTED', 1, $5, $5)",
        request_id, org, method, json.dumps({"name": name, "part_number": name, "category": "body"}),
        h(submitted_h))
    async with pool.acquire() as conn:
        await db.insert_history(conn, StatusChanged(request_id=request_id, org_id=org, seq=1, status="SUBMITTED",
                                                    previous=None, at=h(submitted_h)))
    previous = "SUBMITTED"
    for seq, (status, at_h, *lab) in enumerate(steps, start=2):
        event = StatusChanged(request_id=request_id, org_id=org, seq=seq, status=status, previous=previous,
                              at=h(at_h), lab_id=lab[0] if lab else None)
        assert await read_model.apply(pool, event) is Outcome.APPLIED, (name, status)
        previous = status


def accepted_path(offered_h: float, accepted_h: float, lab: str) -> list[tuple]:
    """The steps after MATCHING of a job a lab took: OFFERED to `lab`, ACCEPTED, SCHEDULED an hour later."""
    return [("OFFERED", offered_h, lab), ("ACCEPTED", accepted_h), ("SCHEDULED", accepted_h - 1)]


@pytest.fixture
async def queue(booking):
    """Sixteen requests (hours before NOW; 156 h before NOW is 11-14 00:00, the 7-day window's start).

    name method submitted  history after SUBMITTED                               now
    A    SALT     2                                                            SUBMITTED
    B    SALT    20        MATCHING 19.5                                        MATCHING
    C    DAMP    30        MATCHING 29, UNMATCHED 28                            UNMATCHED
    K    DAMP    72        (exactly 3 days: the 3-7d bucket)                    SUBMITTED
    D    SALT    80        MATCHING 79, OFFERED 76 lab-x                        OFFERED
    E    SALT   200        MATCHING 199, OFFERED 190 lab-y, MATCHING 100 (declined), OFFERED 30 lab-x
    F    DAMP   400        MATCHING 399                                         MATCHING
    G    SALT   800        MATCHING 799, UNMATCHED 798                          UNMATCHED
    L    DAMP     6        MATCHING 5.5, OFFERED 5 lab-z                        OFFERED
    H    SALT    50        MATCHING 49, OFFERED 48 lab-x, ACCEPTED 40, SCHEDULED 39
    I    SALT    10        CANCELLED 9
    J    SALT   150        MATCHING 149, OFFERED 144 lab-y, ACCEPTED 140, ... REPORT_ISSUED 26
    N    SALT   100        MATCHING 99, OFFERED 98 lab-y, MATCHING 90, OFFERED 80 lab-x, ACCEPTED 70,
                           SCHEDULED 69, CANCELLED 20
    P    DAMP   170        MATCHING 169, OFFERED 160 lab-z, ACCEPTED 150, SCHEDULED 149
    Q    SALT   180        CANCELLED 170
    R    DAMP   156        (exactly the window's start) CANCELLED 155
    """
    pool = booking.pool
    await seed(pool, "A", SALT, 2)
    await seed(pool, "B", SALT, 20, ("MATCHING", 19.5))
    await seed(pool, "C", DAMP, 30, ("MATCHING", 29), ("UNMATCHED", 28))
    await seed(pool, "K", DAMP, 72)
    await seed(pool, "D", SALT, 80, ("MATCHING", 79), ("OFFERED", 76, "lab-x"))
    await seed(pool, "E", SALT, 200, ("MATCHING", 199), ("OFFERED", 190, "lab-y"), ("MATCHING", 100),
               ("OFFERED", 30, "lab-x"))
    await seed(pool, "F", DAMP, 400, ("MATCHING", 399))
    await seed(pool, "G", SALT, 800, ("MATCHING", 799), ("UNMATCHED", 798))
    await seed(pool, "L", DAMP, 6, ("MATCHING", 5.5), ("OFFERED", 5, "lab-z"))
    await seed(pool, "H", SALT, 50, ("MATCHING", 49), *accepted_path(48, 40, "lab-x"))
    await seed(pool, "I", SALT, 10, ("CANCELLED", 9))
    await seed(pool, "J", SALT, 150, ("MATCHING", 149), *accepted_path(144, 140, "lab-y"),
               ("SAMPLES_RECEIVED", 120), ("IN_TESTING", 100), ("COMPLETED", 30), ("REPORT_ISSUED", 26))
    await seed(pool, "N", SALT, 100, ("MATCHING", 99), ("OFFERED", 98, "lab-y"), ("MATCHING", 90),
               *accepted_path(80, 70, "lab-x"), ("CANCELLED", 20))
    await seed(pool, "P", DAMP, 170, ("MATCHING", 169), *accepted_path(160, 150, "lab-z"))
    await seed(pool, "Q", SALT, 180, ("CANCELLED", 170))
    await seed(pool, "R", DAMP, 156, ("CANCELLED", 155))
    return pool


def zeroes(**counts) -> dict:
    return {"SUBMITTED": 0, "MATCHING": 0, "UNMATCHED": 0, "OFFERED": 0, **counts}


async def test_the_backlog_by_age_counts_each_open_request_no_lab_committed_to(queue):
    found = await staff.flow(queue, 7, now=NOW)
    assert found.backlog_statuses == ["MATCHING", "OFFERED", "SUBMITTED", "UNMATCHED"]
    assert [(b.key, b.from_hours, b.to_hours, b.total, b.by_status) for b in found.backlog] == [
        ("0-1d", 0, 24, 3, zeroes(SUBMITTED=1, MATCHING=1, OFFERED=1)),  # A, B, L
        ("1-3d", 24, 72, 1, zeroes(UNMATCHED=1)),  # C
        ("3-7d", 72, 168, 2, zeroes(SUBMITTED=1, OFFERED=1)),  # K (72 h: the lower bound is in), D
        ("7-14d", 168, 336, 1, zeroes(OFFERED=1)),  # E
        ("14-28d", 336, 672, 1, zeroes(MATCHING=1)),  # F
        ("28d+", 672, None, 1, zeroes(UNMATCHED=1)),  # G
    ]  # H, P (SCHEDULED), J (REPORT_ISSUED) and the four CANCELLED are not backlog


async def test_throughput_counts_each_utc_day_of_the_window(queue):
    found = await staff.flow(queue, 7, now=NOW)
    assert found.since == datetime(2026, 11, 14, tzinfo=timezone.utc) and found.days == 7
    rows = [(d.day, d.submitted, d.accepted, d.report_issued, d.cancelled) for d in found.throughput]
    assert rows == [
        (date(2026, 11, 14), 2, 2, 0, 1),  # submitted J, R (at 00:00); accepted J, P; R cancelled
        (date(2026, 11, 15), 0, 0, 0, 0),
        (date(2026, 11, 16), 1, 0, 0, 0),  # N
        (date(2026, 11, 17), 2, 1, 0, 0),  # D, K; N accepted
        (date(2026, 11, 18), 1, 1, 0, 0),  # H, accepted that evening
        (date(2026, 11, 19), 2, 0, 1, 1),  # C, B; J's report; N cancelled after its acceptance
        (date(2026, 11, 20), 3, 0, 0, 1),  # I, L, A; I cancelled
    ]  # E, F, G, P, Q were submitted before the window, Q cancelled before it too
    today = await staff.flow(queue, 1, now=NOW)
    assert [(d.day, d.submitted, d.cancelled) for d in today.throughput] == [(date(2026, 11, 20), 3, 1)]


async def test_lead_times_per_method_are_percentiles_over_the_window(queue):
    found = await staff.flow(queue, 7, now=NOW)
    figures = {m.method_code: m.model_dump() for m in found.lead_times}
    # SALT submitted in the window: A, B, D, H, I, J, N. To the first offer D 4 h, H 2, J 6, N 2
    # (its first offer, not the one it accepted): [2, 2, 4, 6] -> p50 at rank 1.5 = 3, p90 at
    # rank 2.7 = 4 + 0.7 * 2 = 5.4. To acceptance H 10, J 10, N 30: p50 10, p90 at rank
    # 1.8 = 10 + 0.8 * 20 = 26. E and G, older, are left out.
    assert figures[SALT] == {"method_code": SALT, "submitted": 7,
                             "to_offer": {"count": 4, "p50_hours": 3.0, "p90_hours": 5.4},
                             "to_acceptance": {"count": 3, "p50_hours": 10.0, "p90_hours": 26.0}}
    # DAMP in the window: C, K, L, R; only L was offered (after 1 h), none accepted (P is older).
    assert figures[DAMP] == {"method_code": DAMP, "submitted": 4,
                             "to_offer": {"count": 1, "p50_hours": 1.0, "p90_hours": 1.0},
                             "to_acceptance": {"count": 0, "p50_hours": None, "p90_hours": None}}
    assert list(figures) == [DAMP, SALT]  # by method code
    today = await staff.flow(queue, 1, now=NOW)  # A, I (SALT) and L (DAMP) only
    assert [(m.method_code, m.submitted, m.to_offer.count, m.to_offer.p50_hours) for m in today.lead_times] == [
        (DAMP, 1, 1, 1.0), (SALT, 2, 0, None)]


async def test_offers_waiting_are_the_current_offers_per_lab(queue):
    found = await staff.flow(queue, 7, now=NOW)
    # lab-x: D (offered 76 h ago) and E (offered again 30 h ago; its first offer, 190 h ago, was
    # lab-y's and was declined); lab-z: L (5 h). H, N and P went past OFFERED.
    assert [o.model_dump() for o in found.offers_waiting] == [
        {"lab_id": "lab-x", "count": 2, "oldest_age_hours": 76.0},
        {"lab_id": "lab-z", "count": 1, "oldest_age_hours": 5.0}]


async def test_an_empty_queue_has_every_bucket_and_day_at_zero(booking):
    found = await staff.flow(booking.pool, 3, now=NOW)
    assert [b.total for b in found.backlog] == [0] * 6 and found.lead_times == [] and found.offers_waiting == []
    assert [(d.day, d.submitted + d.accepted + d.report_issued + d.cancelled) for d in found.throughput] == [
        (date(2026, 11, 18), 0), (date(2026, 11, 19), 0), (date(2026, 11, 20), 0)]


# The route: staff only, `days` checked like every query.

async def flow(booking, query: str = "", role: str = "staff"):
    response = await booking.client.get(f"/v1/insight/flow{query}", headers=booking.auth(role))
    return response.status, await response.json()


@pytest.mark.parametrize("role", ["staff", "admin"])
async def test_staff_get_the_flow_of_the_last_14_days_by_default(booking, role):
    await booking.submit(booking.auth())
    status, body = await flow(booking, role=role)
    assert status == 200 and body["days"] == 14 and len(body["throughput"]) == 14
    today = datetime.now(timezone.utc).date().isoformat()
    assert body["throughput"][-1]["day"] == today and body["throughput"][-1]["submitted"] == 1
    assert body["backlog"][0]["key"] == "0-1d" and body["backlog"][0]["by_status"]["SUBMITTED"] == 1
    assert body["lead_times"] == [{"method_code": SALT, "submitted": 1,
                                   "to_offer": {"count": 0, "p50_hours": None, "p90_hours": None},
                                   "to_acceptance": {"count": 0, "p50_hours": None, "p90_hours": None}}]
    status, body = await flow(booking, "?days=90")
    assert status == 200 and len(body["throughput"]) == 90


@pytest.mark.parametrize("role", ["supplier", "lab"])
async def test_other_roles_get_404(booking, role):
    status, body = await flow(booking, role=role)
    assert status == 404 and body["error"]["code"] == "not_found"


async def test_no_token_is_401(booking):
    response = await booking.client.get("/v1/insight/flow")
    assert response.status == 401 and (await response.json())["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("query, message", [
    ("?days=0", "the query is not valid: days: Input should be greater than or equal to 1"),
    ("?days=91", "the query is not valid: days: Input should be less than or equal to 90"),
    ("?days=week", "the query is not valid: days: Input should be a valid integer, unable to parse string as an "
                   "integer"),
    ("?weeks=2", "the query is not valid: weeks: Extra inputs are not permitted"),
])
async def test_a_bad_query_is_400_naming_the_parameter(booking, query, message):
    status, body = await flow(booking, query)
    assert status == 400 and body["error"]["code"] == "bad_query" and body["error"]["message"] == message
