"""The calendar attachment (iCalendar, RFC 5545/5546) of scheduled and cancelled jobs.

One event per request: its UID is `{request_id}@labbook`, so a re-schedule updates the
same event in the reader's calendar and a cancellation removes it. SEQUENCE is the
status's per-request sequence number, which only grows along a request's timeline; a
cancellation adds one so that it outranks a schedule carrying the same number (the lab
side may not know the supplier-side sequence).
"""
from __future__ import annotations

from datetime import datetime, timezone

from icalendar import Calendar, Event, vCalAddress, vText

from schemas.catalogue import get_method
from schemas.notifications import Kind, Language

from .context import MessageContext

PRODID = "-//labbook//notifier//EN"
REQUEST, CANCEL = "REQUEST", "CANCEL"
METHODS = {Kind.REQUEST_SCHEDULED: REQUEST, Kind.JOB_SCHEDULED: REQUEST,
           Kind.REQUEST_CANCELLED: CANCEL, Kind.JOB_CANCELLED: CANCEL}
_FALLBACK_TITLE = {Language.RU: "Испытания labbook", Language.EN: "labbook test job"}
_LINK = {Language.RU: "Заявка в labbook", Language.EN: "The request in labbook"}
_CANCELLED = {Language.RU: "Испытания отменены", Language.EN: "The test job is cancelled"}


def calendar_method(ctx: MessageContext) -> str | None:
    """REQUEST or CANCEL when this notice carries a calendar, else None."""
    method = METHODS.get(ctx.kind)
    if method is None or ctx.request_id is None:
        return None
    if method == REQUEST and (ctx.planned_start is None or ctx.planned_end is None):
        return None
    return method


def calendar_for(ctx: MessageContext, language: Language, *, organizer: str | None = None) -> bytes | None:
    """The .ics for a scheduled or cancelled job; `organizer` is the sender's address (RFC 5546 wants one)."""
    method = calendar_method(ctx)
    if method is None:
        return None
    language = Language(language)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", method)
    cal.add_component(_event(ctx, language, method, organizer))
    return cal.to_ical()


def _event(ctx: MessageContext, language: Language, method: str, organizer: str | None) -> Event:
    event = Event()
    event.add("uid", f"{ctx.request_id}@labbook")
    event.add("sequence", (ctx.seq or 0) + (1 if method == CANCEL else 0))
    event.add("dtstamp", _utc(ctx.occurred_at))
    if ctx.planned_start is not None and ctx.planned_end is not None:
        event.add("dtstart", _utc(ctx.planned_start))
        event.add("dtend", _utc(ctx.planned_end))
    event.add("summary", _summary(ctx, language), parameters={"LANGUAGE": language.value})
    if ctx.lab_name:
        event.add("location", ", ".join(p for p in (ctx.lab_name, ctx.lab_city) if p))
    event.add("description", _description(ctx, language, method))
    if ctx.request_url:
        event.add("url", ctx.request_url)
    event.add("status", "CANCELLED" if method == CANCEL else "CONFIRMED")
    if organizer:
        address = vCalAddress(f"mailto:{organizer}")
        address.params["CN"] = vText("labbook")
        event.add("organizer", address)
    return event


def _summary(ctx: MessageContext, language: Language) -> str:
    """The method's title in the reader's language and the component: what the calendar shows."""
    method = get_method(ctx.method_code) if ctx.method_code else None
    title = (method.title_ru if language == Language.RU else method.title_en) if method else ctx.method_code
    parts = [p for p in (title, ctx.component_name) if p]
    return " — ".join(parts) if parts else _FALLBACK_TITLE[language]


def _description(ctx: MessageContext, language: Language, method: str) -> str:
    lines = [_CANCELLED[language]] if method == CANCEL else []
    if ctx.request_url:
        lines.append(f"{_LINK[language]}: {ctx.request_url}")
    return "\n".join(lines)


def _utc(value: datetime) -> datetime:
    """Times go out in UTC (no VTIMEZONE needed); naive event times are UTC already."""
    return value.astimezone(timezone.utc) if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
