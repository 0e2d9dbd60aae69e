"""The staff's exports (insight/exports.py): names beside codes in the chosen language,
CSV that Excel reads as UTF-8, and a spreadsheet with its header bold and frozen."""
from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from schemas.booking_api import QueueView, RegionFigures, RegionMap, UnmetDemand, UnmetDemandItem
from services.booking.insight.exports import queue_table, regions_table, to_csv, to_xlsx, unmet_table

UNMET = UnmetDemand(total=3, items=[UnmetDemandItem(method_code="ISO9227-NSS-96", region="RU-SAM",
                                                    reason="no_accredited_lab", count=3, oldest_age_hours=5.5)])


def test_unmet_demand_rows_name_method_region_and_reason_in_russian():
    header, rows = unmet_table(UNMET, "ru")
    assert header[:3] == ["метод", "название метода", "регион"]
    assert rows[0][2:] == ["RU-SAM", "Самарская область", "no_accredited_lab", "Нет аккредитованной лаборатории",
                           3, 5.5]
    assert rows[0][1].startswith("Коррозионные испытания") and "96 ч" in rows[0][1]


def test_queue_rows_name_each_status_in_the_chosen_language():
    queue = QueueView(total=3, by_status={"SUBMITTED": 1, "IN_TESTING": 2}, by_region={}, by_method={},
                      oldest_waiting=None)
    assert queue_table(queue, "ru") == (["статус", "название статуса", "заявок"],
                                        [["SUBMITTED", "подана", 1], ["IN_TESTING", "идут испытания", 2]])
    assert queue_table(queue, "en")[1] == [["SUBMITTED", "submitted", 1], ["IN_TESTING", "in testing", 2]]


def test_csv_starts_with_a_byte_order_mark_and_reads_back():
    data = to_csv(unmet_table(UNMET, "en"))
    assert data[:3] == b"\xef\xbb\xbf"
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["method", "method title", "region", "region name", "reason", "reason text", "requests",
                       "oldest, hours"]
    assert rows[1][2:] == ["RU-SAM", "Samara Oblast", "no_accredited_lab", "No accredited lab", "3", "5.5"]


def test_the_spreadsheet_has_a_bold_frozen_header_and_the_figures_as_numbers():
    table = regions_table(RegionMap(method_code=None, items=[RegionFigures(region="RU-TA", demand=7, placed=4,
                                                                           unmet=3)]), "en")
    sheet = load_workbook(io.BytesIO(to_xlsx(table, "regions"))).active
    assert sheet.title == "regions" and sheet.freeze_panes == "A2" and sheet["A1"].font.bold
    assert [c.value for c in sheet[2]] == ["RU-TA", "Republic of Tatarstan", 7, 4, 3]


def test_capacity_gaps_give_a_row_per_month_tried_with_the_suggestion_marked():
    from datetime import date, datetime, timezone
    from schemas.insight_api import CapacityGap, CapacityGaps, CapacityOption
    from services.booking.insight.exports import gaps_table
    dec, jan = (CapacityOption(region="RU-SAM", slots=2, available_from=date(2026, 12, 1), placed_more=4),
                CapacityOption(region="RU-SAM", slots=2, available_from=date(2027, 1, 1), placed_more=1))
    gaps = CapacityGaps(computed_at=datetime(2026, 12, 1, tzinfo=timezone.utc), unplaced=5, placed_more=4, items=[
        CapacityGap(method_code="ISO9227-NSS-96", waiting=6, unplaced=4, suggestion=dec, by_month=[dec, jan]),
        CapacityGap(method_code="ISO9227-NSS-240", waiting=1, unplaced=1, suggestion=None, by_month=[])])
    header, rows = gaps_table(gaps, "ru")
    assert header[4:] == ["регион", "название региона", "добавлено мест", "доступны с", "размещено дополнительно",
                          "рекомендуется"]
    assert [r[2:4] + r[4:] for r in rows] == [
        [6, 4, "RU-SAM", "Самарская область", 2, "2026-12-01", 4, "да"],
        [6, 4, "RU-SAM", "Самарская область", 2, "2027-01-01", 1, ""],
        [1, 1, "", "", "", "", 0, ""]]
