"""Property-based tests of the notifier API from its own OpenAPI document (schemathesis).

Generated requests, valid and invalid, against a real notifier process, as a supplier
and as staff: none may answer 5xx, and every answer must match the documented schema
for its status. No traffic leaves the machine: a generated webhook URL naming a host
gets 127.0.0.1 in its place (so the notifier never asks DNS), and the process refuses
loopback targets, as in production.
"""
from __future__ import annotations

import ipaddress
import json
import urllib.request
from urllib.parse import urlsplit

import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from services.notifier.routes import setup_routes

from .conftest import token

MAX_EXAMPLES = 20
DOCUMENT = setup_routes(web.Application()).build()
schema = schemathesis.openapi.from_dict(DOCUMENT)
CHECKS = [not_a_server_error, response_schema_conformance]


def test_served_document_is_the_tested_one(notifier_url):
    with urllib.request.urlopen(f"{notifier_url}/openapi.json", timeout=10) as response:
        assert json.load(response) == json.loads(json.dumps(DOCUMENT))


def _loopback_only(case) -> None:
    body = case.body if isinstance(case.body, dict) else {}
    target = body.get("target")
    if isinstance(target, str):
        try:
            host = urlsplit(target).hostname
        except ValueError:
            return
        if host:
            try:
                ipaddress.ip_address(host)
            except ValueError:
                case.body = {**body, "target": "http://127.0.0.1/generated"}


def _call_as(case, notifier_url: str, role: str, org: str) -> None:
    _loopback_only(case)
    headers = {"Authorization": f"Bearer {token(role, org)}"}
    case.call_and_validate(base_url=notifier_url, headers=headers, timeout=10, checks=CHECKS)


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_notifier_api_as_a_supplier(case, notifier_url):
    _call_as(case, notifier_url, "supplier", "e2e-supplier")


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_notifier_api_as_staff(case, notifier_url):
    _call_as(case, notifier_url, "staff", "cluster")
