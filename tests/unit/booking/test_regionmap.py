"""The region map (services/booking/insight/regionmap.py): geography that anyone can
check on an atlas, one dot per region, circles sized by area, labels in both languages."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from schemas.regions import REGIONS_BY_CODE
from schemas.booking_api import RegionFigures
from services.booking.insight.regionmap import HEIGHT, MAX_RADIUS, WIDTH, positions, region_map

SVG = "{http://www.w3.org/2000/svg}"


def figures(**by_region: tuple[int, int, int]) -> list[RegionFigures]:
    """RU_SAM=(demand, placed, unmet), ...: the items GET /v1/insight/regions answers."""
    return [RegionFigures(region=code.replace("_", "-"), demand=d, placed=p, unmet=u)
            for code, (d, p, u) in by_region.items()]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_the_regions_sit_where_an_atlas_puts_them():
    at = positions()
    xs = {code: x for code, (x, _) in at.items()}
    assert xs["RU-KGD"] < xs["RU-PSK"] < xs["RU-MOW"]  # Kaliningrad, Pskov, Moscow: west to east
    assert xs["RU-SA"] < xs["RU-MAG"] < xs["RU-CHU"]  # Yakutsk, Magadan, Anadyr (east of 180 degrees: not wrapped)
    assert max(xs, key=xs.get) in ("RU-CHU", "RU-KAM")  # the Far East on the right
    assert at["RU-MUR"][1] < at["RU-MOW"][1] < at["RU-KDA"][1]  # Murmansk, Moscow, Krasnodar: north to south
    assert at["BY-HM"][0] < at["RU-MOW"][0] < at["RU-SAM"][0] < at["RU-NVS"][0]  # Minsk .. Novosibirsk: west to east
    assert at["UZ-TK"][1] > at["RU-SAM"][1]  # Tashkent lies south of Samara
    assert all(0 <= x <= WIDTH and 0 <= y <= HEIGHT for x, y in at.values())


def test_every_region_is_a_dot_and_only_regions_with_requests_are_circles():
    svg = parse(region_map(figures(RU_SAM=(100, 80, 20), RU_TA=(25, 25, 0))))
    dots = svg.findall(f"{SVG}circle[@class='region-dot']")
    assert len(dots) == len(REGIONS_BY_CODE)
    links = svg.findall(f"{SVG}a")
    assert [a.get("data-region") for a in links] == ["RU-SAM", "RU-TA"]  # the larger drawn first
    assert links[0].get("href") == "?region=RU-SAM"


def test_circle_area_follows_the_count():
    svg = parse(region_map(figures(RU_SAM=(100, 64, 36), RU_TA=(25, 25, 0))))
    samara, tatarstan = svg.findall(f"{SVG}a")
    radius = {a.get("data-region"): {c.get("class"): float(c.get("r")) for c in a.findall(f"{SVG}circle")}
              for a in (samara, tatarstan)}
    assert radius["RU-SAM"] == {"demand": MAX_RADIUS, "unmet": round(MAX_RADIUS * 0.6, 1)}  # 36 of 100: 6/10
    assert radius["RU-TA"] == {"demand": MAX_RADIUS / 2}  # a quarter of the area; nothing unmet, no red


def test_titles_say_the_figures_in_the_chosen_language():
    samara = figures(RU_SAM=(12, 9, 3))
    en = parse(region_map(samara, "en")).find(f"{SVG}a/{SVG}title").text
    ru = parse(region_map(samara, "ru")).find(f"{SVG}a/{SVG}title").text
    assert en == "Samara Oblast: 12 requested, 9 placed, 3 unmet"
    assert ru == "Самарская область: 12 запрошено, 9 размещено, 3 не размещено"


def test_the_selected_region_is_outlined_and_an_unknown_code_is_left_out():
    svg = parse(region_map(figures(RU_SAM=(5, 5, 0), XX_NONE=(9, 0, 9)), selected="RU-SAM"))
    (link,) = svg.findall(f"{SVG}a")
    assert link.find(f"{SVG}circle[@class='demand']").get("stroke") == "#111"


def test_no_requests_at_all_draws_the_dots_alone():
    svg = parse(region_map([]))
    assert svg.findall(f"{SVG}a") == [] and len(svg.findall(f"{SVG}circle")) == len(REGIONS_BY_CODE)


def test_the_largest_regions_are_named_and_the_legend_speaks_the_language():
    counts = {code: n for n, code in enumerate(sorted(REGIONS_BY_CODE)[:12], start=1)}
    svg = parse(region_map([RegionFigures(region=c, demand=n, placed=n, unmet=0) for c, n in counts.items()], "ru"))
    names = [t.text for t in svg.findall(f"{SVG}text[@class='region-label']")]
    largest = sorted(counts, key=lambda c: -counts[c])[:8]
    assert names == [REGIONS_BY_CODE[c].name_ru for c in largest]
    assert [t.text for t in svg.findall(f"{SVG}g[@class='legend']/{SVG}text")] == ["запрошено", "не размещено"]
