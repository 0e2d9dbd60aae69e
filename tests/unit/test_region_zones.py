"""Every region has the time zone its dates are read in (a lab's `2026-12-01` is a day there)."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from schemas.regions import REGIONS_BY_CODE, zone_of

WINTER = datetime(2027, 1, 15, 12)  # no zone in these countries keeps daylight saving time

# Written out by hand from the tz database, one region for each of Russia's eleven offsets
# and the neighbours; more than one per offset where regions have their own tz entry.
EXPECTED_HOURS = {
    "RU-KGD": 2,
    "RU-MOW": 3, "RU-SPE": 3, "RU-TA": 3, "RU-VGG": 3, "RU-KIR": 3, "BY-MI": 3, "BY-HM": 3,
    "RU-SAM": 4, "RU-UD": 4, "RU-ULY": 4, "RU-SAR": 4, "RU-AST": 4,
    "RU-SVE": 5, "RU-BA": 5, "RU-PER": 5, "RU-CHE": 5, "RU-ORE": 5, "UZ-TO": 5, "UZ-SA": 5,
    "RU-OMS": 6,
    "RU-NVS": 7, "RU-KYA": 7, "RU-TOM": 7, "RU-ALT": 7, "RU-AL": 7, "RU-KEM": 7,
    "RU-IRK": 8, "RU-BU": 8,
    "RU-SA": 9, "RU-AMU": 9, "RU-ZAB": 9,
    "RU-PRI": 10, "RU-KHA": 10, "RU-YEV": 10,
    "RU-MAG": 11, "RU-SAK": 11,
    "RU-KAM": 12, "RU-CHU": 12,
}


@pytest.mark.parametrize("code", sorted(REGIONS_BY_CODE))
def test_every_region_has_a_zone_zoneinfo_loads(code):
    assert isinstance(zone_of(code), ZoneInfo) and zone_of(code).key == REGIONS_BY_CODE[code].tz


@pytest.mark.parametrize("code, hours", sorted(EXPECTED_HOURS.items()))
def test_winter_offsets(code, hours):
    assert zone_of(code).utcoffset(WINTER) == timedelta(hours=hours)


def test_russia_spans_eleven_offsets():
    offsets = {zone_of(c).utcoffset(WINTER) for c in REGIONS_BY_CODE if c.startswith("RU-")}
    assert sorted(o / timedelta(hours=1) for o in offsets) == list(range(2, 13))


def test_an_unknown_region_has_no_zone():
    with pytest.raises(KeyError):
        zone_of("RU-XXX")
