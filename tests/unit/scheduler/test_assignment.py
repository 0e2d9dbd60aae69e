"""Joint assignment beats first-come-first-served where the order matters."""
from datetime import timedelta

from services.booking.scheduler.assignment import assign_batch, assign_greedy
from services.booking.scheduler.calendar import Calendar
from services.booking.scheduler.matching import Assignment, Unmatched

from .factories import MOSCOW, NOW, demand, lab, settings, window

DEADLINE = (NOW + timedelta(days=6)).date()  # room for one 48 h job per lane


def instance():
    labs = [lab("lab-near", hours=48, win=window(1, days=5)),
            lab("lab-far", at=MOSCOW, hours=48, max_samples=2, win=window(1, days=5))]
    # r1 could go anywhere and prefers the near lab; r2 has too many samples for the far one.
    return labs, [demand("r1", samples=1, deadline=DEADLINE), demand("r2", samples=5, deadline=DEADLINE)]


def test_greedy_strands_the_second_request():
    labs, ds = instance()
    first, second = assign_greedy(ds, labs, Calendar(), NOW, settings())
    assert first.lab_id == "lab-near" and isinstance(second, Unmatched)
    assert second.reason == "no_capacity_before_deadline"


def test_joint_assignment_places_both():
    labs, ds = instance()
    first, second = assign_batch(ds, labs, Calendar(), NOW, settings())
    assert isinstance(first, Assignment) and isinstance(second, Assignment)
    assert (first.lab_id, second.lab_id) == ("lab-far", "lab-near")


def test_a_single_request_is_matched_one_by_one():
    labs, ds = instance()
    assert assign_batch(ds[:1], labs, Calendar(), NOW, settings()) == assign_greedy(ds[:1], labs, Calendar(), NOW, settings())
