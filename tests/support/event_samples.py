"""One real instance of every event type labbook puts on Kafka, by type name."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from uuid import uuid4

from schemas import events as ev
from schemas.events import Event

AT = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)
LAB = "lab-togliatti"


def _profile() -> ev.LabProfile:
    return ev.LabProfile(
        lab_id=LAB, name="Togliatti Test Centre", inn="7707083893", region_code="RU-SAM", city="Togliatti",
        lat=53.5078, lon=49.4204, updated_at=AT,
        accreditation={"certificate_no": "RA.RU.21AB12", "status": "active", "valid_until": date(2027, 12, 31)},
        scope=({"method_code": "ISO9227-NSS-96", "max_samples": 20, "price_rub": "85000.50",
                "duration_hours": 100},))


def _capacity() -> ev.CapacityAdvertised:
    return ev.CapacityAdvertised(lab_id=LAB, heartbeat_at=AT, items=(
        ev.CapacityItem(method_code="ISO9227-NSS-96", slots=2, available_from=AT,
                        available_to=AT + timedelta(days=60)),))


def samples() -> dict[str, Event]:
    """Fresh ids each call, every optional field set where the type has one."""
    request, offer, slot = uuid4(), uuid4(), uuid4()
    ids = {"request_id": request, "lab_id": LAB}
    window = {"start": AT, "end": AT + timedelta(days=4)}
    plan = {"planned_start": AT, "planned_end": AT + timedelta(days=4)}
    made = [
        ev.RequestSubmitted(request_id=request, org_id="acme-samara", method_code="ISO9227-NSS-96",
                            test_kind="validation", samples=5, deadline=date(2026, 6, 1),
                            component={"name": "Door hinge", "part_number": "DH-1", "category": "body"},
                            ship_from_region="RU-SAM", preferred_lab_ids=(LAB,), excluded_lab_ids=("lab-x",),
                            submitted_at=AT),
        ev.RequestCancelled(request_id=request, org_id="acme-samara", reason="no longer needed"),
        _profile(), _capacity(),
        ev.ReserveSlot(reservation_id=slot, method_code="ISO9227-NSS-96", latest_end=AT + timedelta(days=30),
                       **ids, **window),
        ev.ReleaseSlot(reservation_id=slot, reason="declined", **ids),
        ev.SlotGranted(reservation_id=slot, method_code="ISO9227-NSS-96", **ids, **window),
        ev.SlotRefused(reservation_id=slot, reason="calendar full", **ids),
        ev.OfferExpired(offer_id=offer, **ids),
        ev.SupplyChanged(lab_id=LAB, profile=_profile(), capacity=_capacity()),
        ev.MatchWindowClosed(partition=3, methods=["ISO9227-NSS-96"]),
        ev.BookingsChanged(lab_id=LAB, method_code="ISO9227-NSS-96", released=(uuid4(),), replace=False,
                           bookings=(ev.BookedSlot(reservation_id=slot, **window),)),
        ev.OfferMade(offer_id=offer, method_code="ISO9227-NSS-96", samples=5, deadline=date(2026, 6, 1),
                     expires_at=AT + timedelta(hours=48), **ids, **plan),
        ev.OfferWithdrawn(offer_id=offer, reason="request cancelled", **ids),
        ev.JobCancelled(reason="request cancelled", **ids),
        ev.OfferAccepted(offer_id=offer, planned_start=AT, **ids),
        ev.OfferDeclined(offer_id=offer, reason="chamber under maintenance", **ids),
        ev.SamplesReceived(at=AT, **ids),
        ev.TestingStarted(at=AT, **ids),
        ev.TestingCompleted(at=AT, **ids),
        ev.ReportIssued(at=AT, report_url="https://lab.example/reports/1.pdf", sha256="ab" * 32, **ids),
        ev.StatusChanged(request_id=request, org_id="acme-samara", seq=3, status="OFFERED", previous="MATCHING",
                         at=AT, reason="offered", lab_id=LAB, **plan),
        ev.RequestPlanned(request_id=request, org_id="acme-samara", seq=2, at=AT, lab_id=LAB, **plan),
        ev.DeadLetter(reason="not JSON", consumer="notifier", topic="labbook.status.v1", partition=1, offset=42,
                      key_b64="a2V5", original_b64="e30=", original_size=2),
        ev.TokenRevoked(jti="5f0c2a9d41e34b1c", revoked_at=AT, expires_at=AT + timedelta(days=90),
                        reason="laptop lost"),
    ]
    return {event.type_name(): event for event in made}
