"""GET /openapi.json documents every notifier route (OpenAPI 3.1); /docs and /docs/events render it offline."""
from __future__ import annotations

import pytest

from tests.support.openapi import assert_docs_pages_served_offline, checked_spec

pytestmark = pytest.mark.integration

ROUTES = {("post", "/v1/subscriptions"), ("get", "/v1/subscriptions"), ("get", "/v1/subscriptions/{id}"),
          ("delete", "/v1/subscriptions/{id}"), ("post", "/v1/subscriptions/{id}/enable"),
          ("post", "/v1/subscriptions/{id}/rotate-secret"), ("get", "/v1/notifications"),
          ("post", "/v1/notifications/{id}/read"), ("get", "/v1/deliveries"),
          ("post", "/v1/deliveries/redeliver"), ("post", "/v1/deliveries/{id}/redeliver")}


async def test_every_notifier_route_is_documented_with_valid_schemas(notifier):
    spec, documented = await checked_spec(notifier)
    assert documented == ROUTES
    create = spec["paths"]["/v1/subscriptions"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in create["parameters"]]
    assert {"201", "401", "422"} <= set(create["responses"])
    await assert_docs_pages_served_offline(notifier.client)
