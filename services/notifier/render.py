"""A notice in words: the email's subject, plain text and HTML; the in-app feed's title and summary.

Templates live in templates/{ru,en}/:
- `words.txt`: the phrases every message shares (`about`, the component; `lab`) and the
  labelled `facts` a message lists (component, method, samples, deadline, lab, dates...);
- `subjects.txt`: every kind's subject, the one place per language;
- `{kind}.txt`: the kind's own words, in blocks `summary` (also the feed's body) and `next`;
- `base.txt`, `base.html` and `{kind}.html`: the layouts; `base.html` only gives its
  words to templates/layout.html, the HTML layout of both languages.
A kind's words are written once, in its .txt: the blocks are rendered first and handed to
both layouts as plain strings, so the HTML escapes them and never says something else.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from babel.dates import format_time, get_timezone, get_timezone_name
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape

from schemas.catalogue import get_method
from schemas.notifications import Language
from schemas.reasons import reason_label
from schemas.regions import get_region

from services.common.words import format_day, plural

from .context import MessageContext
from .ics import calendar_method

DISPLAY_TZ = "Europe/Moscow"  # where the labs and most suppliers are; every time is shown in it
TEMPLATES = Path(__file__).parent / "templates"
WRAP = 76  # plain-text line length, as mail clients expect


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Remaining:
    """Time left, in days, or in hours when under two days (a 47-hour offer is not "1 day")."""

    n: int
    unit: str  # "days" | "hours"


def aware(value: datetime) -> datetime:
    """Naive datetimes in events are UTC (the scheduler writes UTC)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def format_moment(value: datetime, language: str) -> str:
    """Date and time in DISPLAY_TZ, the zone named: 10 декабря 2026 г., 10:00 (Москва)."""
    tz = get_timezone(DISPLAY_TZ)
    local = aware(value).astimezone(tz)
    zone = get_timezone_name(tz, "long", zone_variant="generic", locale=str(language))
    return f"{format_day(local.date(), language)}, {format_time(local, 'short', locale=str(language))} ({zone})"


def days_until(day: date | None, now: datetime) -> int | None:
    """Whole days from `now`'s date (in DISPLAY_TZ) to `day`; None when unknown or past."""
    if day is None:
        return None
    days = (day - aware(now).astimezone(get_timezone(DISPLAY_TZ)).date()).days
    return days if days >= 0 else None


def time_until(moment: datetime | None, now: datetime) -> Remaining | None:
    if moment is None or aware(moment) <= aware(now):
        return None
    left = aware(moment) - aware(now)
    if left >= timedelta(days=2):
        return Remaining(left.days, "days")
    return Remaining(math.ceil(left / timedelta(hours=1)), "hours")


@pass_context
def _plural(context, n: int, **forms: str) -> str:
    return plural(n, context["lang"], **forms)


@pass_context
def _date_filter(context, value: date) -> str:
    return format_day(value, context["lang"])


@pass_context
def _datetime_filter(context, value: datetime) -> str:
    return format_moment(value, context["lang"])


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,  # a misspelt name fails the tests instead of printing nothing
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False, default=False),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["plural"] = _plural
    env.filters["date"] = _date_filter
    env.filters["datetime"] = _datetime_filter
    # A label inside a sentence ("Причина: нет мощностей до срока"); keeps acronyms, unlike `lower`.
    env.filters["decap"] = lambda text: text[:1].lower() + text[1:]
    return env


ENV = _environment()


def _facts(ctx: MessageContext, language: Language) -> dict[str, Any]:
    """What the templates read besides ctx: catalogue and region names, labels, time left."""
    method = get_method(ctx.method_code) if ctx.method_code else None
    region = get_region(ctx.ship_from_region) if ctx.ship_from_region else None
    ru = language == Language.RU
    return {
        "ctx": ctx,
        "lang": language.value,
        "method_title": (method.title_ru if ru else method.title_en) if method else None,
        "standard": method.standard if method else None,
        "region_name": (region.name_ru if ru else region.name_en) if region else ctx.ship_from_region,
        "reason_text": reason_label(ctx.reason, language.value) if ctx.reason else None,
        "ref": str(ctx.request_id)[:8] if ctx.request_id else None,
        "days_to_lapse": days_until(ctx.valid_until, ctx.occurred_at),
        "expires_in": time_until(ctx.expires_at, ctx.occurred_at),
        "calendar": calendar_method(ctx) is not None,  # the email carries an .ics (mail.py)
    }


def _variables(ctx: MessageContext, language: Language) -> dict[str, Any]:
    variables = _facts(ctx, language)
    words = ENV.get_template(f"{language.value}/words.txt").make_module(variables)
    variables.update(about=words.about, lab=words.lab, facts=words.facts)
    subjects = ENV.get_template(f"{language.value}/subjects.txt").make_module(variables).subjects
    variables["subject"] = _one_line(subjects[ctx.kind.value])
    return variables


# Only ASCII whitespace: CLDR dates hold narrow no-break spaces that must stay.
_SPACES = re.compile(r"[ \t\r\n]+")


def _one_line(text: str) -> str:
    return _SPACES.sub(" ", str(text)).strip()


def _block(name: str, block: str, variables: dict[str, Any]) -> str:
    """One block of a kind's .txt, as one paragraph ("" when the kind has none)."""
    template = ENV.get_template(name)
    render = template.blocks.get(block)
    return _one_line("".join(render(template.new_context(variables)))) if render else ""


def _words(ctx: MessageContext, language: Language) -> dict[str, Any]:
    variables = _variables(ctx, language)
    name = f"{language.value}/{ctx.kind.value}.txt"
    variables.update(summary=_block(name, "summary", variables), next=_block(name, "next", variables))
    return variables


def render_email(ctx: MessageContext, language: Language) -> Rendered:
    language = Language(language)
    variables = _words(ctx, language)
    base = f"{language.value}/{ctx.kind.value}"
    text = ENV.get_template(f"{base}.txt").render(variables, wrap=WRAP)
    html = ENV.get_template(f"{base}.html").render(variables)
    return Rendered(variables["subject"], text, html)


def render_title(ctx: MessageContext, language: Language) -> str:
    """The feed item's title: the email's subject."""
    return _variables(ctx, Language(language))["subject"]


def render_summary(ctx: MessageContext, language: Language) -> str:
    """The feed item's body: the kind's summary, one or two plain sentences."""
    return render_feed_item(ctx, language)[1]


def render_feed_item(ctx: MessageContext, language: Language) -> tuple[str, str]:
    """(title, summary) of a feed item, rendered together (each alone would render the words twice)."""
    words = _words(ctx, Language(language))
    return words["subject"], words["summary"]
