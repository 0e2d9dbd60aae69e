"""Settings of the notifier process (env prefix `NOTIFIER_`)."""
from __future__ import annotations

import re

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from services.common.settings import OffsetReset, ServerSettings

DAY_S = 86_400.0
# The dispatcher claims up to this many times its concurrency ahead of the sends, so a
# claim's round trip never leaves them idle (4: measured best in bench/notifier.py).
CLAIM_AHEAD = 4
UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": DAY_S}
DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")


def parse_durations(text: str) -> tuple[float, ...]:
    """'5s,5m,30m,2h' -> seconds; the retry schedule is written the way people say it."""
    out = []
    for part in text.split(","):
        match = DURATION_RE.match(part)
        if not match:
            raise ValueError(f"{part.strip()!r} is not a duration; write e.g. 500ms, 5s, 5m, 2h or 1d")
        out.append(float(match[1]) * UNITS[match[2]])
    return tuple(out)


class NotifierSettings(ServerSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFIER_", extra="ignore")

    port: int = 8083
    # The events consumer's group; tests give each notifier its own.
    group: str = "notifier"
    offset_reset: OffsetReset = "earliest"
    # Mail: the local stack's catcher (labbook up) by default, Mailpit in compose.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(1025, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_timeout_s: float = Field(10.0, gt=0)
    mail_from: str = "labbook <notifications@labbook.local>"
    smtp_connections: int = Field(8, ge=1, le=100)  # kept open to the SMTP server (at most `concurrency`)
    # Webhooks: private and loopback targets only where the deployer says so.
    allow_private_targets: bool = False
    webhook_timeout_s: float = Field(10.0, gt=0)
    # Retries after the first attempt (then failed and dead-lettered); jitter +-20 %.
    retry_schedule: str = "5s,5m,30m,2h,5h,10h,24h"
    disable_after_failing_s: float = Field(5 * DAY_S, gt=0)  # failing this long: disabled
    secret_overlap_s: float = Field(DAY_S, ge=0)  # a rotated secret keeps signing this long
    # Sending: bounded in total and per target, so one slow target never holds up others.
    concurrency: int = Field(32, ge=1, le=1000)
    per_target_concurrency: int = Field(4, ge=1, le=100)
    dispatch_batch: int = Field(200, ge=1, le=5000)
    dispatch_poll_s: float = Field(0.5, gt=0)
    lease_s: float = Field(60.0, gt=0)  # a claimed delivery left this long by a dead process is retried
    details_wait_s: float = Field(5.0, ge=0)  # wait this long for a request's details before sending without
    # Links in messages, and the staff notice of accreditations ending within lapse_days.
    request_url: str = "http://127.0.0.1:8081/v1/requests/{id}"
    lapse_days: int = Field(30, ge=1, le=365)
    lapse_check_s: float = Field(3600.0, gt=0)

    @field_validator("retry_schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        parse_durations(value)
        return value

    @field_validator("request_url")
    @classmethod
    def _template(cls, value: str) -> str:
        if "{id}" not in value:
            raise ValueError("must contain {id}, where the request id goes")
        return value

    @model_validator(mode="after")
    def _lease_outlasts_a_send(self) -> "NotifierSettings":
        # A claimed delivery may wait for the sends claimed before it and then take its own:
        # if the lease ran out first, this very process could claim and send it a second time.
        longest = CLAIM_AHEAD * max(self.webhook_timeout_s, self.smtp_timeout_s)
        if self.lease_s <= longest:
            raise ValueError(f"NOTIFIER_LEASE_S ({self.lease_s:g}) must exceed {CLAIM_AHEAD} times the longer"
                             f" send timeout ({longest:g} s)")
        return self

    def retry_delays(self) -> tuple[float, ...]:
        return parse_durations(self.retry_schedule)
