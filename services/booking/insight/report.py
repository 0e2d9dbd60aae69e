"""The localisation case on one A4 page (GET /v1/insight/report.pdf): the headline
figures, the region map, the unmet demand by method and region, and the capacity
what-if, in English or Russian. Pure: PDF bytes from the figures staff.py and the
planner give; the words are in reportwords.py, the drawing tools in pdfpage.py.

fpdf2 draws it: pure Python, and it draws the region map's SVG as vectors. Each block
has room for its most rows, and a table shows its first rows only ("and 12 more"), so
whatever the figures the page holds it all: at most 271 mm of the 281 mm (tested with 60
unmet groups and 30 suggestions); a layout that overflowed would show as a second page.
"""
from __future__ import annotations

import io
from collections import Counter, defaultdict
from datetime import date

from fpdf import FPDF
from fpdf.enums import MethodReturnValue

from schemas.booking_api import QueueView, RegionMap, UnmetDemand
from schemas.insight_api import CapacityGap, CapacityGaps
from schemas.states import PLACED, WAITING, RequestStatus

from . import reportwords as w
from .pdfpage import BOTTOM, MARGIN, WIDTH, a4, fit, note, printable_svg, row, shrink, style
from .regionmap import HEIGHT as MAP_HEIGHT, WIDTH as MAP_WIDTH

FIGURES_Y = 28.0  # mm from the top; the heading's two lines end above it
MAP_W = 170.0  # mm; the map's height follows its aspect (about 99 mm)
UNMET_ROWS, GAP_ROWS = 10, 6
UNMET_WIDTHS = (14.0, 28.0, 54.0, 38.0, 52.0)  # count, code, title, region, reasons
CODE_W, LINE = 30.0, 3.6  # a suggestion's code column; its sentence's line height
Row = tuple[str, str, int, list[tuple[str, int]]]  # method, region, requests, (reason, requests) most first


def localisation_report(queue: QueueView, unmet: UnmetDemand, regions: RegionMap, gaps: CapacityGaps | None,
                        map_svg: str, lang: str, on: date) -> bytes:
    """One A4 page; `gaps` is None until the planner's what-if is computed; `on` is the
    report's day; `map_svg` is regionmap.region_map of `regions`' items in `lang`."""
    pdf = a4(w.WORDS[lang]["title"], lang, on)
    _heading(pdf, lang, on)
    _figures(pdf, queue, gaps, lang)
    _map(pdf, map_svg, regions, lang)
    _unmet(pdf, unmet_rows(unmet), lang)
    _gaps(pdf, gaps, lang)
    _footer(pdf, gaps, lang, on)
    return bytes(pdf.output())


def unmet_rows(unmet: UnmetDemand) -> list[Row]:
    """The unmet demand by method and region (its reasons summed), most requests first."""
    reasons: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for item in unmet.items:
        reasons[item.method_code, item.region][item.reason] += item.count
    rows = [(m, r, sum(c.values()), sorted(c.items(), key=lambda kv: (-kv[1], kv[0])))
            for (m, r), c in reasons.items()]
    return sorted(rows, key=lambda one: (-one[2], one[0], one[1]))


def _heading(pdf: FPDF, lang: str, on: date) -> None:
    words = w.WORDS[lang]
    pdf.set_xy(MARGIN, MARGIN)
    pdf.cell(WIDTH, 7, shrink(pdf, words["title"], WIDTH, 12, bold=True, least=10))
    style(pdf, 7.5, grey=True)
    pdf.set_xy(MARGIN, MARGIN + 7.5)
    pdf.multi_cell(WIDTH, 3.4, f"{w.day(on, lang)} · {words['lede']}", align="L")


def _figures(pdf: FPDF, queue: QueueView, gaps: CapacityGaps | None, lang: str) -> None:
    """Five boxes: the count as a counted phrase ("37 заявок"), what it counts under it."""
    by_status, words = queue.by_status, w.WORDS[lang]
    counts = [sum(by_status.get(s, 0) for s in WAITING), by_status.get(RequestStatus.UNMATCHED, 0),
              sum(by_status.get(s, 0) for s in PLACED),
              None if gaps is None else gaps.unplaced, None if gaps is None else gaps.placed_more]
    labels = [words[k] for k in ("waiting", "unmatched", "placed", "unplaced", "placed_more")]
    box = (WIDTH - 4 * 2) / 5
    pdf.set_fill_color(240, 244, 248)
    for i, (n, label) in enumerate(zip(counts, labels)):
        x = MARGIN + i * (box + 2)
        pdf.rect(x, FIGURES_Y, box, 18, style="F")
        pdf.set_xy(x + 1, FIGURES_Y + 1.5)
        value = w.counted(w.REQUESTS, n, lang) if n is not None else "—"
        pdf.cell(box - 2, 6, shrink(pdf, value, box - 2, 11, bold=True, least=8))
        style(pdf, 7, grey=True)
        pdf.set_xy(x + 1, FIGURES_Y + 8)
        pdf.multi_cell(box - 2, 3, label if n is not None else f"{label}: {words['not_computed']}", align="L")
    pdf.set_xy(MARGIN, FIGURES_Y + 20)


def _section(pdf: FPDF, title: str) -> None:
    style(pdf, 9, bold=True)
    pdf.cell(WIDTH, 5, fit(pdf, title, WIDTH))
    pdf.set_xy(MARGIN, pdf.get_y() + 5.5)


def _map(pdf: FPDF, map_svg: str, regions: RegionMap, lang: str) -> None:
    """The map, and under it the regions with most unmet (the map names those with most requests)."""
    words = w.WORDS[lang]
    _section(pdf, words["map"])
    top, height = pdf.get_y(), MAP_W * MAP_HEIGHT / MAP_WIDTH
    pdf.image(io.BytesIO(printable_svg(map_svg)), x=MARGIN + (WIDTH - MAP_W) / 2, y=top, w=MAP_W)
    pdf.set_xy(MARGIN, top + height)
    worst = sorted((f for f in regions.items if f.unmet), key=lambda f: (-f.unmet, f.region))[:6]
    named = "; ".join(words["worst_one"].format(region=w.region_name(f.region, lang), unmet=w.number(f.unmet, lang),
                                                demand=w.number(f.demand, lang)) for f in worst)
    note(pdf, words["worst"].format(regions=named) if worst else "")
    pdf.set_xy(MARGIN, top + height + 5.5)


def _unmet(pdf: FPDF, rows: list[Row], lang: str) -> None:
    words = w.WORDS[lang]
    _section(pdf, words["unmet"])
    style(pdf, 7, bold=True, grey=True)
    row(pdf, words["columns"].split("|"), UNMET_WIDTHS, 4)
    style(pdf, 7)
    for method, region, count, reasons in rows[:UNMET_ROWS]:
        # A reason's count only where the group has several.
        why = "; ".join(w.reason_text(r, lang) + (f" ({w.number(n, lang)})" if len(reasons) > 1 else "")
                        for r, n in reasons)
        row(pdf, [w.number(count, lang), method, w.method_title(method, lang), w.region_name(region, lang), why],
            UNMET_WIDTHS, 4.2)
    note(pdf, words["no_unmet"] if not rows else _more(len(rows) - UNMET_ROWS, lang))
    pdf.set_xy(MARGIN, pdf.get_y() + 2)


def _gaps(pdf: FPDF, gaps: CapacityGaps | None, lang: str) -> None:
    words = w.WORDS[lang]
    _section(pdf, words["gaps"])
    if gaps is None:
        note(pdf, words["gaps_missing"])
        return
    helped = [g for g in gaps.items if g.suggestion is not None]
    for gap in helped[:GAP_ROWS]:
        _suggestion(pdf, gap, lang)
    note(pdf, words["gaps_none"] if not helped else _more(len(helped) - GAP_ROWS, lang))
    if hopeless := len(gaps.items) - len(helped):
        note(pdf, words["hopeless"].format(n=w.number(hopeless, lang)))


def _suggestion(pdf: FPDF, gap: CapacityGap, lang: str) -> None:
    """The method's code, then the sentence in at most two lines."""
    y = pdf.get_y()
    pdf.cell(CODE_W, LINE, shrink(pdf, gap.method_code, CODE_W, 7.5, bold=True))
    style(pdf, 7.5)
    pdf.set_xy(MARGIN + CODE_W, y)
    pdf.multi_cell(WIDTH - CODE_W, LINE, "\n".join(_two_lines(pdf, gap, lang, WIDTH - CODE_W)), align="L")
    pdf.set_xy(MARGIN, y + 2 * LINE + 0.4)


def _two_lines(pdf: FPDF, gap: CapacityGap, lang: str, width: float) -> list[str]:
    """The suggestion's sentence wrapped to `width`, its method title cut by words until two lines hold it."""
    title = w.method_title(gap.method_code, lang).split()
    lines: list[str] = []
    for keep in range(len(title), 0, -1):
        cut = " ".join(title[:keep]) + ("" if keep == len(title) else "…")
        text = w.suggestion(gap.method_code, gap.suggestion, lang, cut)
        lines = pdf.multi_cell(width, LINE, text, dry_run=True, output=MethodReturnValue.LINES)
        if len(lines) <= 2:
            break
    return lines[:2]


def _more(hidden: int, lang: str) -> str:
    return w.WORDS[lang]["more"].format(n=w.number(hidden, lang)) if hidden > 0 else ""


def _footer(pdf: FPDF, gaps: CapacityGaps | None, lang: str, on: date) -> None:
    parts = [f"labbook · {w.day(on, lang)}"]
    if gaps is not None:
        parts.append(w.WORDS[lang]["planned"].format(moment=w.moment(gaps.computed_at, lang)))
    pdf.set_auto_page_break(False)  # the footer alone sits below the body's end
    style(pdf, 6.5, grey=True)
    pdf.set_xy(MARGIN, BOTTOM + 1)
    pdf.cell(WIDTH, 4, " · ".join(parts))
