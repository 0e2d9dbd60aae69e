"""A subscription failing continuously for the configured time (5 days by default; half
a second here) is disabled and its owner told in the feed and by email; /metrics shows
deliveries by outcome and the queue."""
from __future__ import annotations

import pytest

from .conftest import TOPICS, org, status, submitted

pytestmark = pytest.mark.integration


@pytest.fixture
def notifier_settings_env():
    return {"NOTIFIER_DISABLE_AFTER_FAILING_S": "0.5", "NOTIFIER_RETRY_SCHEDULE": "300ms,300ms,300ms,300ms"}


async def test_a_subscription_failing_too_long_is_disabled_and_its_owner_told(notifier, receiver, smtp):
    supplier = org("acme")
    headers = notifier.auth("supplier", supplier)
    receiver.script("/broken", [503])
    sub = await notifier.subscribe(headers, "webhook", receiver.url("/broken"))
    await notifier.subscribe(headers, "email", "admin@acme.example", language="en", events=["subscription.disabled"])
    req = submitted(supplier)
    await notifier.publish(TOPICS["requests"], str(req.request_id), req)
    await notifier.publish(TOPICS["status"], str(req.request_id), status(req, 1, "SUBMITTED", None))
    [told] = await smtp.wait_for(1)
    assert told["X-Labbook-Kind"] == "subscription.disabled"
    assert receiver.url("/broken") in told.get_body(preferencelist=("plain",)).get_content()
    code, view = await notifier.get(f"/v1/subscriptions/{sub['id']}", headers)
    assert view["status"] == "disabled" and "failed for" in view["disabled_reason"]
    attempts = len(receiver.requests("/broken"))
    assert 2 <= attempts < 5  # disabled before the schedule ran out
    code, feed = await notifier.get("/v1/notifications", headers)
    assert feed["items"][0]["kind"] == "subscription.disabled"
    # Enabled again, it is tried again (and the failing clock starts anew).
    code, enabled = await notifier.post(f"/v1/subscriptions/{sub['id']}/enable", headers)
    assert code == 200 and enabled["status"] == "active" and enabled["failing_since"] is None

    metrics = await (await notifier.client.get("/metrics")).text()
    retried = [line for line in metrics.splitlines()
               if line.startswith('labbook_notifier_delivery_attempts_total{channel="webhook",outcome="retry"}')]
    assert retried and float(retried[0].split()[-1]) >= 1
    assert 'labbook_notifier_delivery_attempts_total{channel="email",outcome="delivered"} 1.0' in metrics
    for name in ("labbook_notifier_retry_queue", "labbook_notifier_oldest_undelivered_seconds"):
        assert any(line.startswith(name + " ") for line in metrics.splitlines()), name
