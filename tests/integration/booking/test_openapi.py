"""GET /openapi.json is a structurally valid OpenAPI 3.1 document of every route; /docs and /docs/events render it offline."""
from __future__ import annotations

import pytest

from tests.support.openapi import (
    assert_docs_pages_served_offline,
    assert_refs_and_schemas_valid,
    assert_well_formed,
    served_and_documented,
)

pytestmark = pytest.mark.integration


@pytest.fixture
async def spec(booking) -> dict:
    response = await booking.client.get("/openapi.json")  # public: no token
    assert response.status == 200
    return await response.json()


async def test_every_route_is_documented(booking, spec):
    assert spec["openapi"] == "3.1.0" and spec["info"]["title"] and spec["info"]["version"]
    served, documented = served_and_documented(booking.app, spec)
    assert served == documented
    assert ("get", "/v1/queue") in documented and ("post", "/v1/requests") in documented


async def test_every_ref_resolves_and_schemas_are_valid(spec):
    assert_refs_and_schemas_valid(spec)


async def test_operations_are_well_formed(spec):
    assert_well_formed(spec)


async def test_docs_pages_are_served_offline(booking):
    await assert_docs_pages_served_offline(booking.client)
