"""A lab's capacity windows as instants: resolved in the lab's zone, none inverted or overlapping. No I/O here."""
from __future__ import annotations

from datetime import tzinfo

from schemas.events import CapacityItem
from schemas.labs_api import CapacityBody, CapacityWindow
from schemas.moments import parse_moment


def capacity_items(body: CapacityBody, zone: tzinfo) -> tuple[CapacityItem, ...]:
    """The windows as instants (a date: that whole day in `zone`); ValueError for a naive
    date-time, an inverted window or two that overlap."""
    items = tuple(_instants(f"items[{i}]", w, zone) for i, w in enumerate(body.items))
    check_windows(items)
    return items


def _instants(where: str, window: CapacityWindow, zone: tzinfo) -> CapacityItem:
    return CapacityItem(
        method_code=window.method_code, slots=window.slots,
        available_from=parse_moment(window.available_from, zone, field=f"{where}.available_from"),
        available_to=parse_moment(window.available_to, zone, field=f"{where}.available_to", end_of_day=True))


def check_windows(items: tuple[CapacityItem, ...]) -> None:
    by_method: dict[str, list[CapacityItem]] = {}
    for i, item in enumerate(items):
        if item.available_to <= item.available_from:
            raise ValueError(f"items[{i}]: available_to must be after available_from")
        by_method.setdefault(item.method_code, []).append(item)
    for method, windows in by_method.items():
        windows.sort(key=lambda it: it.available_from)
        for a, b in zip(windows, windows[1:]):
            if b.available_from < a.available_to:
                raise ValueError(f"overlapping capacity windows for {method}: "
                                 f"{a.available_from}..{a.available_to} and {b.available_from}..{b.available_to}")


def outside_scope(items: tuple[CapacityItem, ...], scope: list[dict]) -> list[str]:
    allowed = {s["method_code"] for s in scope}
    return sorted({i.method_code for i in items} - allowed)
