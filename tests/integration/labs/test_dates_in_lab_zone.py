"""Dates a lab manager types are whole days in the lab's own zone (from its region); a date-time
without an offset is refused with what to add. Expected instants are written out by hand."""
import asyncio
from datetime import datetime, timezone

import aiohttp
import pytest

from schemas.events import OfferAccepted
from schemas.topics import CAPACITY, LAB_RESPONSES
from services.labs.agent import Agent, LabsClient, load_config
from tests.support.lab_toml import capacity
from tests.support.processes import ROOT

from .conftest import METHOD, OTHER_METHOD, collect, kafka_tail, offer_made, token, until_offer
from .test_agent import LABBOOK, labbook

UTC = timezone.utc
SAMARA = dict(region_code="RU-SAM", city="Togliatti", lat=53.5078, lon=49.4204)  # Europe/Samara, +04:00
PRIMORYE = dict(region_code="RU-PRI", city="Vladivostok", lat=43.1155, lon=131.8855)  # Asia/Vladivostok, +10:00
JANUARY = {"method_code": METHOD, "slots": 2, "available_from": "2027-01-01", "available_to": "2027-01-31"}


@pytest.mark.parametrize("where, start, end", [
    (SAMARA, datetime(2026, 12, 31, 20, tzinfo=UTC), datetime(2027, 1, 31, 20, tzinfo=UTC)),
    (PRIMORYE, datetime(2026, 12, 31, 14, tzinfo=UTC), datetime(2027, 1, 31, 14, tzinfo=UTC)),
])
async def test_capacity_dates_cover_whole_days_in_the_labs_zone(labs, settings, where, start, end):
    lab = await labs.register(**where)
    async with kafka_tail(settings.kafka_bootstrap, CAPACITY) as tail:
        status, answer = await labs.call("PUT", f"/v1/labs/{lab['id']}/capacity", labs.auth("lab", lab["id"]),
                                         {"items": [JANUARY]})
        assert status == 200, answer
        found = await collect(tail, lambda env, ev: ev.lab_id == lab["id"], count=1)
    (window,) = answer["capacity"]
    assert datetime.fromisoformat(window["available_from"]) == start
    assert datetime.fromisoformat(window["available_to"]) == end
    (_, _, _, advert), = found
    assert advert.items[0].available_from == start and advert.items[0].available_to == end
    assert advert.items[0].available_from.utcoffset() is not None
    status, shown = await labs.call("GET", f"/v1/labs/{lab['id']}", labs.auth("staff"))
    assert shown["capacity"] == answer["capacity"]


async def test_dates_and_offsets_mix_and_consecutive_days_touch(labs):
    lab = await labs.register(**SAMARA)
    items = [JANUARY, {**JANUARY, "available_from": "2027-02-01", "available_to": "2027-02-01T12:00:00+04:00"},
             {**JANUARY, "method_code": OTHER_METHOD, "available_from": "2027-01-10T09:00:00Z"}]
    status, answer = await labs.call("PUT", f"/v1/labs/{lab['id']}/capacity", labs.auth("staff"), {"items": items})
    assert status == 200, answer
    bounds = [(datetime.fromisoformat(c["available_from"]), datetime.fromisoformat(c["available_to"]))
              for c in answer["capacity"]]
    assert bounds == [(datetime(2026, 12, 31, 20, tzinfo=UTC), datetime(2027, 1, 31, 20, tzinfo=UTC)),
                      (datetime(2027, 1, 31, 20, tzinfo=UTC), datetime(2027, 2, 1, 8, tzinfo=UTC)),
                      (datetime(2027, 1, 10, 9, tzinfo=UTC), datetime(2027, 1, 31, 20, tzinfo=UTC))]


@pytest.mark.parametrize("where, offset, zone", [(SAMARA, "+04:00", "Europe/Samara"),
                                                 (PRIMORYE, "+10:00", "Asia/Vladivostok")])
async def test_a_date_time_without_offset_is_refused_naming_the_labs_zone(labs, where, offset, zone):
    lab = await labs.register(**where)
    naive = {**JANUARY, "available_from": "2027-01-01T09:00:00"}
    status, body = await labs.call("PUT", f"/v1/labs/{lab['id']}/capacity", labs.auth("lab", lab["id"]),
                                   {"items": [JANUARY | {"method_code": OTHER_METHOD}, naive]})
    assert status == 422 and body["error"]["code"] == "validation_error", body
    assert body["error"]["message"] == (
        f"items[1].available_from 2027-01-01T09:00:00 has no time zone: add an offset such as {offset} "
        f"(the lab's zone, {zone}) or Z, or give a date 2027-01-01 for the whole day")
    status, shown = await labs.call("GET", f"/v1/labs/{lab['id']}", labs.auth("staff"))
    assert shown["capacity"] == []


async def test_garbage_and_inverted_days_are_422(labs):
    lab = await labs.register(**SAMARA)
    for bad in ({**JANUARY, "available_to": "31.01.2027"}, {**JANUARY, "available_to": "2026-12-31"}):
        status, body = await labs.call("PUT", f"/v1/labs/{lab['id']}/capacity", labs.auth("staff"), {"items": [bad]})
        assert status == 422 and body["error"]["code"] == "validation_error", body


async def test_accept_with_a_date_proposes_the_start_of_that_day_in_the_labs_zone(labs, scheduler, settings):
    lab = await labs.register(**PRIMORYE)
    me = labs.auth("lab", lab["id"])
    naive, dated = offer_made(lab["id"]), offer_made(lab["id"])
    for offer in (naive, dated):
        await scheduler(offer)
    await until_offer(labs, me, dated.offer_id)
    status, body = await labs.call("POST", f"/v1/offers/{naive.offer_id}/accept", me,
                                   {"planned_start": "2027-01-10T09:00"})
    assert status == 422 and "planned_start 2027-01-10T09:00:00 has no time zone: add an offset such as +10:00 " \
                              "(the lab's zone, Asia/Vladivostok)" in body["error"]["message"], body
    async with kafka_tail(settings.kafka_bootstrap, LAB_RESPONSES) as tail:
        status, body = await labs.call("POST", f"/v1/offers/{dated.offer_id}/accept", me,
                                       {"planned_start": "2027-01-10"})
        assert status == 200 and body["status"] == "accepted", body
        found = await collect(tail, lambda env, ev: isinstance(ev, OfferAccepted) and ev.lab_id == lab["id"], count=1)
    assert found[0][3].planned_start == datetime(2027, 1, 9, 14, tzinfo=UTC)
    stored = await labs.pool.fetchval("SELECT planned_start FROM labs.jobs WHERE request_id = $1", dated.request_id)
    assert stored == datetime(2027, 1, 9, 14, tzinfo=UTC)
    assert (await until_offer(labs, me, naive.offer_id))["status"] == "pending"  # the refusal changed nothing


async def test_the_cli_accepts_with_a_date(labs, scheduler):
    lab = await labs.register(**SAMARA)
    offer = offer_made(lab["id"])
    await scheduler(offer)
    await until_offer(labs, labs.auth("lab", lab["id"]), offer.offer_id)
    common = ["--url", labs.url, "--token", token("lab", lab["id"])]
    rc, out, err = await labbook("agent", "accept", str(offer.offer_id), "--planned-start", "2027-01-10T09:00",
                                 *common)
    assert rc == 1 and "+04:00 (the lab's zone, Europe/Samara)" in err, err
    rc, out, err = await labbook("agent", "accept", str(offer.offer_id), "--planned-start", "2027-01-10", *common)
    assert rc == 0, err
    stored = await labs.pool.fetchval("SELECT planned_start FROM labs.jobs WHERE request_id = $1", offer.request_id)
    assert stored == datetime(2027, 1, 9, 20, tzinfo=UTC)


LAB_TOML = (capacity(METHOD, 3, "2027-01-01", "2027-01-31")
            + capacity(METHOD, 1, "2027-02-01T08:00:00+10:00", "2027-02-28"))


async def test_the_agent_advertises_lab_toml_dates_as_days_in_the_labs_zone(labs, settings, tmp_path):
    lab = await labs.register(**PRIMORYE)
    (tmp_path / "lab.toml").write_text(LAB_TOML)
    async with aiohttp.ClientSession() as http, kafka_tail(settings.kafka_bootstrap, CAPACITY) as tail:
        client = LabsClient(http, labs.url, token("lab", lab["id"]))
        await Agent(client, lab["id"], load_config(tmp_path / "lab.toml")).step(beat=False)
        found = await collect(tail, lambda env, ev: ev.lab_id == lab["id"], count=1)
    assert [(i.slots, i.available_from, i.available_to) for i in found[0][3].items] == [
        (3, datetime(2026, 12, 31, 14, tzinfo=UTC), datetime(2027, 1, 31, 14, tzinfo=UTC)),
        (1, datetime(2027, 1, 31, 22, tzinfo=UTC), datetime(2027, 2, 28, 14, tzinfo=UTC)),
    ]


async def test_the_agent_refuses_a_local_date_time_in_lab_toml_before_sending(tmp_path):
    (tmp_path / "lab.toml").write_text(LAB_TOML.replace("2027-01-01\n", "2027-01-01T09:00:00\n", 1))
    child = await asyncio.create_subprocess_exec(
        *LABBOOK, "agent", "run", "--lab", "lab-x", "--token", token("lab", "lab-x"),
        "--config", str(tmp_path / "lab.toml"), "--url", "http://127.0.0.1:9", cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(child.communicate(), 60)
    assert child.returncode == 2
    assert ("available_from 2027-01-01T09:00:00 has no time zone: add an offset such as +03:00 or Z, "
            "or give a date 2027-01-01 for the whole day") in err.decode()
