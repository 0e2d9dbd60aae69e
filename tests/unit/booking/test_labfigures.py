"""The labs' figures (insight/labfigures.py) on labs and held requests made by hand; every
expected number is counted on a calendar below, not taken from the code.

Now is 1 December 2026, 09:00 UTC; the span is 90 days: to 1 March 2027, 09:00 UTC
(December 31 + January 31 + February 28 days).

Togliatti, salt spray (ISO9227-NSS-96):
  advertised  2 slots, 20 Nov 00:00 .. 11 Dec 09:00  -> in the span 1 Dec 09:00 .. 11 Dec 09:00 = 240 h x 2 = 480
              1 slot,  20 Feb 09:00 .. 1 Apr          -> 20 Feb 09:00 .. 1 Mar 09:00 = 9 days = 216 h       = 216
              (a 0-slot window for vibration holds nothing)                                          total 696
  held        2 Dec 00:00 .. 6 Dec 00:00                                   96 h
              29 Nov 09:00 .. 3 Dec 09:00 (begun): from 1 Dec 09:00         48 h
              28 Dec 00:00 .. 1 Jan 00:00                                   96 h
              27 Feb 09:00 .. 3 Mar 09:00: to 1 Mar 09:00                   48 h
              an offer with no plan yet                                      0 h
                                                                     booked 288; free 408; 288 / 696 = 0.41379...
  and humidity (ISO6270-2-CH-240), neither in scope nor advertised: 10 Dec 00:00 .. 11 Dec 00:00 held, 24 h.
  Accreditation valid until 31 December 2026: 30 days left; it covers that whole day, to 1 January 00:00.
  Six requests held; only the one ending 3 March ends after that (the one ending 1 January 00:00 exactly
  does not): one at risk.
Kazan: its agent last heard 27 November 05:00, 100 h before now (the scheduler offers nothing after 72 h);
  1 slot for 48 h (1 Dec 09:00 .. 3 Dec 09:00), one request held for 24 h of it: utilisation 0.5.
  Valid until 2 March 2027: 91 days left, not listed.
Edge: heard exactly 72 h ago, still live (matching.py keeps heartbeat >= now - 72 h); valid until 1 March
  2027: 90 days left, listed.
Never: no capacity advert at all (never heard from); accreditation lapsed on 30 November: -1 day.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from schemas.events import CapacityAdvertised, CapacityItem, LabProfile
from schemas.values import Accreditation, AccreditationStatus, ScopeItem
from services.booking.insight.labfigures import Held, Span, labs_insight
from services.booking.insight.supply import SupplyView
from services.common.errors import ApiError

UTC = timezone.utc
NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
SALT, VIBRATION, HUMIDITY = "ISO9227-NSS-96", "IEC60068-2-6-FC", "ISO6270-2-CH-240"


def at(month: int, day: int, hour: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def profile(lab_id: str, city: str, region: str, valid_until: date, *methods: str) -> LabProfile:
    return LabProfile(
        lab_id=lab_id, name=f"{city} Test Centre", inn="6320000000", region_code=region, city=city, lat=53.5,
        lon=49.4, updated_at=NOW, accreditation=Accreditation(
            certificate_no=f"RA.RU.21{lab_id[-2:].upper()}01", status=AccreditationStatus.ACTIVE,
            valid_until=valid_until),
        scope=tuple(ScopeItem(method_code=m, max_samples=10, price_rub=Decimal("50000")) for m in methods))


def advert(lab_id: str, heard: datetime, *windows: tuple[str, int, datetime, datetime]) -> CapacityAdvertised:
    return CapacityAdvertised(lab_id=lab_id, heartbeat_at=heard, items=tuple(
        CapacityItem(method_code=m, slots=s, available_from=a, available_to=b) for m, s, a, b in windows))


PROFILES = {p.lab_id: p for p in (
    profile("lab-tg", "Togliatti", "RU-SAM", date(2026, 12, 31), SALT, VIBRATION),
    profile("lab-kz", "Kazan", "RU-TA", date(2027, 3, 2), SALT),
    profile("lab-ed", "Kaluga", "RU-KLU", date(2027, 3, 1), SALT),
    profile("lab-nv", "Ulyanovsk", "RU-ULY", date(2026, 11, 30), SALT),
)}
ADVERTS = {a.lab_id: a for a in (
    advert("lab-tg", NOW - timedelta(hours=1), (SALT, 2, at(11, 20), at(12, 11, 9)),
           (SALT, 1, at(2, 20, 9, 2027), at(4, 1, 0, 2027)), (VIBRATION, 0, at(12, 1), at(12, 31))),
    advert("lab-kz", NOW - timedelta(hours=100), (SALT, 1, NOW, at(12, 3, 9))),
    advert("lab-ed", NOW - timedelta(hours=72)),
)}
HELD = [
    Held("lab-tg", SALT, at(12, 2), at(12, 6)),
    Held("lab-tg", SALT, at(11, 29, 9), at(12, 3, 9)),
    Held("lab-tg", SALT, at(12, 28), at(1, 1, 0, 2027)),
    Held("lab-tg", SALT, at(2, 27, 9, 2027), at(3, 3, 9, 2027)),
    Held("lab-tg", SALT, None, None),
    Held("lab-tg", HUMIDITY, at(12, 10), at(12, 11)),
    Held("lab-kz", SALT, NOW, at(12, 2, 9)),
    Held("lab-gone", SALT, at(12, 2), at(12, 6)),  # a lab whose profile was deleted: counted nowhere
]


def figures():
    return labs_insight(PROFILES, ADVERTS, HELD, NOW, liveness_hours=72.0)


def test_the_span_is_the_next_ninety_days():
    found = figures()
    assert (found.since, found.until, found.computed_at) == (NOW, at(3, 1, 9, 2027), NOW)
    assert found.liveness_hours == 72.0


def test_utilisation_per_lab_and_method_counts_slot_hours_and_held_hours_in_the_span():
    rows = {(u.lab_id, u.method_code): (u.available_hours, u.booked_hours, u.free_hours, u.utilisation)
            for u in figures().use}
    assert rows == {
        ("lab-ed", SALT): (0.0, 0.0, 0.0, None),
        ("lab-kz", SALT): (48.0, 24.0, 24.0, 0.5),
        ("lab-nv", SALT): (0.0, 0.0, 0.0, None),
        ("lab-tg", HUMIDITY): (0.0, 24.0, 0.0, None),
        ("lab-tg", SALT): (696.0, 288.0, 408.0, 0.4138),
        ("lab-tg", VIBRATION): (0.0, 0.0, 0.0, None),
    }
    assert [(u.lab_id, u.method_code) for u in figures().use] == sorted(rows)
    first = figures().use[0]
    assert (first.name, first.city, first.region) == ("Kaluga Test Centre", "Kaluga", "RU-KLU")


def test_accreditations_within_ninety_days_with_the_work_they_hold():
    found = [(e.lab_id, e.certificate_no, e.valid_until, e.days_left, e.holding, e.at_risk, e.status)
             for e in figures().expiring]
    assert found == [
        ("lab-nv", "RA.RU.21NV01", date(2026, 11, 30), -1, 0, 0, "active"),
        ("lab-tg", "RA.RU.21TG01", date(2026, 12, 31), 30, 6, 1, "active"),
        ("lab-ed", "RA.RU.21ED01", date(2027, 3, 1), 90, 0, 0, "active"),
    ]


def test_silent_agents_by_the_schedulers_liveness_rule():
    found = [(s.lab_id, s.last_heartbeat, s.hours_silent, s.holding) for s in figures().silent]
    assert found == [("lab-nv", None, None, 0), ("lab-kz", at(11, 27, 5), 100.0, 1)]


def test_a_longer_liveness_window_hears_kazan():
    found = labs_insight(PROFILES, ADVERTS, HELD, NOW, liveness_hours=100.0)
    assert [s.lab_id for s in found.silent] == ["lab-nv"]


def test_no_labs_no_figures():
    found = labs_insight({}, {}, HELD, NOW, liveness_hours=72.0)
    assert (found.use, found.expiring, found.silent) == ([], [], [])


def test_span_hours_clip_both_ends():
    span = Span(at(12, 1), at(12, 2))
    assert span.hours(at(11, 30), at(12, 1, 6)) == 6.0
    assert span.hours(at(12, 1, 18), at(12, 3)) == 6.0
    assert span.hours(at(12, 3), at(12, 4)) == 0.0


def test_a_supply_still_being_read_answers_503():
    supply = SupplyView()
    with pytest.raises(ApiError) as refused:
        supply.require_loaded()
    assert (refused.value.status, refused.value.code) == (503, "supply_loading")
    supply.loaded.set()
    supply.require_loaded()
