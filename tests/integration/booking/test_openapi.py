"""GET /openapi.json is a structurally valid OpenAPI 3.1 document of every route; /docs and /docs/events render it offline."""
from __future__ import annotations

import pytest

from tests.support.openapi import assert_docs_pages_served_offline, checked_spec

pytestmark = pytest.mark.integration


async def test_every_route_is_documented_with_valid_schemas(booking):
    _, documented = await checked_spec(booking)
    assert ("get", "/v1/queue") in documented and ("post", "/v1/requests") in documented


async def test_docs_pages_are_served_offline(booking):
    await assert_docs_pages_served_offline(booking.client)
