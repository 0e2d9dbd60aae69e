"""Migration files are named and numbered so the runner can order them."""
import pytest

from services.booking.app import MIGRATIONS as BOOKING
from services.common.migrations import discover
from services.labs.app import MIGRATIONS as LABS
from services.notifier.app import MIGRATIONS as NOTIFIER


@pytest.mark.parametrize("directory", [BOOKING, LABS, NOTIFIER])
def test_each_service_has_numbered_migrations_from_one(directory):
    versions = [m.version for m in discover(directory)]
    assert versions and versions == list(range(1, len(versions) + 1))


def test_badly_named_file_is_refused(tmp_path):
    (tmp_path / "001_ok.sql").write_text("SELECT 1;")
    (tmp_path / "two.sql").write_text("SELECT 1;")
    with pytest.raises(ValueError, match="two.sql"):
        discover(tmp_path)


def test_duplicate_numbers_are_refused(tmp_path):
    (tmp_path / "001_a.sql").write_text("SELECT 1;")
    (tmp_path / "001_b.sql").write_text("SELECT 1;")
    with pytest.raises(ValueError, match="duplicate"):
        discover(tmp_path)
