"""Property-based tests of the booking API from its own OpenAPI document (schemathesis).

Every documented operation but the endless event stream gets generated requests,
valid and invalid, with a supplier's token, against a real booking process: none
may answer 5xx, and every answer must match the documented schema for its status.
The document is built in-process (no I/O) and is the one the process serves, which
test_served_document_is_the_tested_one checks.
"""
from __future__ import annotations

import json
import urllib.request

import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from services.booking.routes import setup_routes

from .conftest import token

MAX_EXAMPLES = 25
DOCUMENT = setup_routes(web.Application()).build()
schema = schemathesis.openapi.from_dict(DOCUMENT).exclude(path="/v1/events")
HEADERS = {"Authorization": f"Bearer {token('supplier')}"}


def test_served_document_is_the_tested_one(booking_url):
    with urllib.request.urlopen(f"{booking_url}/openapi.json", timeout=10) as response:
        assert json.load(response) == json.loads(json.dumps(DOCUMENT))


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_booking_api(case, booking_url):
    case.call_and_validate(base_url=booking_url, headers=HEADERS, timeout=10,
                           checks=[not_a_server_error, response_schema_conformance])
