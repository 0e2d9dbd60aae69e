"""The notifier API's request bodies and queries, with what people naturally type accepted.

`channel` and `language` in any case, `events` as kinds or status names, an email
address normalised, `failed_since` as a date (midnight UTC) or a date-time with
an offset.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal
from uuid import UUID

from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from schemas.moments import check_offset, parse_moment
from schemas.notifications import Channel, Language, parse_kind
from services.common import cursor

from . import targets

class SubscriptionBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    channel: Channel
    target: str = Field(min_length=3, max_length=2000, description="an email address, or an http(s) URL")
    language: Language = Language.RU
    events: list[str] = Field(default_factory=list, max_length=50,
                              description="kinds such as request.offered or status names such as OFFERED;"
                                          " empty: every kind")

    @field_validator("channel", "language", mode="before")
    @classmethod
    def _lower(cls, value):
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("events")
    @classmethod
    def _kinds(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(parse_kind(v).value for v in value))

    @model_validator(mode="before")
    @classmethod
    def _target(cls, data):
        if isinstance(data, dict) and isinstance(data.get("target"), str):
            channel = str(data.get("channel", "")).strip().lower()
            data = {**data, "target": _checked_target(channel, data["target"].strip())}
        return data


def _checked_target(channel: str, target: str) -> str:
    if channel == Channel.EMAIL:
        try:
            return validate_email(target, check_deliverability=False).normalized
        except EmailNotValidError as exc:
            raise ValueError(f"target is not an email address: {exc}") from None
    if channel == Channel.WEBHOOK:
        return targets.check_url(target)
    return target  # the channel's own error says what to fix


class PageQuery(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=100)


class NotificationsQuery(PageQuery):
    language: Language = Language.RU
    unread: bool = Field(default=False, description="only the unread ones")

    @field_validator("language", mode="before")
    @classmethod
    def _lower(cls, value):
        return value.strip().lower() if isinstance(value, str) else value


class DeliveriesQuery(PageQuery):
    status: Literal["held", "pending", "sending", "retrying", "delivered", "failed"] | None = None
    subscription_id: UUID | None = None

    @field_validator("status", mode="before")
    @classmethod
    def _lower(cls, value):
        return value.strip().lower() if isinstance(value, str) else value


class RedeliverQuery(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    failed_since: str = Field(description="a date (from midnight UTC) or a date-time with an offset")

    def since(self) -> datetime:
        return parse_since(self.failed_since)


def parse_since(text: str) -> datetime:
    """A date (from midnight UTC) or a date-time with an offset: the rule people's dates follow
    everywhere (schemas/moments.py)."""
    check_offset(text, field="failed_since")  # refused before the zone is named: there is no lab's zone here
    return parse_moment(text, timezone.utc, field="failed_since")


def encode_cursor(seq: int) -> str:
    return cursor.encode(f"n{seq}")


def decode_cursor(text: str) -> int:
    """Raises ValueError for anything encode_cursor did not make."""
    (raw,) = cursor.decode(text, 1)
    if not raw.startswith("n") or not (raw[1:].isascii() and raw[1:].isdigit()) or len(raw) > 20:
        raise ValueError("invalid cursor")
    return int(raw[1:])
