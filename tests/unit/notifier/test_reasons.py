"""Reason codes and their labels (schemas/reasons.py) and the dashboard that shows them."""
import json
import re

import pytest

from schemas.reasons import OTHER_REASON_LABELS, REASON_LABELS, UnmatchedReason, reason_label

CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)


def test_the_unmatched_reasons_are_exactly_the_schedulers():
    assert {r.value for r in UnmatchedReason} == {
        "no_accredited_lab", "samples_exceed_lab_limit", "accreditation_expires_before_deadline",
        "lab_agent_offline", "no_capacity_before_deadline", "excluded_by_supplier",
        "all_candidates_declined", "no_capacity_advertised",
    }


@pytest.mark.parametrize("reason", list(UnmatchedReason))
def test_every_unmatched_reason_has_an_english_and_a_russian_label(reason):
    en, ru = REASON_LABELS[reason]
    assert en.strip() and en.isascii()
    assert ru.strip() and CYRILLIC.search(ru)
    assert reason_label(reason, "en") == en
    assert reason_label(reason.value, "ru") == ru


def test_labels_by_hand():
    assert reason_label("no_accredited_lab", "ru") == "Нет аккредитованной лаборатории"
    assert reason_label("no_accredited_lab", "en") == "No accredited lab"
    assert reason_label("offer_declined", "ru") == "Лаборатория отклонила предложение"
    assert reason_label("request_cancelled", "en") == "The request was cancelled"


def test_other_reasons_stay_out_of_the_enum():
    assert OTHER_REASON_LABELS
    assert not set(OTHER_REASON_LABELS) & {r.value for r in UnmatchedReason}
    for en, ru in OTHER_REASON_LABELS.values():
        assert en.isascii() and CYRILLIC.search(ru)


def test_an_unknown_code_reads_as_words_and_free_text_as_typed():
    assert reason_label("lab_on_fire", "ru") == "lab on fire"
    assert reason_label("lab_on_fire", "en") == "lab on fire"
    assert reason_label("Планы изменились, тест_2 не нужен", "ru") == "Планы изменились, тест_2 не нужен"


def test_the_dashboard_labels_every_unmatched_reason_as_en_ru_pairs():
    from services.booking.dashboard import REASONS, labels_json

    assert set(REASONS) == {r.value for r in UnmatchedReason}
    assert REASONS["no_capacity_advertised"] == ["No capacity advertised", "Нет заявленных мощностей"]
    embedded = json.loads(labels_json())["reasons"]
    assert embedded["lab_agent_offline"] == list(REASON_LABELS[UnmatchedReason.LAB_AGENT_OFFLINE])
