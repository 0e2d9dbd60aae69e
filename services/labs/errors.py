"""The labs service's domain errors, each with the HTTP status and code it answers with."""
from __future__ import annotations

from services.common.errors import ApiError, bad_query, illegal_transition, invalid  # noqa: F401  (labs' errors too)


def not_found(what: str = "lab") -> ApiError:
    # One message for "absent" and "not yours", so other labs' ids don't leak.
    return ApiError(404, "not_found", f"{what} not found")


def unprocessable(code: str, message: str, details: object = None) -> ApiError:
    return ApiError(422, code, message, details)


def duplicate_certificate(certificate_no: str) -> ApiError:
    return ApiError(409, "duplicate_certificate",
                    f"register record {certificate_no} already belongs to another lab")


def duplicate_lab_id(lab_id: str) -> ApiError:
    return ApiError(409, "duplicate_lab_id", f"a lab with id {lab_id} is already registered")


def offer_expired() -> ApiError:
    return ApiError(409, "offer_expired", "the offer has expired")


def offer_answered(status: str) -> ApiError:
    return ApiError(409, "offer_not_pending", f"the offer is already {status}", {"status": status})


def accreditation_inactive(status: str, valid_until) -> ApiError:
    return ApiError(409, "accreditation_inactive",
                    f"a report cannot be issued: the lab's accreditation is {status}, valid until {valid_until}",
                    {"status": status, "valid_until": str(valid_until)})
