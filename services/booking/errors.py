"""Booking's domain errors, each with the HTTP status and code it answers with."""
from __future__ import annotations

import json

from pydantic import ValidationError

from schemas.states import IllegalTransition
from services.common.http import ApiError


def not_found() -> ApiError:
    # One message for "absent" and "not yours", so ids of other tenants don't leak.
    return ApiError(404, "not_found", "request not found")


def invalid(exc: ValidationError) -> ApiError:
    # exc.json() makes every detail JSON-safe (ctx may hold exception objects).
    details = json.loads(exc.json(include_url=False))
    return ApiError(422, "validation_error", "the request body is not valid", details)


def illegal_transition(exc: IllegalTransition) -> ApiError:
    return ApiError(409, "illegal_transition", str(exc), {"status": exc.current})


def idempotency_key_reused() -> ApiError:
    return ApiError(422, "idempotency_key_reused",
                    "this Idempotency-Key was already used with a different body")


def bad_query(message: str, details: object = None) -> ApiError:
    return ApiError(400, "bad_query", message, details)
