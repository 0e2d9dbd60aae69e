"""Property-based tests of the labs API from its own OpenAPI document (schemathesis).

Every documented operation gets generated requests, valid and invalid, against a
real labs-api process: once with a staff token, once with the token of a lab
registered there (the `{id}` of valid calls to lab routes is that lab, so profile
edits, capacity and liveness are exercised past the 404). None may answer 5xx, and every answer
must match the documented schema for its status. The document is built in-process
and is the one the process serves (test_served_document_is_the_tested_one).
"""
from __future__ import annotations

import json
import urllib.request

import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from services.labs.routes import setup_routes

from .conftest import token

MAX_EXAMPLES = 20
DOCUMENT = setup_routes(web.Application()).build()
schema = schemathesis.openapi.from_dict(DOCUMENT)
STAFF_HEADERS = {"Authorization": f"Bearer {token('staff')}"}
CHECKS = [not_a_server_error, response_schema_conformance]


def test_served_document_is_the_tested_one(labs_url):
    with urllib.request.urlopen(f"{labs_url}/openapi.json", timeout=10) as response:
        assert json.load(response) == json.loads(json.dumps(DOCUMENT))


def _on_lab(case, lab_id: str) -> None:
    """Point valid calls of the lab routes at the registered lab (random ids only ever find 404);
    invalid ones keep their generated id."""
    if case.path.startswith("/v1/labs/{id}") and case.meta and case.meta.generation.mode == GenerationMode.POSITIVE:
        case.path_parameters = {**(case.path_parameters or {}), "id": lab_id}


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_labs_api_as_staff(case, labs_url, lab_id):
    _on_lab(case, lab_id)
    case.call_and_validate(base_url=labs_url, headers=STAFF_HEADERS, timeout=10, checks=CHECKS)


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_labs_api_as_a_lab(case, labs_url, lab_id):
    _on_lab(case, lab_id)
    headers = {"Authorization": f"Bearer {token('lab', lab_id)}"}
    case.call_and_validate(base_url=labs_url, headers=headers, timeout=10, checks=CHECKS)
