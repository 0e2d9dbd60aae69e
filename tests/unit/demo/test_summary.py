"""The demo's closing figures, from answers shaped as the public APIs give them."""
from services.cli.demo.summary import settled, summarise

QUEUE = {"total": 10, "by_status": {"SUBMITTED": 0, "MATCHING": 0, "UNMATCHED": 4, "OFFERED": 2, "SCHEDULED": 1,
                                     "REPORT_ISSUED": 2, "CANCELLED": 1}}
UNMET = {"total": 4, "items": [
    {"method_code": "UNECE-R10", "region": "RU-SAM", "reason": "no_accredited_lab", "count": 1},
    {"method_code": "UNECE-R100", "region": "RU-SAM", "reason": "no_accredited_lab", "count": 1},
    {"method_code": "UNECE-R100", "region": "RU-TA", "reason": "no_accredited_lab", "count": 1},
    {"method_code": "ISO9227-NSS-96", "region": "RU-MOW", "reason": "no_capacity_before_deadline", "count": 1}]}


def test_placed_counts_every_request_a_lab_holds_a_slot_for():
    assert summarise(QUEUE, UNMET, []).placed == 5  # OFFERED 2 + SCHEDULED 1 + REPORT_ISSUED 2


def test_unmet_demand_by_reason_and_the_methods_no_lab_holds_ranked_by_demand():
    s = summarise(QUEUE, UNMET, [])
    assert s.unmatched_by_reason == {"no_accredited_lab": 3, "no_capacity_before_deadline": 1}
    assert s.no_lab_in_russia == [("UNECE-R100", 2, [("RU-SAM", 1), ("RU-TA", 1)]),
                                  ("UNECE-R10", 1, [("RU-SAM", 1)])]


def test_notifications_are_counted_by_channel_and_outcome():
    deliveries = [{"channel": "email", "status": "delivered"}] * 3 + [{"channel": "webhook", "status": "failed"}]
    assert summarise(QUEUE, UNMET, deliveries).notifications == {("email", "delivered"): 3, ("webhook", "failed"): 1}


def test_settled_once_nothing_waits_for_the_scheduler():
    assert settled(QUEUE)
    assert not settled({**QUEUE, "by_status": {**QUEUE["by_status"], "MATCHING": 1}})
