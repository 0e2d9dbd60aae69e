"""Which database errors are an outage (503 with Retry-After) and which are bugs (500)."""
import asyncio

import asyncpg
import pytest

from services.common.db import is_outage


@pytest.mark.parametrize("exc", [
    ConnectionRefusedError(111, "Connection refused"),
    ConnectionResetError(104, "reset by peer"),
    asyncio.TimeoutError(),
    asyncpg.InterfaceError("connection is closed"),
    asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
    asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"),
    asyncpg.exceptions.TooManyConnectionsError("sorry, too many clients already"),
])
def test_a_lost_or_refusing_server_is_an_outage(exc):
    assert is_outage(exc)


@pytest.mark.parametrize("exc", [
    asyncpg.exceptions.UniqueViolationError("duplicate key"),
    asyncpg.exceptions.UndefinedColumnError("column x does not exist"),
    asyncpg.exceptions.SerializationError("could not serialize access"),
    ValueError("bad value"),
    KeyError("missing"),
])
def test_a_query_or_code_error_is_not(exc):
    assert not is_outage(exc)
