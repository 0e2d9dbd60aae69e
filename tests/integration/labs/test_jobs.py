"""Job progress: checked against the state machine, published on lab-responses."""
from datetime import date, timedelta

from schemas.events import JobCancelled, ReportIssued, SamplesReceived, TestingCompleted, TestingStarted
from schemas.topics import LAB_RESPONSES

from .conftest import collect, kafka_tail, pending_offers, until_offer

SHA = "a" * 64


async def accepted_job(labs, scheduler):
    lab, me, (offer,) = await pending_offers(labs, scheduler, 1)
    status, body = await labs.call("POST", f"/v1/offers/{offer.offer_id}/accept", me)
    assert status == 200, body
    return lab, me, f"/v1/jobs/{offer.request_id}/events", offer


async def test_the_whole_job_is_reported_in_order_and_published(labs, scheduler, settings):
    lab, me, path, offer = await accepted_job(labs, scheduler)
    async with kafka_tail(settings.kafka_bootstrap, LAB_RESPONSES) as tail:
        for kind in ("SAMPLES_RECEIVED", "TESTING_STARTED", "TESTING_COMPLETED"):
            status, body = await labs.call("POST", path, me, {"type": kind})
            assert status == 200, body
        status, body = await labs.call("POST", path, me, {"type": "REPORT_ISSUED",
                                                          "report_url": "https://lab.example/r/1.pdf", "sha256": SHA})
        assert status == 200 and body["status"] == "REPORT_ISSUED", body
        progress = (SamplesReceived, TestingStarted, TestingCompleted, ReportIssued)
        found = await collect(tail, lambda env, ev: isinstance(ev, progress) and ev.request_id == offer.request_id,
                              count=4)
    assert [type(ev) for *_, ev in found] == [SamplesReceived, TestingStarted, TestingCompleted, ReportIssued]
    assert found[-1][3].report_url == "https://lab.example/r/1.pdf" and found[-1][3].sha256 == SHA
    assert all(key == str(offer.request_id).encode() for _, key, _, _ in found)


async def test_illegal_and_incomplete_job_events_are_refused(labs, scheduler):
    lab, me, path, _ = await accepted_job(labs, scheduler)
    status, body = await labs.call("POST", path, me, {"type": "TESTING_COMPLETED"})
    assert status == 409 and body["error"]["code"] == "illegal_transition"
    assert body["error"]["details"] == {"status": "SCHEDULED"}
    status, body = await labs.call("POST", path, me, {"type": "REPORT_ISSUED"})
    assert status == 422 and "report_url" in body["error"]["message"]
    status, body = await labs.call("POST", path, me, {"type": "EXPLODED"})
    assert status == 422
    status, _ = await labs.call("POST", path, me, {"type": "SAMPLES_RECEIVED"})
    status, body = await labs.call("POST", path, me, {"type": "SAMPLES_RECEIVED"})
    assert status == 409 and body["error"]["code"] == "illegal_transition"


async def test_another_lab_cannot_report_on_the_job(labs, scheduler):
    _, _, path, _ = await accepted_job(labs, scheduler)
    other = await labs.register()
    status, body = await labs.call("POST", path, labs.auth("lab", other["id"]), {"type": "SAMPLES_RECEIVED"})
    assert status == 404
    status, body = await labs.call("POST", "/v1/jobs/not-a-uuid/events", labs.auth("lab", other["id"]),
                                   {"type": "SAMPLES_RECEIVED"})
    assert status == 404


async def test_no_report_without_a_usable_accreditation(labs, scheduler):
    lab, me, path, _ = await accepted_job(labs, scheduler)
    for kind in ("SAMPLES_RECEIVED", "TESTING_STARTED", "TESTING_COMPLETED"):
        assert (await labs.call("POST", path, me, {"type": kind}))[0] == 200
    # Expired since acceptance (PATCH refuses a past date while active, so age it in place).
    await labs.pool.execute("UPDATE labs.labs SET valid_until = $2 WHERE id = $1", lab["id"],
                            date.today() - timedelta(days=1))
    report = {"type": "REPORT_ISSUED", "report_url": "https://lab.example/r/2.pdf"}
    status, body = await labs.call("POST", path, me, report)
    assert status == 409 and body["error"]["code"] == "accreditation_inactive", body

    await labs.call("PATCH", f"/v1/labs/{lab['id']}", labs.auth("staff"),
                    {"accreditation": {"status": "suspended", "valid_until": "2099-01-01"}})
    status, body = await labs.call("POST", path, me, report)
    assert status == 409 and "suspended" in body["error"]["message"]


async def job_ids(labs, me, job: str) -> list[str]:
    status, body = await labs.call("GET", f"/v1/offers?status=accepted&job={job}", me)
    assert status == 200, body
    return [item["request_id"] for item in body["items"]]


async def test_a_job_cancelled_after_acceptance_takes_no_more_progress(labs, scheduler):
    lab, me, path, offer = await accepted_job(labs, scheduler)
    assert await job_ids(labs, me, "open") == [str(offer.request_id)]  # what the agent counts as running
    status, body = await labs.call("POST", path, me, {"type": "SAMPLES_RECEIVED"})
    assert status == 200, body
    await scheduler(JobCancelled(request_id=offer.request_id, lab_id=lab["id"], reason="request_cancelled"))
    shown = await until_offer(labs, me, offer.offer_id, job_status="CANCELLED")
    assert shown["status"] == "accepted"
    assert await job_ids(labs, me, "finished") == [str(offer.request_id)]
    assert await job_ids(labs, me, "open") == []
    status, body = await labs.call("POST", path, me, {"type": "TESTING_STARTED"})
    assert status == 409 and body["error"]["code"] == "illegal_transition", body


async def test_an_unknown_job_filter_is_a_400(labs, scheduler):
    lab = await labs.register()
    status, body = await labs.call("GET", "/v1/offers?job=someday", labs.auth("lab", lab["id"]))
    assert status == 400 and body["error"]["code"] == "bad_query", body
