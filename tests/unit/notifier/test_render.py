"""Rendering notices (services/notifier/render.py and templates/): every kind, both languages."""
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from schemas.notifications import Kind, Language
from services.notifier import render
from services.notifier.render import Rendered, plural, render_email, render_summary, render_title

from .message_contexts import OCCURRED, REQUEST_ID, STANDARD, TITLE_EN, TITLE_RU, full, minimal

NNBSP = "\u202f"  # CLDR's narrow no-break space: "2026 г.", "9:00 AM"
NBSP = "\u00a0"
CASES = [(kind, language, make) for kind in Kind for language in Language for make in (full, minimal)]


def leftovers(text: str) -> list[str]:
    return [mark for mark in ("{{", "}}", "{%", "%}", "{#", "None", "Undefined") if mark in text]


@pytest.mark.parametrize(("kind", "language", "make"), CASES,
                         ids=[f"{k.value}-{lang.value}-{m.__name__}" for k, lang, m in CASES])
def test_every_kind_renders_in_both_languages(kind, language, make):
    ctx = make(kind)
    rendered = render_email(ctx, language)
    assert isinstance(rendered, Rendered)
    assert rendered.subject and "\n" not in rendered.subject
    for part in (rendered.subject, rendered.text, rendered.html):
        assert leftovers(part) == []
    assert rendered.html.startswith("<!DOCTYPE html>") and f'<html lang="{language.value}">' in rendered.html
    greeting = "Здравствуйте!" if language == Language.RU else "Hello,"
    assert rendered.text.startswith(greeting) and greeting in rendered.html
    assert render_title(ctx, language) == rendered.subject
    summary = render_summary(ctx, language)
    assert summary and "\n" not in summary and leftovers(summary) == []
    assert summary in re.sub(r"[ \n]+", " ", rendered.text)  # the email leads with it, wrapped


def test_templates_exist_for_every_kind_and_language():
    for language in Language:
        for kind in Kind:
            for ext in ("txt", "html"):
                assert (Path(render.TEMPLATES) / language.value / f"{kind.value}.{ext}").is_file()


@pytest.mark.parametrize(("samples", "expected"), [
    (1, "1 образец"), (2, "2 образца"), (5, "5 образцов"), (11, "11 образцов"),
    (21, "21 образец"), (22, "22 образца"), (25, "25 образцов"),
])
def test_russian_sample_counts(samples, expected):
    text = render_email(full(Kind.REQUEST_SUBMITTED, samples=samples), Language.RU).text
    assert f"Количество: {expected}\n" in text


@pytest.mark.parametrize(("samples", "expected"), [(1, "1 sample"), (2, "2 samples"), (21, "21 samples")])
def test_english_sample_counts(samples, expected):
    assert f"Quantity: {expected}\n" in render_email(full(Kind.OFFER_MADE, samples=samples), Language.EN).text


def test_plural_uses_cldr_categories():
    forms = dict(one="день", few="дня", many="дней")
    assert [plural(n, "ru", **forms) for n in (0, 1, 3, 12, 101, 111, 1004)] == [
        "0 дней", "1 день", "3 дня", "12 дней", "101 день", "111 дней", "1004 дня"]
    assert plural(1, "en", one="day", other="days") == "1 day"
    assert plural(0, "en", one="day", other="days") == "0 days"
    with pytest.raises(ValueError):
        plural(5, "ru", one="день", few="дня")  # no many, no other


@pytest.mark.parametrize(("valid_until", "ru", "en"), [
    (date(2026, 12, 1), "истекает через 21 день (1 декабря 2026" + NNBSP + "г.)", "expires in 21 days (Dec 1, 2026)"),
    (date(2026, 11, 12), "истекает через 2 дня", "expires in 2 days"),
    (date(2026, 11, 15), "истекает через 5 дней", "expires in 5 days"),
    (date(2026, 11, 11), "истекает через 1 день", "expires in 1 day"),
])
def test_days_until_an_accreditation_lapses(valid_until, ru, en):
    ctx = full(Kind.ACCREDITATION_LAPSING, valid_until=valid_until)
    assert ru in render_summary(ctx, Language.RU)
    assert en in render_summary(ctx, Language.EN)


def test_days_count_from_the_date_in_moscow():
    # 22:30 UTC on the 9th is already 01:30 on the 10th in Moscow: one day to the 11th, not two.
    ctx = full(Kind.ACCREDITATION_LAPSING, occurred_at=datetime(2026, 11, 9, 22, 30, tzinfo=timezone.utc),
               valid_until=date(2026, 11, 11))
    assert "через 1 день" in render_summary(ctx, Language.RU)


@pytest.mark.parametrize(("left", "ru", "en"), [
    (timedelta(hours=48), "действует ещё 2 дня", "open for 2 more days"),
    (timedelta(days=5, hours=3), "действует ещё 5 дней", "open for 5 more days"),
    (timedelta(hours=47), "действует ещё 47 часов", "open for 47 more hours"),
    (timedelta(hours=21), "действует ещё 21 час", "open for 21 more hours"),
    (timedelta(minutes=30), "действует ещё 1 час", "open for 1 more hour"),
])
def test_time_left_to_answer_an_offer(left, ru, en):
    ctx = full(Kind.OFFER_MADE, expires_at=OCCURRED + left)
    assert ru in render_summary(ctx, Language.RU)
    assert en in render_summary(ctx, Language.EN)


def test_an_expired_offer_says_no_time_left():
    ctx = full(Kind.OFFER_MADE, expires_at=OCCURRED - timedelta(hours=1))
    assert "действует" not in render_summary(ctx, Language.RU)


def test_dates_and_times_per_locale_in_moscow_time():
    assert render.DISPLAY_TZ == "Europe/Moscow"
    ru = render_email(full(Kind.REQUEST_SCHEDULED), Language.RU).text
    assert f"Срок выполнения: 10 декабря 2026{NNBSP}г.\n" in ru
    assert f"Начало испытаний: 20 ноября 2026{NNBSP}г., 09:00 (Москва)\n" in ru
    assert f"Окончание испытаний: 30 ноября 2026{NNBSP}г., 18:30 (Москва)\n" in ru
    en = render_email(full(Kind.REQUEST_SCHEDULED), Language.EN).text
    assert "Deadline: Dec 10, 2026\n" in en
    assert f"Testing starts: Nov 20, 2026, 9:00{NNBSP}AM (Moscow Time)\n" in en
    assert f"Testing ends: Nov 30, 2026, 6:30{NNBSP}PM (Moscow Time)\n" in en


def test_naive_times_are_read_as_utc():
    ctx = full(Kind.REQUEST_SCHEDULED, planned_start=datetime(2026, 11, 20, 6, 0))
    assert f"20 ноября 2026{NNBSP}г., 09:00 (Москва)" in render_email(ctx, Language.RU).text


def test_each_language_shows_its_own_method_title_and_the_standard():
    ru = render_email(full(Kind.OFFER_MADE), Language.RU)
    en = render_email(full(Kind.OFFER_MADE), Language.EN)
    assert f"Метод испытаний: {TITLE_RU}\n" in ru.text and TITLE_RU in ru.html
    assert f"Test method: {TITLE_EN}\n" in en.text and TITLE_EN in en.html
    assert TITLE_EN not in ru.text and TITLE_RU not in en.text
    assert f"Стандарт: {STANDARD}\n" in ru.text and f"Standard: {STANDARD}\n" in en.text


def test_an_unknown_method_shows_its_code():
    text = render_email(full(Kind.REQUEST_SUBMITTED, method_code="NO-SUCH-METHOD"), Language.EN).text
    assert "Test method: NO-SUCH-METHOD\n" in text and "Standard:" not in text


def test_the_facts_a_full_message_lists():
    text = render_email(full(Kind.REQUEST_SCHEDULED), Language.RU).text
    for line in ("Компонент: Кронштейн фары", "Номер детали: 8450012345", "Отгрузка из: Самарская область",
                 "Лаборатория: ИЦ «Автотест», Казань", "Причина: Нет мощностей до срока",
                 f"Открыть заявку: https://labbook.example/requests/{REQUEST_ID}"):
        assert f"{line}\n" in text
    en = render_email(full(Kind.REQUEST_UNMATCHED), Language.EN).text
    assert "Reason: No capacity before the deadline\n" in en and "Shipped from: Samara Oblast\n" in en


def test_a_minimal_message_lists_nothing_unknown():
    rendered = render_email(minimal(Kind.REQUEST_SCHEDULED), Language.RU)
    assert "Компонент" not in rendered.text and "Открыть заявку" not in rendered.text
    assert "Компонент" not in rendered.html and "<a href" not in rendered.html


def test_subjects_by_hand():
    assert render_title(full(Kind.REQUEST_SCHEDULED), Language.RU) == f"Испытания запланированы: Кронштейн фары, №{NBSP}8450012345"
    assert render_title(full(Kind.REQUEST_SCHEDULED), Language.EN) == f"Testing scheduled: Кронштейн фары, P/N{NBSP}8450012345"
    assert render_title(minimal(Kind.REQUEST_SCHEDULED), Language.RU) == "Испытания запланированы"
    assert render_title(minimal(Kind.REQUEST_CANCELLED, request_id=REQUEST_ID), Language.RU) == \
        f"Заявка отменена: заявка №{NBSP}1a2b3c4d"
    assert render_title(minimal(Kind.OFFER_MADE, request_id=REQUEST_ID), Language.EN) == "New job offer: request #1a2b3c4d"
    assert render_title(full(Kind.SUBSCRIPTION_DISABLED), Language.EN) == "Notifications disabled: ops@supplier.example"
    assert render_title(full(Kind.ACCREDITATION_LAPSING), Language.RU) == "Истекает срок аккредитации: ИЦ «Автотест» (Казань)"


def test_summaries_by_hand():
    ctx = full(Kind.REQUEST_UNMATCHED, reason="no_accredited_lab")
    assert render_summary(ctx, Language.RU) == (f"Для заявки (Кронштейн фары, №{NBSP}8450012345) пока не удалось "
                                                "подобрать лабораторию. Причина: нет аккредитованной лаборатории.")
    assert render_summary(ctx, Language.EN) == (f"No lab could be found for the request (Кронштейн фары, P/N{NBSP}8450012345)"
                                                " yet. Reason: no accredited lab.")
    assert render_summary(minimal(Kind.REQUEST_ACCEPTED), Language.RU) == "Лаборатория приняла вашу заявку."
    assert render_summary(full(Kind.REQUEST_MATCHING, reason="offer_declined"), Language.EN).endswith(
        "The lab declined the offer, so we are looking again.")


def test_an_unknown_reason_reads_as_words():
    text = render_email(full(Kind.REQUEST_UNMATCHED, reason="lab_on_fire"), Language.EN).text
    assert "Reason: lab on fire\n" in text


def test_html_is_escaped_and_plain_text_is_not():
    ctx = full(Kind.REQUEST_SCHEDULED, component_name="<script>alert(1)</script>", lab_name="Lab & Sons",
               request_url="https://labbook.example/r?a=1&b=2")
    rendered = render_email(ctx, Language.EN)
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered.html
    assert "Lab &amp; Sons" in rendered.html and 'href="https://labbook.example/r?a=1&amp;b=2"' in rendered.html
    assert "Component: <script>alert(1)</script>\n" in rendered.text
    assert "<script>" in rendered.subject  # a subject is plain text; the HTML <title> is escaped
    assert "<title>Testing scheduled: &lt;script&gt;" in rendered.html


def test_html_is_self_contained():
    html = render_email(full(Kind.OFFER_MADE), Language.RU).html
    for external in ("<link", "<script", "<img", "<style", "url(", "@import"):
        assert external not in html
    assert 'style="' in html


def test_the_calendar_sentence_only_when_a_calendar_is_attached():
    assert "файле календаря" in render_email(full(Kind.REQUEST_SCHEDULED), Language.RU).text
    assert "файле календаря" not in render_email(full(Kind.REQUEST_SCHEDULED, planned_end=None), Language.RU).text
    assert "calendar file" not in render_email(minimal(Kind.JOB_CANCELLED), Language.EN).text


def test_plain_text_is_wrapped_but_part_numbers_are_not_split():
    text = render_email(full(Kind.OFFER_MADE), Language.RU).text
    summary_lines = text.split("\n\n")[1].splitlines()
    assert len(summary_lines) > 1 and all(len(line) <= render.WRAP for line in summary_lines)
    assert f"№{NBSP}8450012345" in text
