"""The state machine, checked over every (current, target) pair, generated."""
from itertools import product

import pytest

from schemas.states import (
    CANCELLABLE,
    INITIAL,
    TERMINAL,
    TRANSITIONS,
    IllegalTransition,
    RequestStatus,
    can_transition,
    check_transition,
)

S = RequestStatus
PAIRS = list(product([None, *S], S))
LEGAL = [(c, t) for c, t in PAIRS if (t == INITIAL if c is None else t in TRANSITIONS[c])]
ILLEGAL = [p for p in PAIRS if p not in LEGAL]


@pytest.mark.parametrize(("current", "target"), LEGAL)
def test_legal_transition_is_accepted(current, target):
    assert check_transition(current, target) is target
    assert can_transition(current, target)


@pytest.mark.parametrize(("current", "target"), ILLEGAL)
def test_illegal_transition_is_refused_with_a_clear_error(current, target):
    with pytest.raises(IllegalTransition) as err:
        check_transition(current, target)
    assert str(target) in str(err.value) and str(current or "nothing") in str(err.value)
    assert err.value.current == current and err.value.target == target


def test_the_pairs_cover_both_outcomes():
    assert len(LEGAL) + len(ILLEGAL) == (len(S) + 1) * len(S)
    assert 15 < len(LEGAL) < 40


def test_happy_path_reaches_report_issued():
    path = ["SUBMITTED", "MATCHING", "OFFERED", "ACCEPTED", "SCHEDULED",
            "SAMPLES_RECEIVED", "IN_TESTING", "COMPLETED", "REPORT_ISSUED"]
    current = None
    for step in path:
        current = check_transition(current, step)
    assert current in TERMINAL


def test_rematching_loops_are_allowed():
    assert can_transition(S.OFFERED, S.MATCHING)  # decline or timeout
    assert can_transition(S.MATCHING, S.UNMATCHED) and can_transition(S.UNMATCHED, S.MATCHING)


def test_cancel_only_before_testing_starts():
    for status in S:
        assert can_transition(status, S.CANCELLED) == (status in CANCELLABLE)
    assert S.IN_TESTING not in CANCELLABLE and S.SAMPLES_RECEIVED in CANCELLABLE


def test_every_status_is_reachable_from_submitted():
    seen, frontier = {S.SUBMITTED}, [S.SUBMITTED]
    while frontier:
        for nxt in TRANSITIONS[frontier.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    assert seen == set(S)


def test_terminal_states_are_final():
    assert TERMINAL == {S.REPORT_ISSUED, S.CANCELLED}


def test_unknown_status_name_is_refused():
    with pytest.raises(ValueError):
        check_transition("SUBMITTED", "TELEPORTED")
