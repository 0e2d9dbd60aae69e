"""The labs service's domain errors, each with the HTTP status and code it answers with."""
from __future__ import annotations

import json

from pydantic import ValidationError

from schemas.states import IllegalTransition
from services.common.http import ApiError


def not_found(what: str = "lab") -> ApiError:
    # One message for "absent" and "not yours", so other labs' ids don't leak.
    return ApiError(404, "not_found", f"{what} not found")


def invalid(exc: ValidationError) -> ApiError:
    details = json.loads(exc.json(include_url=False))  # JSON-safe even when ctx holds exceptions
    first = details[0] if details else {}
    where = ".".join(str(p) for p in first.get("loc", ()))
    message = f"the request body is not valid: {where + ': ' if where else ''}{first.get('msg', '')}"
    return ApiError(422, "validation_error", message, details)


def unprocessable(code: str, message: str, details: object = None) -> ApiError:
    return ApiError(422, code, message, details)


def bad_query(message: str, details: object = None) -> ApiError:
    return ApiError(400, "bad_query", message, details)


def duplicate_certificate(certificate_no: str) -> ApiError:
    return ApiError(409, "duplicate_certificate",
                    f"register record {certificate_no} already belongs to another lab")


def duplicate_lab_id(lab_id: str) -> ApiError:
    return ApiError(409, "duplicate_lab_id", f"a lab with id {lab_id} is already registered")


def offer_expired() -> ApiError:
    return ApiError(409, "offer_expired", "the offer has expired")


def offer_answered(status: str) -> ApiError:
    return ApiError(409, "offer_not_pending", f"the offer is already {status}", {"status": status})


def illegal_transition(exc: IllegalTransition) -> ApiError:
    return ApiError(409, "illegal_transition", str(exc), {"status": exc.current})


def accreditation_inactive(status: str, valid_until) -> ApiError:
    return ApiError(409, "accreditation_inactive",
                    f"a report cannot be issued: the lab's accreditation is {status}, valid until {valid_until}",
                    {"status": status, "valid_until": str(valid_until)})
