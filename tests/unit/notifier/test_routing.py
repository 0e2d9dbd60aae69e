"""Who is told about what (services/notifier/routing.py), against a hand-written table.

Every expectation below is a literal: (kind, audience role, audience org) per notice,
in the order route() gives them. The org is None for "every staff member".
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas import events as ev
from schemas.states import RequestStatus
from schemas.values import Accreditation, AccreditationStatus, Component, Role, ScopeItem, TestKind
from services.notifier.routing import STAFF, Audience, lapsing, route, subscription_disabled

REQUEST_ID = UUID("1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d")
OFFER_ID = UUID("00000000-0000-0000-0000-000000000003")
AT = datetime(2026, 11, 10, 9, 0, tzinfo=timezone.utc)
START = datetime(2026, 11, 20, 6, 0, tzinfo=timezone.utc)
END = datetime(2026, 11, 30, 15, 30, tzinfo=timezone.utc)


def status_changed(status: RequestStatus, *, org: str = "acme", lab: str | None = None, seq: int = 4,
                   reason: str | None = None, start: datetime | None = None, end: datetime | None = None,
                   request_id: UUID = REQUEST_ID) -> ev.StatusChanged:
    return ev.StatusChanged(request_id=request_id, org_id=org, seq=seq, status=status, previous=None, at=AT,
                            reason=reason, lab_id=lab, planned_start=start, planned_end=end)


def offer_made(lab: str = "lab-1") -> ev.OfferMade:
    return ev.OfferMade(offer_id=OFFER_ID, request_id=REQUEST_ID, lab_id=lab, method_code="ISO9227-NSS-240",
                        samples=5, deadline=date(2026, 12, 10), planned_start=START, planned_end=END,
                        expires_at=datetime(2026, 11, 12, 9, 0, tzinfo=timezone.utc))


def offer_withdrawn(reason: str, lab: str = "lab-1") -> ev.OfferWithdrawn:
    return ev.OfferWithdrawn(offer_id=OFFER_ID, request_id=REQUEST_ID, lab_id=lab, reason=reason)


def job_cancelled(lab: str = "lab-1") -> ev.JobCancelled:
    return ev.JobCancelled(request_id=REQUEST_ID, lab_id=lab, reason="request_cancelled")


def request_submitted() -> ev.RequestSubmitted:
    return ev.RequestSubmitted(
        request_id=REQUEST_ID, org_id="acme", method_code="ISO9227-NSS-240", test_kind=TestKind.CERTIFICATION,
        component=Component(name="Кронштейн фары", part_number="8450012345", category="metal_parts"),
        samples=5, deadline=date(2026, 12, 10), ship_from_region="RU-SAM", submitted_at=AT)


def lab_profile() -> ev.LabProfile:
    return ev.LabProfile(
        lab_id="lab-1", name="ИЦ «Автотест»", inn="1655000000", region_code="RU-TA", city="Казань",
        lat=55.79, lon=49.12,
        accreditation=Accreditation(certificate_no="RA.RU.21AB12", status=AccreditationStatus.ACTIVE,
                                    valid_until=date(2027, 6, 1)),
        scope=(ScopeItem(method_code="ISO9227-NSS-240", max_samples=20, price_rub=Decimal("45000")),),
        updated_at=AT)


def capacity_advertised() -> ev.CapacityAdvertised:
    return ev.CapacityAdvertised(
        lab_id="lab-1", heartbeat_at=AT,
        items=(ev.CapacityItem(method_code="ISO9227-NSS-240", slots=3, available_from=START, available_to=END),))


def triples(notices) -> list[tuple[str, str, str | None]]:
    return [(n.kind.value, n.audience.role.value, n.audience.org) for n in notices]


S = RequestStatus

# (status, the event's lab_id, expected notices) for a request of org "acme".
STATUS_TABLE = [
    (S.SUBMITTED, None, [("request.submitted", "supplier", "acme")]),
    (S.MATCHING, None, [("request.matching", "supplier", "acme")]),
    (S.UNMATCHED, None, [("request.unmatched", "supplier", "acme"), ("request.unmatched", "staff", None)]),
    (S.OFFERED, "lab-1", [("request.offered", "supplier", "acme")]),
    (S.ACCEPTED, "lab-1", [("request.accepted", "supplier", "acme")]),
    (S.SCHEDULED, "lab-1", [("request.scheduled", "supplier", "acme"), ("job.scheduled", "lab", "lab-1")]),
    (S.SCHEDULED, None, [("request.scheduled", "supplier", "acme")]),
    (S.SAMPLES_RECEIVED, "lab-1", [("request.samples_received", "supplier", "acme")]),
    (S.IN_TESTING, "lab-1", [("request.in_testing", "supplier", "acme")]),
    (S.COMPLETED, "lab-1", [("request.completed", "supplier", "acme")]),
    (S.REPORT_ISSUED, "lab-1", [("request.report_issued", "supplier", "acme")]),
    (S.CANCELLED, None, [("request.cancelled", "supplier", "acme")]),
    # A cancelled job reaches its lab through JobCancelled, not through the status change.
    (S.CANCELLED, "lab-1", [("request.cancelled", "supplier", "acme")]),
]


def test_the_table_covers_every_status():
    assert {status for status, _, _ in STATUS_TABLE} == set(RequestStatus)


@pytest.mark.parametrize(("status", "lab", "expected"), STATUS_TABLE,
                         ids=[f"{s.value}-{lab or 'nolab'}" for s, lab, _ in STATUS_TABLE])
def test_status_changes(status, lab, expected):
    notices = route(status_changed(status, lab=lab))
    assert triples(notices) == expected
    assert all(n.request_id == REQUEST_ID for n in notices)


OTHER_TABLE = [
    ("offer_made", offer_made(), [("offer.made", "lab", "lab-1")]),
    ("offer_expired", offer_withdrawn("offer_expired"),
     [("offer.expired", "lab", "lab-1"), ("offer.expired", "staff", None)]),
    ("offer_withdrawn_cancelled", offer_withdrawn("request_cancelled"), [("offer.withdrawn", "lab", "lab-1")]),
    ("offer_withdrawn_declined", offer_withdrawn("offer_declined"), [("offer.withdrawn", "lab", "lab-1")]),
    ("job_cancelled", job_cancelled(), [("job.cancelled", "lab", "lab-1")]),
    ("request_submitted", request_submitted(), []),
    ("lab_profile", lab_profile(), []),
    ("capacity_advertised", capacity_advertised(), []),
]


@pytest.mark.parametrize(("event", "expected"), [row[1:] for row in OTHER_TABLE], ids=[row[0] for row in OTHER_TABLE])
def test_other_events(event, expected):
    assert triples(route(event)) == expected


def test_status_facts_hold_status_seq_reason_and_dates_as_iso_strings():
    [supplier, lab] = route(status_changed(S.SCHEDULED, lab="lab-1", seq=6, start=START, end=END))
    expected = {
        "status": "SCHEDULED",
        "seq": 6,
        "lab_id": "lab-1",
        "planned_start": "2026-11-20T06:00:00+00:00",
        "planned_end": "2026-11-30T15:30:00+00:00",
    }
    assert supplier.facts == expected
    assert lab.facts == expected


def test_status_facts_keep_the_reason_and_omit_what_is_unknown():
    [supplier, staff] = route(status_changed(S.UNMATCHED, seq=3, reason="no_accredited_lab"))
    assert supplier.facts == {"status": "UNMATCHED", "seq": 3, "reason": "no_accredited_lab"}
    assert staff.facts == {"status": "UNMATCHED", "seq": 3, "reason": "no_accredited_lab"}
    assert staff.request_id == REQUEST_ID


def test_status_facts_keep_a_dates_offset():
    moscow = timezone(timedelta(hours=3))
    [notice] = route(status_changed(S.ACCEPTED, seq=5, start=datetime(2026, 11, 20, 9, 0, tzinfo=moscow)))
    assert notice.facts == {"status": "ACCEPTED", "seq": 5, "planned_start": "2026-11-20T09:00:00+03:00"}


def test_offer_made_facts():
    [notice] = route(offer_made())
    assert notice.request_id == REQUEST_ID
    assert notice.facts == {
        "offer_id": "00000000-0000-0000-0000-000000000003",
        "lab_id": "lab-1",
        "expires_at": "2026-11-12T09:00:00+00:00",
        "planned_start": "2026-11-20T06:00:00+00:00",
        "planned_end": "2026-11-30T15:30:00+00:00",
    }


def test_an_expired_offer_tells_the_lab_and_staff_the_same_facts():
    lab, staff = route(offer_withdrawn("offer_expired"))
    expected = {"offer_id": "00000000-0000-0000-0000-000000000003", "lab_id": "lab-1", "reason": "offer_expired"}
    assert lab.facts == expected
    assert staff.facts == expected
    assert lab.request_id == staff.request_id == REQUEST_ID


def test_job_cancelled_facts():
    [notice] = route(job_cancelled())
    assert notice.request_id == REQUEST_ID
    assert notice.facts == {"lab_id": "lab-1", "reason": "request_cancelled"}


def test_lapsing_tells_staff():
    notice = lapsing("lab-1", "RA.RU.21AB12", date(2026, 12, 10))
    assert (notice.kind.value, notice.audience.role.value, notice.audience.org) == \
        ("accreditation.lapsing", "staff", None)
    assert notice.request_id is None
    assert notice.facts == {"lab_id": "lab-1", "certificate_no": "RA.RU.21AB12", "valid_until": "2026-12-10"}


@pytest.mark.parametrize(("role", "org", "expected"), [
    ("supplier", "acme", ("subscription.disabled", "supplier", "acme")),
    (Role.LAB, "lab-1", ("subscription.disabled", "lab", "lab-1")),
])
def test_subscription_disabled_tells_its_owner(role, org, expected):
    notice = subscription_disabled(role, org, UUID(int=4), "https://hooks.acme.example/labbook",
                                   "failing for 5 days")
    assert (notice.kind.value, notice.audience.role.value, notice.audience.org) == expected
    assert notice.request_id is None
    assert notice.facts == {
        "subscription_id": "00000000-0000-0000-0000-000000000004",
        "subscription_target": "https://hooks.acme.example/labbook",
        "reason": "failing for 5 days",
    }


# --- tenant isolation -------------------------------------------------------------------

ORGS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12)
REASONS = st.sampled_from(["offer_expired", "request_cancelled", "offer_declined", "no_accredited_lab"])


@given(status=st.sampled_from(list(RequestStatus)), org=ORGS, lab=st.none() | ORGS, seq=st.integers(1, 10**6),
       reason=st.none() | REASONS)
def test_a_status_change_reaches_only_its_own_org_its_lab_or_staff(status, org, lab, seq, reason):
    notices = route(status_changed(status, org=org, lab=lab, seq=seq, reason=reason))
    assert notices, "the supplier always hears about its request"
    for notice in notices:
        assert (notice.audience.role, notice.audience.org) in {(Role.SUPPLIER, org), (Role.LAB, lab),
                                                               (Role.STAFF, None)}
        assert notice.audience.org is not None or notice.audience == STAFF
        assert notice.request_id == REQUEST_ID


@given(lab=ORGS, reason=REASONS, which=st.sampled_from(["made", "withdrawn", "job_cancelled"]))
def test_an_offer_event_reaches_only_its_lab_or_staff(lab, reason, which):
    event = {"made": lambda: offer_made(lab), "withdrawn": lambda: offer_withdrawn(reason, lab),
             "job_cancelled": lambda: job_cancelled(lab)}[which]()
    notices = route(event)
    assert notices
    for notice in notices:
        assert (notice.audience.role, notice.audience.org) in {(Role.LAB, lab), (Role.STAFF, None)}


# --- Audience.covers --------------------------------------------------------------------

@pytest.mark.parametrize(("role", "org", "covered"), [
    ("staff", "labbook", True),
    ("admin", "labbook", True),
    (Role.STAFF, "acme", True),
    ("admin", "globex", True),
    ("supplier", "acme", False),
    ("lab", "lab-1", False),
])
def test_the_staff_audience_covers_staff_and_admins_of_any_org(role, org, covered):
    assert STAFF.covers(role, org) is covered


@pytest.mark.parametrize(("role", "org", "covered"), [
    ("supplier", "acme", True),
    (Role.SUPPLIER, "acme", True),
    ("supplier", "globex", False),
    ("supplier", "ACME", False),
    ("lab", "acme", False),
    ("staff", "acme", False),
    ("admin", "acme", False),
])
def test_a_supplier_audience_covers_only_that_role_and_org(role, org, covered):
    assert Audience(Role.SUPPLIER, "acme").covers(role, org) is covered


def test_a_lab_audience_covers_only_that_lab():
    audience = Audience(Role.LAB, "lab-1")
    assert audience.covers("lab", "lab-1")
    assert not audience.covers("lab", "lab-2")
    assert not audience.covers("supplier", "lab-1")
