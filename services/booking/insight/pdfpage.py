"""What the PDF report (report.py) draws with: an A4 page in DejaVu Sans, text cut to
fit its cell, table rows, and the region map's SVG made ready for fpdf2.

DejaVu Sans comes from Debian's fonts-dejavu-core (the Makefile's `fonts` target and
the Dockerfile install it): the PDF core fonts have no Cyrillic, and DejaVu's licence
lets it be embedded.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, datetime, time, timezone
from functools import cache
from pathlib import Path

from fpdf import FPDF

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
FAMILY = "dejavu"
MARGIN, WIDTH = 12.0, 186.0  # mm on A4 (210 x 297)
BOTTOM = 281.0  # mm: the body ends here; past it fpdf2 would start a second page
SVG_NS = "http://www.w3.org/2000/svg"
INK, GREY = (31, 41, 51), (100, 110, 120)


class FontMissing(RuntimeError):
    """The report's font is not installed."""


@cache
def font_files() -> dict[str, Path]:
    """DejaVu Sans, regular and bold, or a clear error naming the package to install."""
    found = {style: FONT_DIR / name for style, name in FONT_FILES.items()}
    missing = [str(path) for path in found.values() if not path.is_file()]
    if missing:
        raise FontMissing(f"the PDF report needs DejaVu Sans, and {', '.join(missing)} is missing: "
                          "install the Debian package fonts-dejavu-core (apt-get install fonts-dejavu-core)")
    return found


def a4(title: str, lang: str, on: date) -> FPDF:
    """A new A4 page. Page breaks stay on, below BOTTOM: a layout that overflowed would
    show as a second page (the tests check there is one) rather than text cut off."""
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=pdf.h - BOTTOM)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    for style, path in font_files().items():
        pdf.add_font(FAMILY, style, str(path))
    pdf.set_title(title)
    pdf.set_lang(lang)
    pdf.set_creator("labbook")
    # The report's day, so the same figures on the same day give the same file.
    pdf.set_creation_date(datetime.combine(on, time(), tzinfo=timezone.utc))
    pdf.add_page()
    return pdf


def style(pdf: FPDF, size: float, bold: bool = False, grey: bool = False) -> None:
    pdf.set_font(FAMILY, "B" if bold else "", size)
    pdf.set_text_color(*(GREY if grey else INK))


def fit(pdf: FPDF, text: str, width: float) -> str:
    """`text` cut to fit a cell `width` mm wide in the current font, with an ellipsis."""
    room = width - 2 * pdf.c_margin
    if pdf.get_string_width(text) <= room:
        return text
    low, high = 0, len(text)  # the longest prefix that fits, found by halving
    while low < high:
        mid = (low + high + 1) // 2
        low, high = (mid, high) if pdf.get_string_width(text[:mid].rstrip() + "…") <= room else (low, mid - 1)
    return text[:low].rstrip() + "…"


def shrink(pdf: FPDF, text: str, width: float, size: float, bold: bool = False, least: float = 6.0) -> str:
    """Set the largest font size from `size` down to `least` at which `text` fits `width`
    (a figure or a title is better smaller than cut); cut it only if even that is too wide."""
    style(pdf, size, bold)
    while size > least and pdf.get_string_width(text) > width - 2 * pdf.c_margin:
        size -= 0.5
        style(pdf, size, bold)
    return fit(pdf, text, width)


def row(pdf: FPDF, cells: list[str], widths: tuple[float, ...], height: float) -> None:
    """One table row from the left margin, each cell cut to its width, a rule under it."""
    pdf.set_draw_color(200, 206, 212)
    for text, width in zip(cells, widths):
        pdf.cell(width, height, fit(pdf, text, width), border="B")
    pdf.set_xy(MARGIN, pdf.get_y() + height)


def note(pdf: FPDF, text: str, height: float = 4.0) -> None:
    """A grey line across the page; nothing for no text."""
    if text:
        style(pdf, 7, grey=True)
        pdf.cell(WIDTH, height, fit(pdf, text, WIDTH))
        pdf.set_xy(MARGIN, pdf.get_y() + height)


def printable_svg(svg: str) -> bytes:
    """The map as fpdf2 draws it well: its links' contents as plain groups and no
    tooltips (fpdf2 draws what is inside an `<a>` but logs a warning for every `<a>` and
    `<title>`), and its labels in the embedded font (so Cyrillic shows)."""
    ET.register_namespace("", SVG_NS)
    root = ET.fromstring(svg)
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag == f"{{{SVG_NS}}}title":
                parent.remove(child)
            elif child.tag == f"{{{SVG_NS}}}a":
                child.tag = f"{{{SVG_NS}}}g"
            elif child.tag == f"{{{SVG_NS}}}text":
                child.set("font-family", FAMILY)
    return ET.tostring(root, encoding="utf-8")
