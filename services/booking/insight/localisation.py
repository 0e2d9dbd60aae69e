"""The localisation case as a page staff print for a meeting (GET /dashboard/localisation):
the map of demand and unmet requests, then per method the addition the planner found
(capacity.py) in a sentence — "2 more slots of Neutral salt spray in Samara Oblast from
Dec 1, 2026 would place 4 more requests within deadline" — and what waiting a month or
more would cost. Words by CLDR (services/common/words.py), in Russian or English.
"""
from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from schemas.catalogue import get_method
from schemas.insight_api import CapacityGap, CapacityGaps, CapacityOption
from schemas.regions import get_region
from services.common.words import format_day, number, plural

TEMPLATES = Path(__file__).parent.parent / "templates"
SLOTS = {"en": {"one": "more slot", "other": "more slots"},
         "ru": {"one": "дополнительное место", "few": "дополнительных места", "many": "дополнительных мест"}}
REQUESTS = {"en": {"one": "more request", "other": "more requests"},
            "ru": {"one": "заявку", "few": "заявки", "many": "заявок"}}
WAITING = {"en": {"one": "request", "other": "requests"}, "ru": {"one": "заявка", "few": "заявки", "many": "заявок"}}


def method_title(code: str, lang: str) -> str:
    method = get_method(code)
    return (method.title_en if lang == "en" else method.title_ru) if method else code


def region_name(code: str, lang: str) -> str:
    region = get_region(code)
    return (region.name_en if lang == "en" else region.name_ru) if region else code


def sentence(method_code: str, o: CapacityOption, lang: str) -> str:
    """What one addition would do, in a sentence a minister reads."""
    slots, placed = plural(o.slots, lang, **SLOTS[lang]), plural(o.placed_more, lang, **REQUESTS[lang])
    title, region, day = method_title(method_code, lang), region_name(o.region, lang), format_day(o.available_from, lang)
    if lang == "ru":
        return (f"{slots} для «{title}» в регионе {region} с {day} — "
                f"в срок будут выполнены ещё {placed}.")
    return f"{slots} of {title} in {region} from {day} would place {placed} within deadline."


def rows(gap: CapacityGap, lang: str) -> list[dict]:
    return [{"from": format_day(o.available_from, lang), "placed_more": number(o.placed_more, lang),
             "suggested": o == gap.suggestion} for o in gap.by_month]


@cache
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined, trim_blocks=True,
                       lstrip_blocks=True, autoescape=select_autoescape(enabled_extensions=("html",)))


def render(gaps: CapacityGaps, map_svg: str, lang: str, nonce: str) -> str:
    items = [{"code": g.method_code, "title": method_title(g.method_code, lang),
              "waiting": plural(g.waiting, lang, **WAITING[lang]), "unplaced": number(g.unplaced, lang),
              "sentence": sentence(g.method_code, g.suggestion, lang) if g.suggestion else None,
              "months": rows(g, lang)} for g in gaps.items]
    return _environment().get_template("localisation.html").render(
        lang=lang, nonce=nonce, items=items, map_svg=map_svg, day=format_day(gaps.computed_at.date(), lang),
        unplaced=number(gaps.unplaced, lang), placed_more=number(gaps.placed_more, lang),
        other="ru" if lang == "en" else "en")
