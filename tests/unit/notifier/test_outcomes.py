"""How a delivery attempt ended and when the next one comes (services/notifier/outcomes.py)."""
from __future__ import annotations

import random

import pytest

from services.notifier.outcomes import Outcome, Result, http_outcome, retry_delay, smtp_outcome

SCHEDULE = (5, 300, 1800)


@pytest.mark.parametrize(("status", "result"), [
    *((status, Result.DELIVERED) for status in (200, 201, 204)), (410, Result.DISABLED),
    *((status, Result.RETRY) for status in (400, 404, 429, 500, 503)),  # a 4xx may be a receiver's bad deploy
])
def test_http_outcome(status, result):
    outcome = http_outcome(status, "reply text")
    assert outcome.result is result
    assert outcome.status_code == status
    assert outcome.reply == "reply text"


def test_a_delivered_webhook_has_no_error():
    assert http_outcome(200, "ok") == Outcome(Result.DELIVERED, 200, "ok")


@pytest.mark.parametrize(("code", "result"), [
    (250, Result.DELIVERED), (550, Result.FAILED), (554, Result.FAILED), (421, Result.RETRY), (451, Result.RETRY),
])
def test_smtp_outcome(code, result):
    outcome = smtp_outcome(code, "2.0.0 Ok")
    assert outcome.result is result
    assert outcome.status_code == code


def test_result_values():
    assert [r.value for r in (Result.DELIVERED, Result.RETRY, Result.FAILED, Result.DISABLED)] == \
        ["delivered", "retry", "failed", "disabled"]


# --- describe ---------------------------------------------------------------------------

def test_describe_names_the_code_the_error_and_the_reply():
    assert http_outcome(503, "busy").describe() == "503 HTTP 503 busy"
    assert http_outcome(410, "gone").describe() == "410 the target answered 410 Gone gone"
    assert smtp_outcome(550, "5.1.1 no such user").describe() == \
        "550 the mail server refused the recipient 5.1.1 no such user"


def test_describe_without_a_code():
    assert Outcome(Result.RETRY, error="connection refused").describe() == "connection refused"


def test_describe_with_nothing_to_say_names_the_result():
    assert Outcome(Result.RETRY).describe() == "retry"
    assert Outcome(Result.DELIVERED, reply="").describe() == "delivered"


def test_describe_is_one_bounded_line():
    text = Outcome(Result.RETRY, 500, "x" * 5000, "HTTP 500").describe()
    assert len(text) == 1000
    assert text.startswith("500 HTTP 500 xxx")


# --- retry_delay ------------------------------------------------------------------------

@pytest.mark.parametrize(("attempts", "low", "high"), [(1, 4.0, 6.0), (2, 240.0, 360.0), (3, 1440.0, 2160.0)])
def test_retry_delay_is_the_schedule_within_20_percent(attempts, low, high):
    delay = retry_delay(attempts, SCHEDULE, random.Random(42))
    assert low <= delay <= high


@pytest.mark.parametrize(("attempts", "low", "high"), [(1, 4.0, 6.0), (2, 240.0, 360.0), (3, 1440.0, 2160.0)])
def test_retry_delay_stays_within_bounds_for_many_seeds(attempts, low, high):
    delays = [retry_delay(attempts, SCHEDULE, random.Random(seed)) for seed in range(1000)]
    assert all(low <= d <= high for d in delays)
    # jittered: not one fixed value, and both sides of the nominal delay occur
    assert len(set(delays)) > 900
    nominal = {1: 5, 2: 300, 3: 1800}[attempts]
    assert min(delays) < nominal < max(delays)


def test_the_same_seed_gives_the_same_delay():
    assert retry_delay(2, SCHEDULE, random.Random(7)) == retry_delay(2, SCHEDULE, random.Random(7))


def test_retry_delay_without_an_rng_uses_the_module_random():
    for _ in range(100):
        assert 4.0 <= retry_delay(1, SCHEDULE) <= 6.0


@pytest.mark.parametrize("attempts", [0, -1, 4, 10])
def test_retry_delay_outside_the_schedule_is_none(attempts):
    assert retry_delay(attempts, SCHEDULE, random.Random(1)) is None


def test_an_empty_schedule_never_retries():
    assert retry_delay(1, (), random.Random(1)) is None
