"""Placing a batch's results on a calendar: book and take back, and complete a plan
by matching its leftovers one by one (assignment.py, jointscore.py)."""
from __future__ import annotations

from collections.abc import Iterable

from .calendar import Calendar
from .matching import Assignment, LabState, Unmatched, index_labs, match_one

Result = Assignment | Unmatched


def book(calendar: Calendar, labs: dict[str, LabState], a: Assignment) -> bool:
    windows = labs[a.lab_id].terms[a.method].windows
    return calendar.reserve(a.lab_id, a.method, a.request_id, a.start, a.end, windows)


def unbook(calendar: Calendar, results: Iterable[Result]) -> None:
    for r in results:
        if isinstance(r, Assignment):
            calendar.release(r.lab_id, r.method, r.request_id)


def complete(demands, placed: list[Result | None], labs, calendar, now, settings, repair: bool) -> list[Result] | None:
    """Book the placements (None if one does not fit), then match the leftovers one by one
    (with `repair`; else they stay unplaced). Leaves `calendar` as it was."""
    by_id = index_labs(labs).by_id
    results: list[Result | None] = [None] * len(demands)
    try:
        for i, a in enumerate(placed):
            if a is not None:
                if not book(calendar, by_id, a):
                    return None
                results[i] = a
        for i, demand in enumerate(demands):
            if results[i] is None and not repair:
                results[i] = Unmatched(demand.request_id, "not_placed_offline")
            elif results[i] is None:
                results[i] = match_one(demand, labs, calendar, now, settings)
                if isinstance(results[i], Assignment):
                    book(calendar, by_id, results[i])
        return results
    finally:
        unbook(calendar, [r for r in results if r is not None])
