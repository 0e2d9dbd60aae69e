"""Why something happened to a request: the scheduler's reason codes and their labels.

`UnmatchedReason` is exactly the set of reasons the scheduler gives for UNMATCHED
(services/booking/scheduler/matching.py and flow.py, plus `no_capacity_advertised`,
which a lab's calendar gives when refusing a slot). The staff dashboard groups unmet
demand by these, and the notifier shows them in both languages.

`OTHER_REASON_LABELS` labels the codes the scheduler puts on OfferWithdrawn,
JobCancelled and on the MATCHING status of a re-match (flow.py); they are not
UNMATCHED reasons, so they stay out of the enum. A cancellation's reason may also be
free text typed by the supplier, which is shown as it is.
"""
from __future__ import annotations

import re
from enum import StrEnum


class UnmatchedReason(StrEnum):
    NO_ACCREDITED_LAB = "no_accredited_lab"
    SAMPLES_EXCEED_LAB_LIMIT = "samples_exceed_lab_limit"
    ACCREDITATION_EXPIRES_BEFORE_DEADLINE = "accreditation_expires_before_deadline"
    LAB_AGENT_OFFLINE = "lab_agent_offline"
    NO_CAPACITY_BEFORE_DEADLINE = "no_capacity_before_deadline"
    EXCLUDED_BY_SUPPLIER = "excluded_by_supplier"
    ALL_CANDIDATES_DECLINED = "all_candidates_declined"
    NO_CAPACITY_ADVERTISED = "no_capacity_advertised"


# code -> (English, Russian); short enough for a dashboard legend.
REASON_LABELS: dict[str, tuple[str, str]] = {
    UnmatchedReason.NO_ACCREDITED_LAB: ("No accredited lab", "Нет аккредитованной лаборатории"),
    UnmatchedReason.SAMPLES_EXCEED_LAB_LIMIT: (
        "More samples than any lab accepts", "Образцов больше, чем принимает любая лаборатория"),
    UnmatchedReason.ACCREDITATION_EXPIRES_BEFORE_DEADLINE: (
        "Accreditation expires before the deadline", "Аккредитация истекает раньше срока"),
    UnmatchedReason.LAB_AGENT_OFFLINE: ("Labs' systems are offline", "Системы лабораторий не на связи"),
    UnmatchedReason.NO_CAPACITY_BEFORE_DEADLINE: ("No capacity before the deadline", "Нет мощностей до срока"),
    UnmatchedReason.EXCLUDED_BY_SUPPLIER: (
        "Only labs excluded by the supplier can do it", "Подходят только лаборатории, исключённые поставщиком"),
    UnmatchedReason.ALL_CANDIDATES_DECLINED: ("Every suitable lab declined", "Все подходящие лаборатории отказались"),
    UnmatchedReason.NO_CAPACITY_ADVERTISED: ("No capacity advertised", "Нет заявленных мощностей"),
}

# Found in services/booking/scheduler/flow.py: withdraw(...), JobCancelled and rematch_after_offer.
OTHER_REASON_LABELS: dict[str, tuple[str, str]] = {
    "request_cancelled": ("The request was cancelled", "Заявка отменена"),
    "offer_expired": ("The offer was not answered in time", "Срок ответа на предложение истёк"),
    "offer_declined": ("The lab declined the offer", "Лаборатория отклонила предложение"),
    "accreditation_suspended": ("The lab's accreditation is suspended", "Аккредитация лаборатории приостановлена"),
    "supply_changed": ("New lab capacity became available", "Появились новые мощности лабораторий"),
}

_CODE = re.compile(r"[a-z][a-z0-9_]*")


def reason_label(code: str, language: str) -> str:
    """The label in `language` ("en" or "ru"); an unknown code reads as words, free text as typed."""
    labels = REASON_LABELS.get(code) or OTHER_REASON_LABELS.get(code)
    if labels is not None:
        return labels[1] if str(language) == "ru" else labels[0]
    return code.replace("_", " ") if _CODE.fullmatch(code) else code
