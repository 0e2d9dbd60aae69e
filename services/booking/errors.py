"""Booking's domain errors, each with the HTTP status and code it answers with."""
from __future__ import annotations

from pydantic import ValidationError

from services.common import errors as common
from services.common.errors import ApiError, bad_query, illegal_transition  # noqa: F401  (booking's errors too)


def not_found() -> ApiError:
    # One message for "absent" and "not yours", so ids of other tenants don't leak.
    return ApiError(404, "not_found", "request not found")


def invalid(exc: ValidationError) -> ApiError:
    return common.invalid(exc, "the request body is not valid")
