"""The scheduler's tables compare partition counts only once the broker has given both:
a changelog the consumer has no metadata for yet (counted as 0) is no mismatch."""
from __future__ import annotations

import uuid
from unittest import mock

import pytest
from faust.exceptions import PartitionsMismatch

from services.booking.scheduler.app import create_worker
from services.booking.scheduler.settings import SchedulerSettings
from services.booking.scheduler.tables import Table

SOURCE = "labbook.requests.v1"


@pytest.fixture(scope="module")
async def app():
    built = create_worker(SchedulerSettings(app_id=f"test-tables-{uuid.uuid4().hex[:6]}"))
    built.app.finalize()
    return built.app


def counts(app, table, *, source: int, changelog: int):
    known = {SOURCE: source, table.changelog_topic_name: changelog}
    return mock.patch.object(app.consumer, "topic_partitions", side_effect=known.get)


@pytest.mark.parametrize("name", ["requests", "lab_records", "supply", "bookings"])
def test_every_table_is_the_scheduler_table(app, name):
    assert isinstance(app.tables[name], Table)


def test_a_changelog_not_in_the_metadata_yet_is_no_mismatch_and_is_asked_again(app):
    table = app.tables["requests"]
    with counts(app, table, source=4, changelog=0):
        table._verify_source_topic_partitions(SOURCE)
    with counts(app, table, source=4, changelog=3), pytest.raises(PartitionsMismatch):
        table._verify_source_topic_partitions(SOURCE)  # not remembered as checked


def test_counts_the_broker_gave_are_still_compared(app):
    table = app.tables["lab_records"]
    with counts(app, table, source=4, changelog=2), pytest.raises(PartitionsMismatch):
        table._verify_source_topic_partitions(SOURCE)
    with counts(app, table, source=4, changelog=4):
        table._verify_source_topic_partitions(SOURCE)
