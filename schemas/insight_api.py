"""Answers of the staff insight routes beyond the queue itself (GET /v1/insight/*): the
localisation case (capacity gaps) — what added testing capacity would place — and the
live queue's flow (backlog ages, throughput, lead times, offers waiting on labs); the
labs' figures (utilisation, accreditations running out, silent agents).

Kept apart from booking_api.py, which holds what suppliers and staff both read.
"""
from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True)


class CapacityOption(_Body):
    """One what-if the scheduler's planner was run on: the current queue of a method with
    `slots` more parallel slots in `region`, available from `available_from` on."""

    region: str = Field(description="ISO 3166-2 code of the region the slots are added in")
    slots: int = Field(description="parallel slots (chambers, rigs) added for the method")
    available_from: date = Field(description="the first day the added slots can start tests")
    placed_more: int = Field(description="waiting requests the planner places within deadline that it cannot today")


class CapacityGap(_Body):
    method_code: str
    waiting: int = Field(description="requests of the method waiting for a lab (MATCHING or UNMATCHED)")
    unplaced: int = Field(description="of them, how many the planner cannot place within deadline with today's labs")
    suggestion: CapacityOption | None = Field(
        description="the addition found best: most placed, then fewest slots, then the latest start that "
                    "places as many; null when no addition tried places any more")
    by_month: list[CapacityOption] = Field(
        description="the suggestion's region and slots, available from the first day of each coming month")


class CapacityGaps(_Body):
    computed_at: datetime = Field(description="when the planner ran (answers are recomputed as the queue moves)")
    items: list[CapacityGap] = Field(description="methods with requests the planner cannot place, most unplaced first")
    unplaced: int = Field(description="waiting requests the planner cannot place within deadline, every method")
    placed_more: int = Field(description="of them, placed if every suggestion were built")


# ---- the live queue's flow (GET /v1/insight/flow) ----

class FlowQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    days: int = Field(14, ge=1, le=90, description="UTC days of throughput and lead times, today included")


class AgeBucket(_Body):
    key: str = Field(description="the bucket's stable name: 0-1d, 1-3d, 3-7d, 7-14d, 14-28d, 28d+")
    from_hours: int = Field(description="age since submission this bucket starts at (included)")
    to_hours: int | None = Field(description="age it ends at (excluded); null for the oldest bucket")
    total: int
    by_status: dict[str, int] = Field(description="every backlog status, zero included")


class FlowDay(_Body):
    day: date = Field(description="a UTC day")
    submitted: int
    accepted: int = Field(description="requests that reached ACCEPTED for the first time (a lab took the job)")
    report_issued: int
    cancelled: int


class LeadTime(_Body):
    count: int = Field(description="requests of the window that got this far, the figures' sample")
    p50_hours: float | None = Field(description="median hours from submission; null when count is 0")
    p90_hours: float | None = Field(description="90th percentile (interpolated, as percentile_cont)")


class MethodLeadTimes(_Body):
    method_code: str
    submitted: int = Field(description="requests of the method submitted in the window")
    to_offer: LeadTime = Field(description="submission to the first OFFERED")
    to_acceptance: LeadTime = Field(description="submission to the first ACCEPTED")


class LabOffers(_Body):
    lab_id: str = Field(description="the lab the offers wait on")
    count: int = Field(description="requests OFFERED to the lab now, waiting on its answer")
    oldest_age_hours: float = Field(description="hours since the oldest of these offers was made")


class QueueFlow(_Body):
    computed_at: datetime = Field(description="the moment every age and the window's end are taken from")
    days: int
    since: datetime = Field(description="the window's start: 00:00 UTC of its first day")
    backlog_statuses: list[str] = Field(description="what counts as backlog: open, no lab committed yet")
    backlog: list[AgeBucket] = Field(description="backlog by age since submission, youngest first")
    throughput: list[FlowDay] = Field(description="one row per day of the window, oldest first")
    lead_times: list[MethodLeadTimes] = Field(description="per method, over requests submitted in the window")
    offers_waiting: list[LabOffers] = Field(description="per lab, most offers first")


# --- labs: utilisation, accreditations running out, silent agents (GET /v1/insight/labs) ---

HORIZON_DAYS = 90  # how far ahead staff look: the utilisation span and the accreditations listed


class LabRef(_Body):
    lab_id: str
    name: str
    city: str
    region: str = Field(description="ISO 3166-2 code of the lab's region")


class LabMethodUse(LabRef):
    """One lab+method over the span [since, until) of the answer (the next 90 days)."""

    method_code: str
    available_hours: float = Field(
        description="slot-hours advertised within the span: each capacity window's slots times the hours of "
                    "the window inside [since, until); 0 when the lab advertises none for the method")
    booked_hours: float = Field(
        description="hours of the requests the lab holds for the method (OFFERED to IN_TESTING), each "
                    "planned_start..planned_end clipped to the same span; one without a plan counts 0")
    free_hours: float = Field(description="available_hours less booked_hours, never below 0")
    utilisation: float | None = Field(
        description="booked_hours / available_hours (0..1, above 1 when held work lies outside the windows "
                    "advertised now); null when nothing is advertised in the span")


class ExpiringAccreditation(LabRef):
    certificate_no: str
    status: str = Field(description="the accreditation's status: active, suspended or terminated")
    valid_until: date = Field(description="the last day it is valid (the whole day, UTC, as the scheduler reads it)")
    days_left: int = Field(description="days from today (UTC) to valid_until: 0 on its last day, negative once lapsed")
    holding: int = Field(description="requests the lab holds (OFFERED to IN_TESTING), every method")
    at_risk: int = Field(description="of them, planned to end after valid_until's day: their report could not be "
                                     "issued under this accreditation")


class SilentLab(LabRef):
    last_heartbeat: datetime | None = Field(description="the lab agent's last heartbeat; null: never heard from")
    hours_silent: float | None = Field(description="hours since last_heartbeat (0.1 h); null: never heard from")
    holding: int = Field(description="requests the lab holds (OFFERED to IN_TESTING), every method")


class LabsInsight(_Body):
    computed_at: datetime
    since: datetime = Field(description="start of the utilisation span: now")
    until: datetime = Field(description=f"end of the utilisation span: {HORIZON_DAYS} days from now")
    liveness_hours: float = Field(description="a lab agent silent longer than this gets no offers "
                                              "(the scheduler's SCHEDULER_LIVENESS_HOURS)")
    use: list[LabMethodUse] = Field(
        description="every lab with a profile, per method in its scope, advertised or held, by lab and method")
    expiring: list[ExpiringAccreditation] = Field(
        description=f"accreditations valid for at most {HORIZON_DAYS} more days (lapsed ones too), soonest first")
    silent: list[SilentLab] = Field(
        description="labs whose agent sent no heartbeat within liveness_hours, or never: never first, then "
                    "the longest silent")
