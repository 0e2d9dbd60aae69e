"""Answers of the staff insight routes beyond the queue itself (GET /v1/insight/*): the
localisation case (capacity gaps) — what added testing capacity would place.

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
