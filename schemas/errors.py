"""The one error shape every labbook API answers with.

`{"error": {"code", "message", "details"}}` (DESIGN.md, "Public contract").
"""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class ErrorInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    message: str
    details: Any = None


class ErrorBody(BaseModel):
    model_config = ConfigDict(frozen=True)

    error: ErrorInfo


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return ErrorBody(error=ErrorInfo(code=code, message=message, details=details)).model_dump(mode="json")
