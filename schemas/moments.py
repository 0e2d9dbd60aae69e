"""Date-times people type: an ISO date (a whole day in a time zone) or a date-time with an offset.

A lab manager thinks in days. `2026-12-01` as the start of a window is 00:00 that day in
the lab's zone, as its end the end of that day (00:00 of the next), so 2026-12-01 ..
2026-12-31 covers December. A date-time without an offset is refused, never guessed:
in a country of eleven zones a guess shifts a window by up to ten hours.

`read_moment` only tells what was typed (no zone needed); `parse_moment` turns it into
an instant in the zone of the lab it is about.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Annotated, Any

from pydantic import PlainSerializer, PlainValidator, TypeAdapter, ValidationInfo, WithJsonSchema

DAY_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
# A date, then a time: keeps pydantic from reading "1700000000" as a Unix time.
DATE_TIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\S.*")
_DATETIME = TypeAdapter(datetime)  # pydantic's RFC 3339 reading, the one AwareDatetime fields use
DESCRIPTION = ("an ISO date such as 2026-12-01 (a day in the lab's own time zone, from its region) "
               "or a date-time with an offset such as 2026-12-01T09:00:00+03:00 or ...Z")


def today_utc() -> date:
    """Today's date in UTC: the default `today` of the API bodies' date rules."""
    return datetime.now(timezone.utc).date()


def described(meaning_of_a_date: str) -> str:
    """A field's description: what a date means there, then the two forms."""
    return (f"an ISO date ({meaning_of_a_date}) or a date-time with an offset, "
            "e.g. 2026-12-01 or 2026-12-01T09:00:00+03:00 or 2026-12-01T06:00:00Z")


def read_moment(value: Any, *, field: str) -> date | datetime:
    """A date, or a datetime (naive too: refusing it is the caller's, who may know the zone to suggest)."""
    if isinstance(value, date):  # datetime is a date too
        return value
    text = value.strip() if isinstance(value, str) else None
    try:
        if text is not None and DAY_RE.fullmatch(text):
            return date.fromisoformat(text)
        if text is not None and DATE_TIME_RE.fullmatch(text):
            return _DATETIME.validate_python(text)
    except ValueError:  # pydantic's ValidationError is one
        pass
    raise ValueError(f"{field} {_shown(value)} is neither an ISO date such as 2026-12-01 "
                     "nor a date-time with an offset such as 2026-12-01T09:00:00+03:00")


def check_offset(value: Any, *, field: str, zone: tzinfo | None = None) -> date | datetime:
    """A date or an aware datetime; ValueError saying what to add to a naive one."""
    moment = read_moment(value, field=field)
    if isinstance(moment, datetime) and moment.utcoffset() is None:
        raise ValueError(no_offset(field, value, moment, zone))
    return moment


def parse_moment(value: Any, zone: tzinfo, *, field: str, end_of_day: bool = False) -> datetime:
    """The instant meant: a date is 00:00 in `zone` of that day (of the next with `end_of_day`)."""
    moment = check_offset(value, field=field, zone=zone)
    try:
        if not isinstance(moment, datetime):
            day = moment + timedelta(days=1) if end_of_day else moment
            moment = datetime.combine(day, time(), tzinfo=zone)
        moment.astimezone(timezone.utc)  # year 1 at +05:00 is before year 1 in UTC
    except OverflowError:
        raise ValueError(f"{field} {_shown(value)} is out of range") from None
    return moment


def no_offset(field: str, value: Any, naive: datetime, zone: tzinfo | None) -> str:
    example = "+03:00" if zone is None else f"{_offset(zone, naive)} (the lab's zone, {zone})"
    return (f"{field} {_shown(value)} has no time zone: add an offset such as {example} or Z, "
            f"or give a date {naive.date().isoformat()} for the whole day")


def _offset(zone: tzinfo, naive: datetime) -> str:
    minutes = int(zone.utcoffset(naive).total_seconds() // 60)
    sign, minutes = ("-" if minutes < 0 else "+"), abs(minutes)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _shown(value: Any) -> str:
    text = value.strip() if isinstance(value, str) else value.isoformat() if isinstance(value, date) else repr(value)
    if not text:
        return '""'
    return text if len(text) <= 40 else text[:40] + "..."  # echo the input, not a megabyte of it


def _typed(value: Any, info: ValidationInfo) -> date | datetime:
    return read_moment(value, field=info.field_name or "value")


def _aware(value: Any, info: ValidationInfo) -> date | datetime:
    return check_offset(value, field=info.field_name or "value")


_SCHEMA = WithJsonSchema({"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}],
                          "description": DESCRIPTION})
_JSON = PlainSerializer(lambda v: v.isoformat(), return_type=str, when_used="json")
# As typed in an API body: the service resolves it in the lab's zone and refuses a naive
# date-time there, where the message can name that zone's offset.
TypedMoment = Annotated[date | datetime, PlainValidator(_typed), _SCHEMA, _JSON]
# A date or a date-time with an offset, for input read where the lab's zone is unknown (lab.toml).
DayOrInstant = Annotated[date | datetime, PlainValidator(_aware), _SCHEMA, _JSON]
