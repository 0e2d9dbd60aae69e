"""The region map: Russia, Belarus and Uzbekistan drawn as server-side SVG from the
regions' centres (schemas/regions_data.py), no tiles, no script, works offline.

Every region is a small dot, so the countries' shape shows through; a region with
requests gets a circle whose area is its demand, with the unmet part (requests no lab
could take in time) as a red circle inside it, and a link to its own table
(`?region=RU-SAM`). The projection is Albers equal-area conic (standard parallels
52° and 64° N, central meridian 100° E), the usual one for maps of Russia: areas
compare, and Chukotka (east of 180°) stays on the right of Kamchatka.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from xml.sax.saxutils import escape, quoteattr

from schemas.booking_api import RegionFigures
from schemas.regions import REGIONS_BY_CODE, Region

PARALLELS, ORIGIN = (52.0, 64.0), (50.0, 100.0)  # degrees: standard parallels; origin lat, lon
WIDTH, HEIGHT, PAD = 960, 560, 24
MAX_RADIUS = 34.0  # px, for the region with the most requests
LABELLED = 8  # the regions with most requests get their name beside the circle
WORDS = {"en": ("requested", "placed", "unmet"), "ru": ("запрошено", "размещено", "не размещено")}


def albers(lat: float, lon: float) -> tuple[float, float]:
    """Unit-sphere Albers coordinates (x east, y north) of a point."""
    p1, p2 = (math.radians(p) for p in PARALLELS)
    n = (math.sin(p1) + math.sin(p2)) / 2
    c = math.cos(p1) ** 2 + 2 * n * math.sin(p1)
    rho = lambda phi: math.sqrt(c - 2 * n * math.sin(phi)) / n  # noqa: E731
    east = (lon - ORIGIN[1] + 180) % 360 - 180  # degrees east of the central meridian
    theta = n * math.radians(east)
    r = rho(math.radians(lat))
    return r * math.sin(theta), rho(math.radians(ORIGIN[0])) - r * math.cos(theta)


def _fit(points: Mapping[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
    """Points scaled into the picture, north up, keeping the aspect."""
    xs, ys = [x for x, _ in points.values()], [y for _, y in points.values()]
    scale = min((WIDTH - 2 * PAD) / (max(xs) - min(xs)), (HEIGHT - 2 * PAD) / (max(ys) - min(ys)))
    return {code: (PAD + (x - min(xs)) * scale, HEIGHT - PAD - (y - min(ys)) * scale)
            for code, (x, y) in points.items()}


def positions() -> dict[str, tuple[float, float]]:
    """Every region's centre in the picture's pixels."""
    return _fit({code: albers(r.lat, r.lon) for code, r in REGIONS_BY_CODE.items()})


def radius(count: int, most: int) -> float:
    """Area in proportion to the count; the largest region gets MAX_RADIUS."""
    return MAX_RADIUS * math.sqrt(count / most) if most and count else 0.0


def region_map(items: Iterable[RegionFigures], lang: str = "en", selected: str | None = None) -> str:
    """The SVG (an element, to embed in a page): every region, those with requests sized
    (GET /v1/insight/regions' items)."""
    figures = {f.region: f for f in items}
    at, most = positions(), max((f.demand for f in figures.values()), default=0)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="region-map" viewBox="0 0 {WIDTH} {HEIGHT}" '
             f'role="img" aria-label={quoteattr(_caption(lang))}>']
    parts += [_dot(code, *at[code]) for code in sorted(at)]
    # Largest first, so a small region's circle is drawn over a large neighbour's.
    shown = [c for c in sorted(figures, key=lambda c: (-figures[c].demand, c)) if c in at and figures[c].demand]
    parts += [_region(REGIONS_BY_CODE[c], figures[c], at[c], most, lang, c == selected) for c in shown]
    parts += [_label(REGIONS_BY_CODE[c], at[c], radius(figures[c].demand, most), lang) for c in shown[:LABELLED]]
    parts += [_legend(lang), "</svg>"]
    return "\n".join(parts)


def _caption(lang: str) -> str:
    return ("Requests by the region they ship from: circle area = requested, red = unmet" if lang == "en" else
            "Заявки по региону отправки: площадь круга — запрошено, красным — не размещено")


def _name(region: Region, lang: str) -> str:
    return region.name_en if lang == "en" else region.name_ru


def _label(region: Region, xy: tuple[float, float], r: float, lang: str) -> str:
    x, y = xy
    return (f'<text class="region-label" x="{x + r + 3:.1f}" y="{y + 4:.1f}" font-size="12" '
            f'fill="#1f2933">{escape(_name(region, lang))}</text>')


def _legend(lang: str) -> str:
    requested, _, unmet = WORDS.get(lang, WORDS["en"])
    y = HEIGHT - PAD
    return (f'<g class="legend" font-size="12" fill="#1f2933">'
            f'<circle cx="{WIDTH - 150}" cy="{y - 22}" r="7" fill="#3b7dd8" fill-opacity="0.45"/>'
            f'<text x="{WIDTH - 138}" y="{y - 18}">{escape(requested)}</text>'
            f'<circle cx="{WIDTH - 150}" cy="{y - 4}" r="7" fill="#d64545"/>'
            f'<text x="{WIDTH - 138}" y="{y}">{escape(unmet)}</text></g>')


def _dot(code: str, x: float, y: float) -> str:
    return f'<circle class="region-dot" data-region="{code}" cx="{x:.1f}" cy="{y:.1f}" r="1.6" fill="#9aa5b1"/>'


def _region(region: Region, f: RegionFigures, xy: tuple[float, float], most: int, lang: str,
            selected: bool) -> str:
    x, y = xy
    name = _name(region, lang)
    requested, placed, unmet = WORDS.get(lang, WORDS["en"])
    title = f"{name}: {f.demand} {requested}, {f.placed} {placed}, {f.unmet} {unmet}"
    stroke = ' stroke="#111" stroke-width="2"' if selected else ""
    inner = (f'<circle class="unmet" cx="{x:.1f}" cy="{y:.1f}" r="{radius(f.unmet, most):.1f}" fill="#d64545"/>'
             if f.unmet else "")
    return (f'<a href="?region={region.code}" class="region" data-region="{region.code}">'
            f"<title>{escape(title)}</title>"
            f'<circle class="demand" cx="{x:.1f}" cy="{y:.1f}" r="{radius(f.demand, most):.1f}" '
            f'fill="#3b7dd8" fill-opacity="0.45"{stroke}/>{inner}</a>')
