"""The localisation case as a page staff print for a meeting (GET /dashboard/localisation):
the map of demand and unmet requests, then per method the addition the planner found
(capacity.py) in the report's sentence (reportwords.py: "2 more slots of ... in Samara
Oblast from December 2026 would place 4 more requests.") and what waiting a month or
more would cost, in Russian or English.
"""
from __future__ import annotations

from schemas.insight_api import CapacityGap, CapacityGaps

from .. import pages
from .reportwords import REQUESTS, counted, day, method_title, number, suggestion

def rows(gap: CapacityGap, lang: str) -> list[dict]:
    return [{"from": day(o.available_from, lang), "placed_more": number(o.placed_more, lang),
             "suggested": o == gap.suggestion} for o in gap.by_month]


def render(gaps: CapacityGaps, map_svg: str, lang: str, nonce: str) -> str:
    items = [{"code": g.method_code, "title": method_title(g.method_code, lang),
              "waiting": counted(REQUESTS, g.waiting, lang), "unplaced": number(g.unplaced, lang),
              "sentence": suggestion(g.method_code, g.suggestion, lang) if g.suggestion else None,
              "months": rows(g, lang)} for g in gaps.items]
    return pages.render(
        "localisation.html", lang=lang, nonce=nonce, items=items, map_svg=map_svg, day=day(gaps.computed_at.date(), lang),
        unplaced=number(gaps.unplaced, lang), placed_more=number(gaps.placed_more, lang),
        other="ru" if lang == "en" else "en")
