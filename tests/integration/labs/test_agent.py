"""The lab agent as a real subprocess against the labs API served in-process."""
import asyncio
import json
import sys
from datetime import datetime, timedelta, timezone

from aiohttp import web
from aiohttp.test_utils import TestServer

from schemas.events import CapacityAdvertised, OfferAccepted
from schemas.topics import CAPACITY, LAB_RESPONSES
from services.labs.app import create_app
from services.labs.settings import LabsSettings
from tests.support.lab_toml import capacity
from tests.support.processes import ROOT, free_port, spawn
from tests.support.waits import until

from .conftest import (METHOD, OTHER_METHOD, collect, kafka_tail, offer_made, pending_offers, token, until_offer,
                       window)

LABBOOK = [sys.executable, "-m", "services.cli.main"]


def lab_toml(path, *, auto_accept=True, refused="leave") -> str:
    start, end = window(1, 90)
    path.write_text(f"""
heartbeat_seconds = 1
poll_seconds = 0.3

[policy]
auto_accept = {str(auto_accept).lower()}
refused = "{refused}"
methods = ["{METHOD}"]
max_concurrent_jobs = 2
min_lead_time_hours = 24
""" + capacity(METHOD, 3, start.replace("+00:00", "Z"), end.replace("+00:00", "Z")))
    return str(path)


def agent_run(url: str, lab_id: str, config: str) -> list[str]:
    return [*LABBOOK, "agent", "run", "--lab", lab_id, "--token", token("lab", lab_id), "--config", config,
            "--url", url]


async def labbook(*args: str) -> tuple[int, str, str]:
    """The CLI without blocking the loop that serves the API."""
    child = await asyncio.create_subprocess_exec(*LABBOOK, *args, cwd=ROOT, stdout=asyncio.subprocess.PIPE,
                                                 stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(child.communicate(), 60)
    return child.returncode, out.decode(), err.decode()


async def test_agent_advertises_beats_and_accepts_by_policy(labs, scheduler, settings, tmp_path):
    lab = await labs.register()
    me = labs.auth("lab", lab["id"])
    config = lab_toml(tmp_path / "lab.toml")
    async with kafka_tail(settings.kafka_bootstrap, CAPACITY, LAB_RESPONSES) as tail:
        with spawn(agent_run(labs.url, lab["id"], config), {}, tmp_path / "agent.log"):
            mine = lambda env, ev: getattr(ev, "lab_id", None) == lab["id"]  # noqa: E731
            adverts = await collect(tail, lambda env, ev: mine(env, ev) and isinstance(ev, CapacityAdvertised),
                                    count=3)
            assert len(adverts) == 3, (tmp_path / "agent.log").read_text()
            assert adverts[0][3].items[0].slots == 3 and adverts[0][3].items[0].method_code == METHOD
            assert adverts[-1][3].heartbeat_at > adverts[0][3].heartbeat_at

            soon = datetime.now(timezone.utc) + timedelta(hours=2)
            good = offer_made(lab["id"])
            too_soon = offer_made(lab["id"], planned_start=soon, planned_end=soon + timedelta(days=4))
            other_method = offer_made(lab["id"], method_code=OTHER_METHOD)
            for offer in (good, too_soon, other_method):
                await scheduler(offer)
            await until_offer(labs, me, good.offer_id, status="accepted")
            found = await collect(tail, lambda env, ev: isinstance(ev, OfferAccepted) and mine(env, ev), count=1)
            assert found[0][3].offer_id == good.offer_id
            log, others = tmp_path / "agent.log", (too_soon, other_method)
            await until(lambda: all(f"offer {o.offer_id} ({o.method_code}) left for a person" in log.read_text()
                                    for o in others), 30, "the agent to leave the other two for a person")
            for offer in (too_soon, other_method):
                assert (await until_offer(labs, me, offer.offer_id))["status"] == "pending"
    log = (tmp_path / "agent.log").read_text()
    assert "left for a person" in log and "accepted by policy" in log


async def test_a_declining_policy_answers_what_it_refuses_at_once(labs, scheduler, tmp_path):
    lab = await labs.register()
    me = labs.auth("lab", lab["id"])
    soon = datetime.now(timezone.utc) + timedelta(hours=2)
    good = offer_made(lab["id"])
    too_soon = offer_made(lab["id"], planned_start=soon, planned_end=soon + timedelta(days=4))
    other_method = offer_made(lab["id"], method_code=OTHER_METHOD)
    config = lab_toml(tmp_path / "lab.toml", refused="decline")
    with spawn(agent_run(labs.url, lab["id"], config), {}, tmp_path / "agent.log"):
        for offer in (good, too_soon, other_method):
            await scheduler(offer)
        assert (await until_offer(labs, me, good.offer_id, status="accepted"))["status"] == "accepted"
        late = await until_offer(labs, me, too_soon.offer_id, status="declined")
        wrong = await until_offer(labs, me, other_method.offer_id, status="declined")
    assert late["reason"] == "policy: starts in 2.0 h, the policy needs 24 h", late
    assert wrong["reason"] == f"policy: method {OTHER_METHOD} is not in the policy's methods", wrong


async def test_job_progress_is_reported_through_the_cli(labs, scheduler):
    lab, me, (offer,) = await pending_offers(labs, scheduler, 1)
    common = ["--url", labs.url, "--token", token("lab", lab["id"])]
    rc, _, err = await labbook("agent", "accept", str(offer.offer_id), *common)
    assert rc == 0, err
    job = str(offer.request_id)
    rc, out, err = await labbook("agent", "job", job, "samples_received", *common)  # any case
    assert rc == 0 and json.loads(out)["status"] == "SAMPLES_RECEIVED", err
    rc, out, err = await labbook("agent", "job", job, "REPORT_ISSUED", "--report-url", "https://lab.example/r.pdf",
                                 *common)
    assert rc == 1 and "illegal_transition" in err and "allowed next: CANCELLED, IN_TESTING" in err, err
    for event, status in (("TESTING_STARTED", "IN_TESTING"), ("TESTING_COMPLETED", "COMPLETED")):
        rc, out, err = await labbook("agent", "job", job, event, *common)
        assert rc == 0 and json.loads(out)["status"] == status, err
    rc, out, err = await labbook("agent", "job", job, "REPORT_ISSUED", "--report-url", "https://lab.example/r.pdf",
                                 "--sha256", "a" * 64, *common)
    assert rc == 0, err
    done = json.loads(out)
    assert done["status"] == "REPORT_ISSUED" and done["report_url"] == "https://lab.example/r.pdf", done


async def test_offers_are_handled_by_hand_through_the_cli(labs, scheduler):
    lab, me, (first, second) = await pending_offers(labs, scheduler)
    common = ["--url", labs.url, "--token", token("lab", lab["id"])]

    rc, out, err = await labbook("agent", "offers", *common)
    assert rc == 0, err
    assert {json.loads(line)["id"] for line in out.splitlines()} == {str(first.offer_id), str(second.offer_id)}
    rc, out, err = await labbook("agent", "accept", str(first.offer_id), *common)
    assert rc == 0 and json.loads(out)["status"] == "accepted", err
    rc, out, err = await labbook("agent", "decline", str(second.offer_id), "--reason", "no chamber", *common)
    assert rc == 0 and json.loads(out)["status"] == "declined", err
    rc, out, err = await labbook("agent", "accept", str(second.offer_id), *common)
    assert rc == 1 and "offer_not_pending" in err


async def unavailable_api(port: int, asked: list):
    """Stands in for a labs API that is down: every call answers 503, and is counted."""
    async def refuse(request: web.Request) -> web.Response:
        asked.append(request.path)
        return web.Response(status=503)
    app = web.Application()
    app.router.add_route("*", "/{path:.*}", refuse)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


async def test_agent_waits_out_an_unavailable_api_and_logs_it_once(labs, settings, tmp_path):
    lab = await labs.register()
    port, asked = free_port(), []
    log_path = tmp_path / "agent.log"
    down = await unavailable_api(port, asked)
    with spawn(agent_run(f"http://127.0.0.1:{port}", lab["id"], lab_toml(tmp_path / "lab.toml")), {}, log_path):
        try:
            await until(lambda: len(asked) >= 2, 30, "a second failed round of the agent")  # backed off between
        finally:
            await down.cleanup()
        assert log_path.read_text().count("unavailable") == 1, log_path.read_text()
        server = TestServer(create_app(LabsSettings()), host="127.0.0.1", port=port)
        async with kafka_tail(settings.kafka_bootstrap, CAPACITY) as tail:
            await server.start_server()
            try:
                found = await collect(tail, lambda env, ev: ev.lab_id == lab["id"], count=1, timeout=40)
                # The agent logs the recovery once its round is done.
                await until(lambda: "answers again" in log_path.read_text(), 10, "the agent to log its recovery",
                            interval=0.1)
            finally:
                await server.close()
    assert found and found[0][3].items[0].method_code == METHOD, log_path.read_text()
    assert "answers again" in log_path.read_text()
