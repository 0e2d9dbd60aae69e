"""Integration tests run against the real Kafka broker and PostgreSQL server
that `make test` starts; their fixtures live in tests/conftest.py."""
from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/integration" in str(item.path):
            item.add_marker(pytest.mark.integration)
