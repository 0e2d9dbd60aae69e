"""The state machine, checked over every (current, target) pair against the table written
out by hand from DESIGN.md (tests/support/state_machine.py), not derived from TRANSITIONS:
an edit to TRANSITIONS that the design does not make fails here."""
from itertools import product

import pytest

from schemas.states import (
    BACKLOG,
    CANCELLABLE,
    TERMINAL,
    TRANSITIONS,
    IllegalTransition,
    RequestStatus,
    can_transition,
    check_transition,
)
from tests.support.state_machine import BEFORE_TESTING, DESIGNED_NEXT

S = RequestStatus
STATUSES = [s for s in DESIGNED_NEXT if s is not None]
PAIRS = list(product([None, *STATUSES], STATUSES))
LEGAL = [(c, t) for c, t in PAIRS if t in DESIGNED_NEXT[c]]
ILLEGAL = [p for p in PAIRS if p not in LEGAL]


def status(name: str | None) -> RequestStatus | None:
    return None if name is None else S(name)


def test_the_table_names_every_status_and_nothing_else():
    assert set(STATUSES) == {str(s) for s in S}
    assert len(LEGAL) == 19 and len(ILLEGAL) == 12 * 11 - 19


@pytest.mark.parametrize(("current", "target"), LEGAL)
def test_legal_transition_is_accepted(current, target):
    assert check_transition(current, target) is S(target)
    assert can_transition(status(current), S(target))


@pytest.mark.parametrize(("current", "target"), ILLEGAL)
def test_illegal_transition_is_refused_with_a_clear_error(current, target):
    with pytest.raises(IllegalTransition) as err:
        check_transition(current, target)
    assert not can_transition(status(current), S(target))
    assert f"from {current or 'nothing'} to {target}" in str(err.value)
    assert err.value.current == status(current) and err.value.target == S(target)


@pytest.mark.parametrize("current", [c for c in DESIGNED_NEXT if c is not None])
def test_the_table_in_code_is_the_designed_one(current):
    assert {str(t) for t in TRANSITIONS[S(current)]} == DESIGNED_NEXT[current]


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
    for s in S:
        assert can_transition(s, S.CANCELLED) == (s in BEFORE_TESTING), s
    assert {str(s) for s in CANCELLABLE} == BEFORE_TESTING


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


def test_the_backlog_is_open_requests_no_lab_has_committed_to():
    # The live queue's backlog (GET /v1/insight/flow): OFFERED still waits on the lab's answer.
    assert {str(s) for s in BACKLOG} == {"SUBMITTED", "MATCHING", "UNMATCHED", "OFFERED"}


def test_the_error_names_what_is_allowed_next():
    with pytest.raises(IllegalTransition, match="allowed next: ACCEPTED, CANCELLED, MATCHING$"):
        check_transition("OFFERED", "SCHEDULED")
    with pytest.raises(IllegalTransition, match=r"allowed next: none \(final status\)$"):
        check_transition("REPORT_ISSUED", "MATCHING")
    with pytest.raises(IllegalTransition, match="from nothing to MATCHING; allowed next: SUBMITTED$"):
        check_transition(None, "MATCHING")


def test_unknown_status_name_is_refused():
    with pytest.raises(ValueError):
        check_transition("SUBMITTED", "TELEPORTED")
