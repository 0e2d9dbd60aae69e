"""Message contexts for the notifier's rendering tests: every fact known, or almost none."""
from __future__ import annotations

from datetime import date, datetime, timezone
from uuid import UUID

from schemas.notifications import Kind
from services.notifier.context import MessageContext

OCCURRED = datetime(2026, 11, 10, 9, 0, tzinfo=timezone.utc)  # 12:00 in Moscow
REQUEST_ID = UUID("1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d")
DELIVERY_ID = UUID("9f8e7d6c-5b4a-4c3d-9e2f-1a0b9c8d7e6f")
METHOD = "ISO9227-NSS-240"
TITLE_RU = "Коррозионные испытания в искусственных атмосферах. Испытания в нейтральном соляном тумане (NSS), 240 ч"
TITLE_EN = "Corrosion tests in artificial atmospheres — Salt spray tests: neutral salt spray (NSS), 240 h"
STANDARD = "ISO 9227:2022 (NSS)"

FULL = dict(
    event_id=UUID(int=1), delivery_id=DELIVERY_ID, occurred_at=OCCURRED,
    request_id=REQUEST_ID, request_url=f"https://labbook.example/requests/{REQUEST_ID}",
    status="SCHEDULED", seq=6, reason="no_capacity_before_deadline",
    component_name="Кронштейн фары", part_number="8450012345", category="metal_parts",
    method_code=METHOD, samples=5, deadline=date(2026, 12, 10), ship_from_region="RU-SAM",
    planned_start=datetime(2026, 11, 20, 6, 0, tzinfo=timezone.utc),
    planned_end=datetime(2026, 11, 30, 15, 30, tzinfo=timezone.utc),
    lab_id="lab-kzn", lab_name="ИЦ «Автотест»", lab_city="Казань",
    offer_id=UUID(int=3), expires_at=datetime(2026, 11, 12, 9, 0, tzinfo=timezone.utc),
    certificate_no="RA.RU.21АБ01", valid_until=date(2026, 12, 10),
    subscription_id=UUID(int=4), subscription_target="ops@supplier.example",
)


def full(kind: Kind, **changes) -> MessageContext:
    return MessageContext(kind=kind, **{**FULL, **changes})


def minimal(kind: Kind, **changes) -> MessageContext:
    return MessageContext(kind=kind, event_id=UUID(int=1), occurred_at=OCCURRED, **changes)
