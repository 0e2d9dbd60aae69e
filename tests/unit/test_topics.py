"""The topic registry against DESIGN.md's table."""
from schemas import events  # noqa: F401  (registers every event type)
from schemas.envelope import EVENT_TYPES
from schemas.topics import (ALL, BY_NAME, CAPACITY, LAB_STATE, LABS, MATCHING, RESERVATIONS, REVOCATIONS, carried_by,
                            topic_for_event)


def test_names_are_unique_and_versioned():
    assert len(BY_NAME) == len(ALL) == 11
    assert all(t.name.startswith("labbook.") and t.name.endswith(".v1") for t in ALL)


def test_every_event_travels_on_exactly_one_topic():
    for name in EVENT_TYPES:
        carriers = [t for t in ALL if name in t.events]
        assert len(carriers) == 1, name
        assert topic_for_event(name) is carriers[0]


def test_every_listed_event_exists():
    assert {e for t in ALL for e in t.events} == set(EVENT_TYPES)


def test_only_lab_profiles_capacity_and_revocations_are_compacted():
    assert {t.name for t in ALL if t.compacted} == {LABS.name, CAPACITY.name, REVOCATIONS.name}
    assert LABS.config()["cleanup.policy"] == "compact"


def test_equal_partition_counts_so_tables_and_sources_agree():
    assert len({t.partitions for t in ALL}) == 1
    assert ALL[0].partitions >= 4  # two scheduler workers must have partitions to share


def test_the_schedulers_own_topics_each_carry_one_key_and_purpose():
    """Written out by hand: lab-keyed asks, request-keyed steps, the broadcast of labs."""
    assert RESERVATIONS.events == ("ReserveSlot", "ReleaseSlot") and RESERVATIONS.key == "lab_id"
    assert set(MATCHING.events) == {"SlotGranted", "SlotRefused", "OfferExpired", "MatchWindowClosed"}
    assert MATCHING.key == "request_id"
    assert set(LAB_STATE.events) == {"SupplyChanged", "BookingsChanged"}


def test_carried_by_is_every_event_of_the_topics():
    assert carried_by(LABS, CAPACITY) == {"LabProfile", "CapacityAdvertised"}
    assert carried_by() == frozenset()
