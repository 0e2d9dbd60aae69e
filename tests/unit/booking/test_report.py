"""The localisation report (services/booking/insight/report.py): one A4 page, read back
with pypdf, with the figures, names and Russian word forms a reader checks by eye.

The queue used: 60 MATCHING + 2 UNMATCHED waiting (62, none SUBMITTED), 1,321 placed (1 OFFERED, 1,300
SCHEDULED, 20 REPORT_ISSUED); 2 unmatched, one per method; the planner cannot place 40
and its suggestions would place 38: 37 by 2 more NSS-96 slots in Samara Oblast from
March 2027, 1 by 1 more UNECE R10 slot in Tatarstan from 5 April 2027.
"""
from __future__ import annotations

import io
import logging
import re
from datetime import date, datetime, timezone

import pytest
from pypdf import PdfReader

from schemas.booking_api import QueueView, RegionFigures, RegionMap, UnmetDemand, UnmetDemandItem
from schemas.catalogue import CATALOGUE
from schemas.insight_api import CapacityGap, CapacityGaps, CapacityOption
from schemas.reasons import UnmatchedReason
from schemas.regions import REGIONS_BY_CODE
from services.booking.insight import pdfpage, regionmap
from services.booking.insight.report import localisation_report
from services.booking.insight.reportwords import REQUESTS, counted

ON = date(2026, 12, 2)
NSS, R10 = "ISO9227-NSS-96", "UNECE-R10"
STATUSES = {"SUBMITTED": 0, "MATCHING": 60, "UNMATCHED": 2, "OFFERED": 1, "ACCEPTED": 0, "SCHEDULED": 1300,
            "SAMPLES_RECEIVED": 0, "IN_TESTING": 0, "COMPLETED": 0, "REPORT_ISSUED": 20, "CANCELLED": 4}
QUEUE = QueueView(total=1387, by_status=STATUSES, by_method={NSS: 61, R10: 1}, by_region={"RU-SAM": 61, "RU-TA": 1},
                  oldest_waiting=None)
UNMET = UnmetDemand(total=2, items=[
    UnmetDemandItem(method_code=NSS, region="RU-SAM", reason="no_capacity_before_deadline", count=1,
                    oldest_age_hours=30.0),
    UnmetDemandItem(method_code=R10, region="RU-TA", reason="no_accredited_lab", count=1, oldest_age_hours=2.0)])
REGIONS = RegionMap(method_code=None, items=[RegionFigures(region="RU-SAM", demand=1380, placed=1320, unmet=1),
                                             RegionFigures(region="RU-TA", demand=3, placed=1, unmet=1)])
GAPS = CapacityGaps(computed_at=datetime(2026, 12, 2, 9, 30, tzinfo=timezone.utc), unplaced=40, placed_more=38, items=[
    CapacityGap(method_code=NSS, waiting=61, unplaced=38, by_month=[], suggestion=CapacityOption(
        region="RU-SAM", slots=2, available_from=date(2027, 3, 1), placed_more=37)),
    CapacityGap(method_code=R10, waiting=1, unplaced=2, by_month=[], suggestion=CapacityOption(
        region="RU-TA", slots=1, available_from=date(2027, 4, 5), placed_more=1))])


def render(lang: str, gaps: CapacityGaps | None = GAPS, unmet: UnmetDemand = UNMET,
           regions: RegionMap = REGIONS) -> PdfReader:
    data = localisation_report(QUEUE, unmet, regions, gaps, regionmap.region_map(regions.items, lang), lang, ON)
    assert data.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(data))


def text_of(reader: PdfReader) -> tuple[str, str]:
    """The page's text as extracted, and with every run of white space (line breaks,
    no-break spaces) as one space, for phrases a line may break."""
    raw = reader.pages[0].extract_text()
    return raw, " ".join(raw.split())


def test_russian_report_is_one_a4_page_with_the_figures_and_word_forms():
    reader = render("ru")
    assert len(reader.pages) == 1
    assert (round(float(reader.pages[0].mediabox.width)), round(float(reader.pages[0].mediabox.height))) == (595, 842)
    raw, flat = text_of(reader)
    assert "1\u00a0321 заявка" in raw  # Babel's Russian grouping: a no-break space
    assert "2 декабря 2026\u202fг." in raw  # CLDR's long date, a narrow no-break space before "г."
    for phrase in ("62 заявки", "2 заявки", "40 заявок", "38 заявок"):
        assert phrase in raw
    assert ("Ещё 2 слота для «Коррозионные испытания в искусственных атмосферах" in flat
            and "в регионе «Самарская область» с марта 2027 г.: в срок будут размещены ещё 37 заявок." in flat)
    assert "Ещё 1 слот для «Правила ООН № 10" in flat
    assert "в регионе «Республика Татарстан» с 5 апреля 2027 г.: в срок будет размещена ещё 1 заявка." in flat
    assert "Нет мощностей до срока" in raw and "Нет аккредитованной лаборатории" in raw
    assert "Самарская область — 1 из 1\u00a0380" in raw  # most unmet under the map
    assert "Москва" not in raw  # no requests from there: not labelled on the map


def test_english_report_has_the_same_figures_in_english():
    reader = render("en")
    assert len(reader.pages) == 1
    raw, flat = text_of(reader)
    for phrase in ("62 requests", "2 requests", "1,321 requests", "40 requests", "38 requests", "December 2, 2026",
                   "No capacity before the deadline", "No accredited lab", "Republic of Tatarstan", NSS, R10):
        assert phrase in raw
    assert "2 more slots of Corrosion tests in artificial atmospheres" in flat
    assert "in Samara Oblast from March 2027 would place 37 more requests." in flat
    assert "1 more slot of UN Regulation No. 10" in flat
    assert "in Republic of Tatarstan from April 5, 2027 would place 1 more request." in flat
    assert "planner run 12/2/26, 9:30" in flat


def test_without_the_planners_figures_the_report_says_they_are_not_computed_yet():
    raw, flat = text_of(render("en", gaps=None))
    assert "capacity what-if not computed yet" in flat
    assert flat.count("not computed yet") == 3  # the two planner boxes and the what-if
    assert "more slot" not in flat and "planner run" not in flat
    assert "расчёт мощностей ещё не выполнен" in text_of(render("ru", gaps=None))[1]


def many_rows() -> tuple[UnmetDemand, RegionMap, CapacityGaps]:
    """60 groups of unmet demand and 30 suggestions, with the catalogue's longest titles."""
    methods = sorted(CATALOGUE, key=lambda code: -len(CATALOGUE[code].title_ru))[:30]
    regions = sorted(REGIONS_BY_CODE, key=lambda code: -len(REGIONS_BY_CODE[code].name_ru))[:2]
    reasons = list(UnmatchedReason)
    unmet = [UnmetDemandItem(method_code=m, region=r, reason=reasons[i % len(reasons)], count=100 + i,
                             oldest_age_hours=1.0) for i, (m, r) in enumerate((m, r) for m in methods for r in regions)]
    gaps = [CapacityGap(method_code=m, waiting=900, unplaced=800, by_month=[], suggestion=CapacityOption(
        region=regions[0], slots=12, available_from=date(2027, 9, 17), placed_more=721)) for m in methods]
    figures = [RegionFigures(region=c, demand=5000 + i, placed=10, unmet=4000 + i) for i, c in enumerate(REGIONS_BY_CODE)]
    return (UnmetDemand(items=unmet, total=sum(i.count for i in unmet)), RegionMap(method_code=None, items=figures),
            CapacityGaps(computed_at=GAPS.computed_at, items=gaps, unplaced=24000, placed_more=21630))


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_many_rows_still_fit_one_page_and_say_how_many_more(lang):
    unmet, regions, gaps = many_rows()
    reader = render(lang, gaps=gaps, unmet=unmet, regions=regions)
    assert len(reader.pages) == 1
    raw, flat = text_of(reader)
    more = {"en": ("and 50 more", "and 24 more", "21,630 requests"), "ru": ("и ещё 50", "и ещё 24", "21\u00a0630 заявок")}
    assert all(phrase in raw for phrase in more[lang])
    sentences = re.findall(r"(?:12 more slots|Ещё 12 слотов)", flat)
    assert len(sentences) == 6  # the first 6 suggestions


def test_russian_counts_take_the_form_cldr_gives():
    forms = {n: counted(REQUESTS, n, "ru") for n in (1, 2, 4, 5, 11, 12, 21, 22, 25, 111, 1001)}
    assert forms == {1: "1 заявка", 2: "2 заявки", 4: "4 заявки", 5: "5 заявок", 11: "11 заявок", 12: "12 заявок",
                     21: "21 заявка", 22: "22 заявки", 25: "25 заявок", 111: "111 заявок", 1001: "1\u00a0001 заявка"}
    assert [counted(REQUESTS, n, "en") for n in (1, 2, 1001)] == ["1 request", "2 requests", "1,001 requests"]


def test_the_map_reaches_fpdf2_without_links_tooltips_or_a_font_lacking_cyrillic(caplog):
    svg = pdfpage.printable_svg(regionmap.region_map(REGIONS.items, "ru")).decode()
    assert "<a " not in svg and "<title>" not in svg
    assert 'font-family="dejavu">Самарская область</text>' in svg
    with caplog.at_level(logging.WARNING, logger="fpdf"):
        render("ru")
    assert [r.getMessage() for r in caplog.records if r.name.startswith("fpdf")] == []


def test_a_missing_font_names_the_package_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(pdfpage, "FONT_DIR", tmp_path)
    pdfpage.font_files.cache_clear()
    try:
        with pytest.raises(pdfpage.FontMissing, match="apt-get install fonts-dejavu-core"):
            render("en")
    finally:
        pdfpage.font_files.cache_clear()
