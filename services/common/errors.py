"""Errors every service answers with the same status, code and shape.

`ApiError` carries its HTTP status; the middleware (http.py) renders it as
schemas.errors.ErrorBody.
"""
from __future__ import annotations

import json

from pydantic import ValidationError

from schemas.states import IllegalTransition



class ApiError(Exception):
    """A domain error with its HTTP status; the middleware renders it."""

    def __init__(self, status: int, code: str, message: str, details: object = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def invalid(exc: ValidationError, message: str | None = None) -> ApiError:
    """422 with pydantic's errors as details; by default the message names the first field."""
    details = json.loads(exc.json(include_url=False))  # JSON-safe even when ctx holds exceptions
    if message is None:
        first = details[0] if details else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        message = f"the request body is not valid: {where + ': ' if where else ''}{first.get('msg', '')}"
    return ApiError(422, "validation_error", message, details)


def illegal_transition(exc: IllegalTransition) -> ApiError:
    return ApiError(409, "illegal_transition", str(exc), {"status": exc.current})


def bad_query(message: str, details: object = None) -> ApiError:
    return ApiError(400, "bad_query", message, details)
