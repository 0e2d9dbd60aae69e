"""Catalogue and region look-ups."""
import pytest

from schemas.catalogue import CATALOGUE, find_methods, get_method
from schemas.regions import distance_km, get_region


def test_at_least_thirty_real_methods():
    assert len(CATALOGUE) >= 30


def test_lookup_by_code():
    code = next(iter(CATALOGUE))
    assert get_method(code).code == code
    assert get_method("NO-SUCH-METHOD") is None


def test_find_by_category_and_text():
    lamps = find_methods(category="lighting")
    assert lamps and all("lighting" in m.categories for m in lamps)
    salt = find_methods(text="iso 9227")
    assert salt and all("9227" in m.standard for m in salt)
    assert find_methods(category="lighting", text="iso 9227") == [
        m for m in salt if "lighting" in m.categories
    ]


def test_search_in_russian_titles():
    assert find_methods(text="соляного") or find_methods(text="солян")


@pytest.mark.parametrize(
    ("a", "b", "km"),
    [("RU-MOW", "RU-SPE", 634), ("RU-SAM", "RU-TA", 300), ("RU-MOW", "BY-HM", 675)],
)
def test_distances_between_region_centres(a, b, km):
    ra, rb = get_region(a), get_region(b)
    assert distance_km(ra.lat, ra.lon, rb.lat, rb.lon) == pytest.approx(km, rel=0.08)


def test_regions_of_three_countries():
    assert get_region("RU-SAM").country == "RU"
    assert get_region("UZ-TK").country == "UZ"
    assert get_region("XX-YY") is None
    assert any(c.name == "Togliatti" for c in get_region("RU-SAM").cities)
