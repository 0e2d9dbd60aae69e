"""Settings of the scheduler worker (env prefix `SCHEDULER_`)."""
from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from schemas import planning

from services.common.settings import OffsetReset, ServerSettings


class SchedulerSettings(ServerSettings):
    # Frozen: matching caches what it derives from a settings object by its identity.
    model_config = SettingsConfigDict(env_prefix="SCHEDULER_", extra="ignore", frozen=True)

    port: int = 6066
    # faust-streaming 0.15.3 puts a send into the transaction of the *destination*
    # partition and commits a transaction only when a source partition with that number
    # has new offsets, so the scheduler's cross-partition sends (request -> lab keyed)
    # could sit uncommitted. At-least-once with idempotent handlers instead (DESIGN:
    # "otherwise at-least-once with idempotent reservation").
    processing_guarantee: Literal["exactly_once", "at_least_once"] = "at_least_once"
    # Where a new consumer group starts; tests on a shared broker use "latest".
    auto_offset_reset: OffsetReset = "earliest"
    # Faust's 60 s default session timeout made group joins take up to 110 s.
    session_timeout_s: float = 10.0
    heartbeat_interval_s: float = 1.0
    # How long the group waits for a member to rejoin a rebalance before dropping it; a
    # worker that cannot finish its revocation holds every other worker this long
    # (Faust's default: 60 s). A healthy one needs its in-flight events (a joint
    # assignment takes up to batch_time_limit_s) and a producer flush.
    rebalance_timeout_s: float = 30.0
    # /healthz answers 503 once the worker has held unprocessed input (lag or events in
    # hand) on a partition this long without finishing any event from it.
    stuck_after_s: float = 60.0
    # How long the producer gathers messages into one request to the broker. Faust's 0
    # sends nearly every message in a request of its own; the broker's CPU per request
    # was then the stack's largest single cost (bench/pipeline.py's CPU table).
    producer_linger_s: float = Field(0.005, ge=0)
    app_id: str = "labbook-scheduler"

    # --- offers ---
    offer_ttl_s: float = 48 * 3600.0  # an offer not answered within this expires (lab excluded)
    offer_scan_interval_s: float = 5.0  # how often each worker looks for expired offers

    # --- matching (services/booking/scheduler/matching.py); see bench/README.md ---
    # Hard constraints.
    liveness_hours: float = 72.0  # a lab agent silent longer than this gets no offers
    shipping_km_per_day: float = 500.0  # great-circle km a parcel covers per day (rounded up)
    reporting_days: int = planning.REPORTING_DAYS  # from test end to report issued
    # Soft score: lower is better; one unit ~ one day of later completion.
    weight_completion_per_day: float = 1.0  # per day from now to report issued
    weight_distance_per_100km: float = 0.1  # 1,000 km costs as much as one day
    weight_price_per_10k_rub: float = 0.05  # 200,000 RUB costs as much as one day
    weight_load: float = 2.0  # times the lab+method's reserved share of its window (0..1)
    bonus_preferred: float = 3.0  # a supplier's preferred lab may finish three days later
    # Joint assignment (assign_batch): requests arriving in one partition within this
    # window are assigned together; 0 matches each on arrival.
    batch_window_s: float = 1.0
    batch_candidates: int = 8  # best labs per request offered to the solver
    batch_time_limit_s: float = 2.0  # CP-SAT wall time; the greedy answer stands if it is better

    # --- planning ahead (planning.py) ---
    # False: every placement is offered in the round that makes it (the plan is still
    # joint per round), for stacks whose time is compressed (the demo: weeks in minutes),
    # where offers due days from now would never go out while anyone watches.
    plan_ahead: bool = True
    # How often the plan of every request not yet committed is re-optimised; a request
    # whose offer falls due before the next round is committed (offered) in this one.
    plan_round_s: float = Field(300.0, gt=0)
    # Extra time before an offer's latest moment (the lab's answer window offer_ttl_s plus
    # shipping before the planned start), so a late answer or a decline still leaves
    # time to place the request elsewhere.
    offer_lead_s: float = Field(12 * 3600.0, ge=0)
    # CP-SAT deterministic seconds per solve of a round's method (two solves: the most
    # placed, then the lowest score); a round re-solves the methods where a request
    # arrived, so it must stay short. (Scaled with the round's newcomers, 2 s for the
    # first round of a backlog, it placed 251 where this places 281: bench/README.md.)
    plan_time_limit_s: float = Field(0.25, gt=0)
