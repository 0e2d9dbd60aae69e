"""JSON request bodies, read the same way by every service.

Malformed JSON is a 400; text PostgreSQL cannot store (lone surrogates such as
"\\ud800", the NUL character) is refused here, before it can reach SQL as a 500.
Both were found by schemathesis.
"""
from __future__ import annotations

import json
from typing import Any

from .errors import ApiError


def malformed_json(reason: str) -> ApiError:
    return ApiError(400, "malformed_json", f"the body is not a JSON object: {reason}")


def json_body(raw: bytes, *, empty_ok: bool = False) -> Any:
    if empty_ok and not raw.strip():
        return {}
    try:
        data = json.loads(raw)
        json.dumps(data, ensure_ascii=False).encode()  # raises on lone surrogates
    except (UnicodeDecodeError, UnicodeEncodeError, json.JSONDecodeError) as exc:
        raise malformed_json(str(exc)) from None
    if _has_nul(data):
        raise ApiError(422, "validation_error",
                       "the request body is not valid: text must not contain the NUL character (U+0000)")
    return data


def _has_nul(data: Any) -> bool:
    if isinstance(data, str):
        return "\x00" in data
    if isinstance(data, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in data.items())
    if isinstance(data, list):
        return any(_has_nul(v) for v in data)
    return False
