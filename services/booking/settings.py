"""Settings of the booking-api process (env prefix `BOOKING_`)."""
from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import OffsetReset, ServerSettings


class BookingSettings(ServerSettings):
    model_config = SettingsConfigDict(env_prefix="BOOKING_", extra="ignore")

    port: int = 8081
    # The read model's consumer group; tests give each app its own.
    status_group: str = "booking-status"
    status_offset_reset: OffsetReset = "earliest"
    sse_heartbeat_s: float = Field(15.0, gt=0)
    status_feed_poll_s: float = Field(0.25, gt=0)  # how often the live feed looks for new statuses
    # A request still SUBMITTED this long after its RequestSubmitted went out has it sent
    # again (redrive.py); 0 switches that off.
    resend_submitted_after_s: float = Field(300.0, ge=0)
    # GET /v1/insight/capacity-gaps plans again once the queue or supply moved, or its
    # answer is older than this, ...
    capacity_gaps_max_age_s: float = Field(600.0, ge=0)
    capacity_gaps_min_age_s: float = Field(30.0, ge=0)  # ... and is answered again for this long whatever moved
    # The planner's CP-SAT time per run in those what-ifs (the scheduler's own is
    # SCHEDULER_BATCH_TIME_LIMIT_S): a hundred runs on a survey-sized queue.
    capacity_gaps_solve_s: float = Field(0.3, gt=0)
    # bench/api.py: serve GET /bench/hello through the same middlewares, as a baseline.
    bench_hello: bool = False
