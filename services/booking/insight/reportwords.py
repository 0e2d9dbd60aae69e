"""The localisation report's words in English and Russian (report.py lays them out).

Counts take the word form CLDR gives for them through Babel ("1 заявка", "2 заявки",
"5 заявок", "21 заявка"), never a rule of our own; in Russian a verb agrees with the
count too ("будет размещена ещё 1 заявка", "будут размещены ещё 2 заявки"), so a
counted phrase is written whole per plural category. Numbers and dates are formatted
for the locale ("1 320" with a no-break space, "2 декабря 2026 г.").
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from babel.dates import format_date, format_datetime

from schemas.catalogue import CATALOGUE
from schemas.insight_api import CapacityOption
from schemas.reasons import REASON_LABELS
from schemas.regions import REGIONS_BY_CODE
from schemas.states import STATUS_LABELS
from services.common.words import locale, number

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "The localisation case: where Russia must add testing capacity",
        "lede": "Test requests that accredited Russian labs cannot take in time, by method and region, and what "
                "added capacity would place, as the scheduler's own planner computes it.",
        "waiting": "waiting for a lab: no lab holds a slot yet",
        "unmatched": "no lab can take them in time (UNMATCHED)",
        "placed": "placed with a lab before the deadline",
        "unplaced": "the planner cannot place within deadline",
        "placed_more": "the suggestions below would place",
        "not_computed": "not computed yet",
        "map": "Requests by the region they ship from (circle area: requested; red: unmet)",
        "worst": "Unmet of requested, most first: {regions}",
        "worst_one": "{region} {unmet} of {demand}",
        "unmet": "Unmet demand: the methods and regions with the most UNMATCHED requests",
        "columns": "requests|method|title|region|reasons",
        "no_unmet": "no unmatched requests",
        "gaps": "Capacity what-if: added slots and the waiting requests they would place",
        "gaps_missing": "capacity what-if not computed yet",
        "gaps_none": "no addition tried places any more requests",
        "hopeless": "{n} more methods with unplaced requests: no addition tried places any more",
        "more": "and {n} more",
        "planned": "planner run {moment} UTC",
    },
    "ru": {
        "title": "Обоснование локализации: где в России нужны испытательные мощности",
        "lede": "Заявки на испытания, которые аккредитованные российские лаборатории не успевают принять, по методам "
                "и регионам, и что дадут новые мощности — по расчёту планировщика самой системы.",
        "waiting": "ждут лабораторию: слот ещё не закреплён",
        "unmatched": "ни одна лаборатория не успевает (UNMATCHED)",
        "placed": "размещены в лабораториях до срока",
        "unplaced": "планировщик не может разместить в срок",
        "placed_more": "разместят предложения ниже",
        "not_computed": "ещё не рассчитано",
        "map": "Заявки по региону отправки (площадь круга — запрошено, красным — не размещено)",
        "worst": "Не размещено из запрошенных, по убыванию: {regions}",
        "worst_one": "{region} — {unmet} из {demand}",
        "unmet": "Неудовлетворённый спрос: методы и регионы с наибольшим числом неразмещённых заявок",
        "columns": "заявок|метод|название|регион|причины",
        "no_unmet": "неразмещённых заявок нет",
        "gaps": "Что дадут новые мощности: добавленные слоты и заявки, которые они разместят",
        "gaps_missing": "расчёт мощностей ещё не выполнен",
        "gaps_none": "ни одно опробованное добавление не размещает больше заявок",
        "hopeless": "ещё методов с неразмещёнными заявками: {n}; ни одно опробованное добавление не помогает",
        "more": "и ещё {n}",
        "planned": "расчёт планировщика {moment} UTC",
    },
}
# A counted phrase per CLDR plural category; "other" is what Babel gives for fractions.
REQUESTS = {"en": {"one": "{n} request", "other": "{n} requests"},
            "ru": {"one": "{n} заявка", "few": "{n} заявки", "many": "{n} заявок", "other": "{n} заявки"}}
SLOTS_MORE = {"en": {"one": "{n} more slot", "other": "{n} more slots"},
              "ru": {"one": "Ещё {n} слот", "few": "Ещё {n} слота", "many": "Ещё {n} слотов", "other": "Ещё {n} слота"}}
PLACES_MORE = {"en": {"one": "would place {n} more request", "other": "would place {n} more requests"},
               "ru": {"one": "в срок будет размещена ещё {n} заявка",
                      "few": "в срок будут размещены ещё {n} заявки",
                      "many": "в срок будут размещены ещё {n} заявок",
                      "other": "в срок будут размещены ещё {n} заявки"}}
# "from March 2027" / "с марта 2027 г.": Babel's MMMM is the month as it stands in a date;
# the narrow no-break space before "г." is CLDR's, as in its long dates.
MONTH_PATTERNS = {"en": "MMMM y", "ru": "MMMM y\u202f'г'."}


def counted(forms: dict[str, dict[str, str]], n: int, lang: str) -> str:
    """`n` in the phrase CLDR's plural rules pick for it in `lang`."""
    by_category = forms[lang]
    phrase = by_category.get(locale(lang).plural_form(n), by_category["other"])
    return phrase.format(n=number(n, lang))


def day(value: date, lang: str) -> str:
    return format_date(value, "long", locale=lang)


def moment(value: datetime, lang: str) -> str:
    return format_datetime(value, "short", tzinfo=timezone.utc, locale=lang)


def starting(value: date, lang: str) -> str:
    """The month alone when the option starts on its first day, else the whole date."""
    return format_date(value, MONTH_PATTERNS[lang], locale=lang) if value.day == 1 else day(value, lang)


def method_title(code: str, lang: str) -> str:
    method = CATALOGUE.get(code)
    return (method.title_en if lang == "en" else method.title_ru) if method else code


def region_name(code: str, lang: str) -> str:
    region = REGIONS_BY_CODE.get(code)
    return (region.name_en if lang == "en" else region.name_ru) if region else code


def status_name(status: str, lang: str) -> str:
    labels = STATUS_LABELS.get(status)  # a status this version does not know reads as its code
    return (labels[1] if lang == "ru" else labels[0]) if labels else status


def reason_text(code: str, lang: str) -> str:
    labels = REASON_LABELS.get(code)
    return labels[0 if lang == "en" else 1] if labels else code.replace("_", " ")


def suggestion(method_code: str, option: CapacityOption, lang: str, title: str | None = None) -> str:
    """'2 more slots of <title> in <region> from <month> would place 37 more requests.'
    `title` replaces the method's title when a shortened one must fit the page."""
    slots, places = counted(SLOTS_MORE, option.slots, lang), counted(PLACES_MORE, option.placed_more, lang)
    title = method_title(method_code, lang) if title is None else title
    region, start = region_name(option.region, lang), starting(option.available_from, lang)
    if lang == "en":
        return f"{slots} of {title} in {region} from {start} {places}."
    return f"{slots} для «{title}» в регионе «{region}» с {start}: {places}."
