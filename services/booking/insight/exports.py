"""The staff's tables as files to take away: CSV (UTF-8 with a byte-order mark, so
Excel shows Cyrillic right) and XLSX (openpyxl: a bold, frozen header row, columns
sized to their contents). Every code comes with its English or Russian name, as on
the dashboard. Pure: the figures come from staff.py.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Font

from schemas.booking_api import QueueView, RegionMap, UnmetDemand
from schemas.insight_api import CapacityGaps

from .reportwords import method_title, reason_text, region_name, status_name

Table = tuple[list[str], list[list[object]]]  # header, rows
MEDIA_TYPES = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
HEADERS = {
    "queue": {"en": ["status", "status name", "requests"], "ru": ["статус", "название статуса", "заявок"]},
    "unmet-demand": {"en": ["method", "method title", "region", "region name", "reason", "reason text", "requests",
                            "oldest, hours"],
                     "ru": ["метод", "название метода", "регион", "название региона", "причина", "описание причины",
                            "заявок", "старейшая, часов"]},
    "regions": {"en": ["region", "region name", "requested", "placed", "unmet"],
                "ru": ["регион", "название региона", "запрошено", "размещено", "не размещено"]},
    "capacity-gaps": {"en": ["method", "method title", "waiting", "unplaced", "region", "region name", "slots added",
                             "available from", "placed more", "suggested"],
                      "ru": ["метод", "название метода", "ожидают", "не размещаются", "регион", "название региона",
                             "добавлено мест", "доступны с", "размещено дополнительно", "рекомендуется"]},
}
YES = {"en": "yes", "ru": "да"}


def queue_table(q: QueueView, lang: str) -> Table:
    return HEADERS["queue"][lang], [[status, status_name(status, lang), n] for status, n in q.by_status.items()]


def unmet_table(u: UnmetDemand, lang: str) -> Table:
    return HEADERS["unmet-demand"][lang], [
        [i.method_code, method_title(i.method_code, lang), i.region, region_name(i.region, lang), i.reason,
         reason_text(i.reason, lang), i.count, i.oldest_age_hours] for i in u.items]


def regions_table(m: RegionMap, lang: str) -> Table:
    return HEADERS["regions"][lang], [[i.region, region_name(i.region, lang), i.demand, i.placed, i.unmet]
                                      for i in m.items]


def gaps_table(g: CapacityGaps, lang: str) -> Table:
    """One row per what-if month of each method's best addition; a method with no
    addition that helps, one row without one."""
    rows = []
    for item in g.items:
        head = [item.method_code, method_title(item.method_code, lang), item.waiting, item.unplaced]
        if item.suggestion is None:
            rows.append(head + ["", "", "", "", 0, ""])
        for o in item.by_month:
            rows.append(head + [o.region, region_name(o.region, lang), o.slots, o.available_from.isoformat(),
                                o.placed_more, YES[lang] if o == item.suggestion else ""])
    return HEADERS["capacity-gaps"][lang], rows


def to_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table[0])
    writer.writerows(table[1])
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(table: Table, title: str) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]  # Excel's limit
    sheet.append(table[0])
    for row in table[1]:
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for column, width in enumerate(_widths(table), start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=column).column_letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _widths(table: Table) -> Sequence[int]:
    return [min(60, max(len(str(v)) for v in column) + 2) for column in zip(table[0], *table[1])]
