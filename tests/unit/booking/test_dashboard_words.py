"""The staff pages' words (services/booking/dashboardwords.py and templates/dashboard_words.json):
both languages say everything the page asks for, and a browser gets the language it chose
or prefers."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from multidict import CIMultiDict
from aiohttp.test_utils import make_mocked_request

from services.booking.dashboardwords import LANG_COOKIE, all_words, from_accept_language, language_of

PAGE = (Path(__file__).parents[3] / "services" / "booking" / "templates" / "dashboard.html").read_text("utf-8")


def shape(value):
    """The keys of a words table, recursively; lists by length, plural forms as a set apart."""
    if isinstance(value, dict) and "other" in value:
        return "plural"
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    return len(value) if isinstance(value, list) else "text"


def lookup(words: dict, path: str):
    for key in path.split("."):
        words = words[key]
    return words


def test_english_and_russian_have_the_same_words():
    en, ru = all_words()["en"], all_words()["ru"]
    assert shape(en) == shape(ru)


def test_every_word_the_page_names_is_there_in_both_languages():
    named = set(re.findall(r'data-t(?:-title)?="([\w.]+)"', PAGE))
    named |= {m.group(1) for m in re.finditer(r"\bW\.([a-zA-Z]\w*(?:\.[a-zA-Z]\w*)*)", PAGE)}
    assert {"subtitle", "flow.title", "labs.silent", "unmetTotal", "slotsIn"} <= named  # the scan finds them
    for lang in ("en", "ru"):
        for path in sorted(named):
            assert lookup(all_words()[lang], path) is not None, (lang, path)


def test_russian_plurals_have_every_form_cldr_asks_for():
    ru = all_words()["ru"]
    for key in ("regionsWithRequests", "unmetTotal", "slotsIn"):
        assert {"one", "few", "many", "other"} <= set(ru[key]), key
    assert ru["slotsIn"]["few"].format(n=2, region="Самарская область") == "2 слота в регионе «Самарская область»"


@pytest.mark.parametrize("header, lang", [
    ("ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7", "ru"),
    ("en-US,en;q=0.9,ru;q=0.8", "en"),
    ("de-DE,de;q=0.9,ru;q=0.5", "ru"),  # neither first, but Russian is named
    ("en;q=0.2, ru;q=0.8", "ru"),  # by weight, not by order
    ("fr, de", None),
    ("ru;q=0", None),  # q=0: not wanted
    ("ru;q=x, en", "en"),  # a malformed weight says nothing
    ("", None),
])
def test_accept_language_picks_the_preferred_one_we_have(header, lang):
    assert from_accept_language(header) == lang


def request(headers: dict[str, str]):
    return make_mocked_request("GET", "/dashboard", headers=CIMultiDict(headers))


def test_a_chosen_language_beats_the_remembered_one_which_beats_the_browsers():
    browser_ru = {"Accept-Language": "ru-RU,ru;q=0.9"}
    remembered_en = {**browser_ru, "Cookie": f"{LANG_COOKIE}=en"}
    assert language_of(request(browser_ru)) == "ru"
    assert language_of(request(remembered_en)) == "en"
    assert language_of(request(remembered_en), "RU") == "ru"  # ?lang=RU, in any case
    assert language_of(request({"Cookie": f"{LANG_COOKIE}=xx"}), "de") == "en"  # nothing known: English
