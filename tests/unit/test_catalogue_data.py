"""Checks over the raw catalogue data: test methods and regions (no models involved)."""
from __future__ import annotations

import re
from collections import Counter

import pytest

from schemas.methods_data import METHODS
from schemas.regions_data import REGIONS

CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,39}$")
REGION_CODE_RE = re.compile(r"^(RU|BY|UZ)-[A-Z]{2,3}$")
CYRILLIC_RE = re.compile(r"[А-Яа-яЁё]")

CATEGORIES = frozenset(
    {
        "fasteners", "metal_parts", "coatings", "plastics", "interior_trim", "rubber_seals",
        "electronics", "wiring", "lighting", "glazing", "seats", "seat_belts", "brakes", "tyres",
        "mirrors", "body_parts", "powertrain", "batteries",
    }
)
METHOD_KEYS = {"code", "standard", "title_ru", "title_en", "categories", "duration_hours", "samples", "typical"}
REGION_KEYS = {"code", "name_ru", "name_en", "centre", "lat", "lon", "tz"}

# Standards named in DESIGN.md's "Test-method catalogue" section: label -> pattern
# searched in the `standard` fields (word boundaries keep R10 from matching R100).
DESIGN_STANDARDS = {
    "ISO 9227": r"\bISO 9227\b",
    "ISO 6270-2": r"\bISO 6270-2\b",
    "IEC 60068-2-6": r"\bIEC 60068-2-6\b(?!\d)",
    "IEC 60068-2-14": r"\bIEC 60068-2-14\b",
    "ISO 3795": r"\bISO 3795\b",
    "GOST 25076": r"\bGOST 25076\b",
    "UNECE R10": r"\bR10\b",
    "CISPR 25": r"\bCISPR 25\b",
    "UNECE R43": r"\bR43\b",
    "UNECE R48": r"\bR48\b",
    "UNECE R112": r"\bR112\b",
    "UNECE R148": r"\bR148\b",
    "UNECE R16": r"\bR16\b",
    "UNECE R90": r"\bR90\b",
    "UNECE R30": r"\bR30\b",
    "UNECE R54": r"\bR54\b",
    "UNECE R117": r"\bR117\b",
    "ISO 6892-1": r"\bISO 6892-1\b",
    "GOST 1497": r"\bGOST 1497\b",
    "ISO 188": r"\bISO 188\b(?![\d-])",
    "ISO 2409": r"\bISO 2409\b",
}

# Every row of shared/METHODS.md, by a pattern on `standard`.
METHODS_MD_ROWS = {
    "ISO 9227 NSS": r"ISO 9227.*NSS",
    "ISO 9227 AASS": r"ISO 9227.*AASS",
    "ISO 9227 CASS": r"ISO 9227.*CASS",
    "CCT-1": r"\bCCT-1\b",
    "JASO M 609": r"\bJASO M 609\b",
    "VDA 233-102": r"\bVDA 233-102\b",
    "IEC 60068-2-30 Db": r"IEC 60068-2-30.*Db",
    "IEC 60068-2-78 Cab": r"IEC 60068-2-78.*Cab",
    "IEC 60068-2-14 Na": r"IEC 60068-2-14.*Na\b",
    "IEC 60068-2-14 Nb": r"IEC 60068-2-14.*Nb\b",
    "IEC 60068-2-1": r"\bIEC 60068-2-1\b(?!\d)",
    "IEC 60068-2-2": r"\bIEC 60068-2-2\b(?!\d)",
    "ISO 16750-3": r"\bISO 16750-3\b",
    "IEC 60068-2-64": r"\bIEC 60068-2-64\b",
    "IEC 60068-2-27": r"\bIEC 60068-2-27\b",
    "ISO 20653": r"\bISO 20653\b",
    "ISO 16750-2": r"\bISO 16750-2\b",
    "ISO 7637-2": r"\bISO 7637-2\b",
    "ISO 11452-2": r"\bISO 11452-2\b",
    "ISO 11452-4": r"\bISO 11452-4\b",
    "ISO 10605": r"\bISO 10605\b",
    "FMVSS 302": r"\bFMVSS No. 302\b",
    "UNECE R118": r"\bR118\b",
    "UNECE R17": r"\bR17\b",
    "UNECE R149": r"\bR149\b",
    "UNECE R46": r"\bR46\b",
    "ISO 4892-2": r"\bISO 4892-2\b",
    "SAE J2527": r"\bSAE J2527\b",
    "SAE J2412": r"\bSAE J2412\b",
    "ISO 1817": r"\bISO 1817\b",
}

METHOD_IDS = [m["code"] for m in METHODS]
REGION_IDS = [r["code"] for r in REGIONS]

# Plausible latitude / longitude ranges per country.
COORD_RANGES = {
    "RU": ((41.0, 82.0), (19.0, 191.0)),
    "BY": ((51.0, 57.0), (23.0, 33.0)),
    "UZ": ((37.0, 46.0), (55.0, 74.0)),
}


# --- methods --------------------------------------------------------------------------


def test_at_least_40_methods():
    assert len(METHODS) >= 40


def test_method_codes_unique():
    dupes = [code for code, n in Counter(METHOD_IDS).items() if n > 1]
    assert not dupes


@pytest.mark.parametrize("method", METHODS, ids=METHOD_IDS)
def test_method_shape(method):
    assert set(method) == METHOD_KEYS
    assert CODE_RE.match(method["code"])
    assert method["standard"].strip() == method["standard"] and method["standard"]
    assert method["title_en"].strip() and method["title_ru"].strip()


@pytest.mark.parametrize("method", METHODS, ids=METHOD_IDS)
def test_method_categories_from_fixed_set(method):
    cats = method["categories"]
    assert isinstance(cats, tuple) and cats
    assert len(set(cats)) == len(cats)
    assert set(cats) <= CATEGORIES, set(cats) - CATEGORIES


@pytest.mark.parametrize("method", METHODS, ids=METHOD_IDS)
def test_method_duration_and_samples_positive(method):
    for key in ("duration_hours", "samples"):
        value = method[key]
        assert isinstance(value, int) and not isinstance(value, bool)
        assert value >= 1
    assert isinstance(method["typical"], bool)


@pytest.mark.parametrize("method", METHODS, ids=METHOD_IDS)
def test_method_titles_languages(method):
    assert CYRILLIC_RE.search(method["title_ru"])
    assert not CYRILLIC_RE.search(method["title_en"])


@pytest.mark.parametrize("label,pattern", DESIGN_STANDARDS.items(), ids=list(DESIGN_STANDARDS))
def test_design_standard_in_catalogue(label, pattern):
    assert any(re.search(pattern, m["standard"]) for m in METHODS), label


@pytest.mark.parametrize("label,pattern", METHODS_MD_ROWS.items(), ids=list(METHODS_MD_ROWS))
def test_methods_md_row_in_catalogue(label, pattern):
    assert any(re.search(pattern, m["standard"]) for m in METHODS), label


def test_neutral_salt_spray_durations():
    hours = {m["duration_hours"] for m in METHODS if re.search(r"ISO 9227.*NSS", m["standard"])}
    assert {96, 240, 480, 720} <= hours


def test_found_durations_not_typical_estimates_are():
    by_code = {m["code"]: m for m in METHODS}
    assert by_code["ISO9227-NSS-240"]["typical"] is False  # F in METHODS.md
    assert by_code["IEC60068-2-14-NA"]["typical"] is False  # F
    assert by_code["CISPR25"]["typical"] is True  # E
    assert by_code["ISO6270-2-CH-240"]["typical"] is True  # F/E


def test_every_category_has_a_method():
    used = {c for m in METHODS for c in m["categories"]}
    assert used == CATEGORIES


# --- regions --------------------------------------------------------------------------


def test_region_codes_unique():
    dupes = [code for code, n in Counter(REGION_IDS).items() if n > 1]
    assert not dupes


def test_region_counts():
    per_country = Counter(code[:2] for code in REGION_IDS)
    assert per_country["RU"] >= 80
    assert per_country["BY"] == 7
    assert per_country["UZ"] == 14
    assert set(per_country) == {"RU", "BY", "UZ"}


def test_demo_regions_present():
    codes = set(REGION_IDS)
    for code in ("RU-SAM", "RU-MOW", "RU-SPE", "RU-NIZ", "RU-TA", "RU-KLU", "RU-ULY", "RU-UD",
                 "RU-CHE", "RU-YAR", "RU-RYA", "RU-CHU", "BY-HM", "UZ-TK"):
        assert code in codes


@pytest.mark.parametrize("region", REGIONS, ids=REGION_IDS)
def test_region_shape(region):
    assert REGION_KEYS <= set(region) <= REGION_KEYS | {"cities"}
    assert REGION_CODE_RE.match(region["code"])
    assert CYRILLIC_RE.search(region["name_ru"])
    assert region["name_en"].strip() and region["centre"].strip()
    assert not CYRILLIC_RE.search(region["name_en"] + region["centre"])


def _in_range(country: str, lat: float, lon: float) -> bool:
    (lat_lo, lat_hi), (lon_lo, lon_hi) = COORD_RANGES[country]
    return lat_lo <= lat <= lat_hi and lon_lo <= lon <= lon_hi


@pytest.mark.parametrize("region", REGIONS, ids=REGION_IDS)
def test_region_coordinates_plausible(region):
    country = region["code"][:2]
    for point in (region, *region.get("cities", ())):
        lat, lon = point["lat"], point["lon"]
        assert isinstance(lat, float) and isinstance(lon, float)
        assert round(lat, 4) == lat and round(lon, 4) == lon
        assert _in_range(country, lat, lon), (point, COORD_RANGES[country])


def test_samara_region_lists_togliatti():
    samara = next(r for r in REGIONS if r["code"] == "RU-SAM")
    assert samara["centre"] == "Samara"
    names = {c["name"] for c in samara.get("cities", ())}
    assert "Togliatti" in names
    for city in samara["cities"]:
        assert set(city) == {"name", "lat", "lon"}
