"""The local broker script under faults: a second `up` reuses, a killed broker is restarted."""
import asyncio
import os
import signal

from services.cli.stack import alive
from services.common.kafka import kafka_alive
from tests.support.brokers import kafka, until
from tests.support.processes import ROOT


def pid_of(env) -> int:
    return int((ROOT / env["LABBOOK_HOME"] / "kafka" / "broker.pid").read_text())


async def test_killed_broker_is_restarted_by_the_next_up(private_broker):
    bootstrap = f"127.0.0.1:{private_broker['LABBOOK_KAFKA_PORT']}"
    assert "listening" in kafka("up", private_broker)
    first = pid_of(private_broker)
    assert "already running" in kafka("up", private_broker) and pid_of(private_broker) == first

    os.kill(first, signal.SIGKILL)
    while alive(first):
        await asyncio.sleep(0.1)

    async def reported_stopped():  # the kernel may take a moment to drop the listener
        return "stopped" in kafka("status", private_broker)

    await until(reported_stopped, 30, "kafka.sh status to report the killed broker stopped")

    assert "starting the broker" in kafka("up", private_broker)
    assert pid_of(private_broker) != first
    assert await kafka_alive(bootstrap, timeout=30)
