"""The demo's world: the survey's shape, valid for the public APIs, the same for a seed."""
from collections import Counter
from datetime import date, timedelta

import pytest

from schemas.booking_api import SubmitRequest
from schemas.labs_api import RegisterLab
from services.cli.demo import world as w

TODAY = date(2026, 12, 1)


@pytest.fixture(scope="module")
def world():
    return w.build(7, TODAY)


def test_a_seed_builds_the_same_world_and_another_seed_another(world):
    assert w.build(7, TODAY) == world
    assert w.build(8, TODAY).requests != world.requests


def test_labs_are_about_forty_in_at_least_fifteen_regions_at_their_cities(world):
    assert len(world.labs) == 40 and len({lab.region for lab in world.labs}) >= 15
    togliatti = next(lab for lab in world.labs if lab.id == "demo-togliatti-auto")
    assert (togliatti.city, togliatti.lat, togliatti.lon) == ("Togliatti", 53.5303, 49.3461)
    assert len({lab.certificate for lab in world.labs}) == 40 and len({lab.inn for lab in world.labs}) == 40


def test_every_lab_and_request_is_what_the_apis_accept(world):
    for lab in world.labs:
        RegisterLab.model_validate(lab.body(), context={"today": TODAY})
    for request in world.requests:
        SubmitRequest.model_validate(request.body, context={"today": TODAY})


def test_some_accreditations_end_soon_and_one_agent_is_offline(world):
    left = sorted((lab.valid_until - TODAY).days for lab in world.labs)
    assert left[:3] == [12, 20, 27] and sum(1 for d in left if d <= 90) == 6
    agents = Counter(lab.agent for lab in world.labs)
    assert agents["offline"] == 1 and agents["slow"] >= 3 and agents["manual"] >= 1


def test_suppliers_are_the_surveys_102_in_23_russian_regions_and_a_few_abroad(world):
    regions = [s.region for s in world.suppliers]
    assert len(world.suppliers) == 102 and len({s.org for s in world.suppliers}) == 102
    assert len({r for r in regions if r.startswith("RU-")}) == 23
    assert {r[:2] for r in regions} == {"RU", "BY", "UZ"}


def test_requests_are_a_backlog_then_arrivals_with_keys_of_their_own(world):
    assert len(world.requests) == 1320 and sum(r.backlog for r in world.requests) == 1000
    assert all(r.backlog for r in world.requests[:1000]) and not any(r.backlog for r in world.requests[1000:])
    assert len({r.key for r in world.requests}) == 1320
    for r in world.requests:
        assert TODAY + timedelta(days=14) <= date.fromisoformat(r.body["deadline"]) <= TODAY + timedelta(days=160)


def test_some_methods_asked_for_are_held_by_no_lab(world):
    held = {method for lab in world.labs for method, _, _ in lab.scope}
    asked = Counter(r.body["method_code"] for r in world.requests)
    assert not held & set(w.UNHELD)
    assert sum(asked[m] for m in w.UNHELD) >= 50


def test_capacity_covers_every_scope_method_and_some_labs_stop_for_maintenance(world):
    for lab in world.labs:
        assert {win.method_code for win in lab.capacity} == {m for m, _, _ in lab.scope}
    per_method = Counter((lab.id, win.method_code) for lab in world.labs for win in lab.capacity)
    assert any(n == 2 for n in per_method.values())
