"""Checks of labbook's AsyncAPI document, shared by the unit and integration tests.

`asyncapi-3.0.0.schema.json.gz` beside this file is the JSON Schema of AsyncAPI 3.0.0
documents as the AsyncAPI Initiative publishes it (npm package @asyncapi/specs 6.11.1,
`schemas/3.0.0-without-$id.json`, Apache-2.0), gzipped: it checks the document's
structure, its Kafka bindings and that each schema is a schema. (The PyPI packages
for AsyncAPI 3 are young or unmaintained; the specification's own schema is the
reference.)
"""
from __future__ import annotations

import gzip
import json
from functools import cache
from pathlib import Path

import jsonschema_rs

OFFICIAL = Path(__file__).with_name("asyncapi-3.0.0.schema.json.gz")


@cache
def official_validator():
    return jsonschema_rs.validator_for(json.loads(gzip.decompress(OFFICIAL.read_bytes())))


def structure_errors(doc: dict) -> list[str]:
    """What the AsyncAPI 3.0.0 schema finds wrong with the document (nothing, when valid)."""
    return [f"{'/'.join(map(str, e.instance_path))}: {e.message[:300]}"
            for e in official_validator().iter_errors(doc)]


def payload_validator(doc: dict, message: str):
    """A JSON Schema validator of one message's record value; its $refs resolve in the document."""
    payload = doc["components"]["messages"][message]["payload"]
    return jsonschema_rs.validator_for({**payload, "components": doc["components"]}, validate_formats=True)


def payload_errors(doc: dict, message: str, value: bytes) -> list[str]:
    instance = json.loads(value)
    return [f"{'/'.join(map(str, e.instance_path))}: {e.message[:300]}"
            for e in payload_validator(doc, message).iter_errors(instance)]
