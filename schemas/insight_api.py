"""Answers of the staff insight routes beyond the queue itself (GET /v1/insight/*): the
localisation case (capacity gaps) — what added testing capacity would place — and the
live queue's flow (backlog ages, throughput, lead times, offers waiting on labs).

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
    lab_id: str
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
