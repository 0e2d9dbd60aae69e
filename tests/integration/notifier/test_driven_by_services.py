"""Driven by the real services: a request submitted and cancelled through the booking API,
a lab registered through the labs API, each on its own database, their events through
Kafka into the notifier, out to the test's SMTP server and webhook receiver."""
from __future__ import annotations

import json
import re
from contextlib import asynccontextmanager
from datetime import date, timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from services.booking.app import create_app as booking_app
from services.booking.settings import BookingSettings
from services.labs.app import create_app as labs_app
from services.labs.settings import LabsSettings
from tests.integration.booking.conftest import request_body
from tests.integration.labs.conftest import lab_body
from tests.support.apps import serving
from tests.support.db import new_database

from .conftest import SECRET, org

pytestmark = pytest.mark.integration


@asynccontextmanager
async def served(servers, monkeypatch, make_app, settings_cls, **env):
    """A service on a database of its own, its settings read from env now."""
    async with new_database(servers, settings_cls().database_url) as url:
        for key, value in {"DATABASE_URL": url, "LABBOOK_TOKEN_SECRET": SECRET, **env}.items():
            monkeypatch.setenv(key, value)
        async with serving(make_app(settings_cls())) as client:
            yield client


async def test_booking_and_labs_events_reach_suppliers_and_staff(notifier, smtp, receiver, servers, monkeypatch):
    supplier = org("acme")
    headers = notifier.auth("supplier", supplier)
    hook = await notifier.subscribe(headers, "webhook", receiver.url("/acme"), language="ru")
    await notifier.subscribe(headers, "email", "zakaz@acme.example", language="ru")
    await notifier.subscribe(notifier.auth("staff", "cluster"), "email", "watch@cluster.example", language="en",
                             events=["accreditation.lapsing"])
    async with served(servers, monkeypatch, booking_app, BookingSettings,
                      BOOKING_STATUS_GROUP=f"booking-{org()}") as booking:
        response = await booking.post("/v1/requests", json=request_body(samples=3), headers=headers)
        request = await response.json()
        assert response.status == 201, request
        response = await booking.post(f"/v1/requests/{request['id']}/cancel", headers=headers,
                                      json={"reason": "no longer needed"})
        assert response.status == 200
        submitted_hook, cancelled_hook = await receiver.wait_for("/acme", 2)
    for got, status in ((submitted_hook, "SUBMITTED"), (cancelled_hook, "CANCELLED")):
        Webhook(hook["secret"]).verify(got.body, dict(got.headers))
        body = json.loads(got.body)
        assert body["payload"]["request_id"] == request["id"] and body["payload"]["status"] == status
        assert body["producer"] == "booking-api"
    mail = await smtp.wait_for(2)
    kinds = {m["X-Labbook-Kind"]: m for m in mail}
    assert set(kinds) == {"request.submitted", "request.cancelled"}
    text = kinds["request.submitted"].get_body(preferencelist=("plain",)).get_content()
    assert "3 образца" in text and "Door hinge" in text

    expiring = (date.today() + timedelta(days=10)).isoformat()
    async with served(servers, monkeypatch, labs_app, LabsSettings, LABS_OFFERS_GROUP=f"labs-{org()}") as labs:
        body = lab_body(name="Kaluga Test Lab", city="Kaluga", region_code="RU-KLU")
        body["accreditation"]["valid_until"] = expiring
        response = await labs.post("/v1/labs", json=body, headers=notifier.auth("staff", "cluster"))
        lab = await response.json()
        assert response.status == 201, lab
        certificate = body["accreditation"]["certificate_no"]

        def ours(message) -> bool:  # staff hear of every lab's lapsing accreditation: find this lab's
            return message["To"] == "watch@cluster.example" and certificate in message.get_body(
                preferencelist=("plain",)).get_content()
        mail = await smtp.wait_until(lambda ms: any(ours(m) for m in ms))
    [lapsing] = [m for m in mail if ours(m)]
    text = lapsing.get_body(preferencelist=("plain",)).get_content()
    assert lapsing["X-Labbook-Kind"] == "accreditation.lapsing"
    assert body["accreditation"]["certificate_no"] in text and "Kaluga Test Lab" in text
    # Days are counted in Moscow, which may already be tomorrow.
    assert re.search(r"expires in (9|10) days", text), text
