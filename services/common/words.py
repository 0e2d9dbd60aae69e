"""Numbers, plurals and dates in Russian and English, by CLDR (Babel), for every place
labbook writes words for people: the notifier's messages and the staff pages.
"""
from __future__ import annotations

from datetime import date
from functools import cache

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal

DATE_FORMATS = {"ru": "long", "en": "medium"}  # 10 декабря 2026 г. / Dec 10, 2026


@cache
def locale(language: str) -> Locale:
    return Locale.parse(language)


def plural(n: int, language: str, **forms: str) -> str:
    """`n` with the word form CLDR picks for it: ru 1 образец, 2 образца, 5 образцов, 21 образец."""
    category = locale(str(language)).plural_form(n)
    word = forms.get(category, forms.get("other"))
    if word is None:
        raise ValueError(f"plural: no {category!r} (nor 'other') form for {n} in {language}")
    return f"{n} {word}"


def number(n: float, language: str) -> str:
    """1 300 (with a no-break space) in Russian, 1,300 in English."""
    return format_decimal(n, locale=str(language))


def format_day(value: date, language: str) -> str:
    return format_date(value, DATE_FORMATS[str(language)], locale=str(language))
