"""The local broker script under faults: a second `up` reuses, a killed broker is restarted."""
import asyncio
import os
import signal
import socket
import subprocess

import pytest

from services.cli.stack import alive
from services.common.kafka import kafka_alive
from tests.support.processes import ROOT, free_port


def free_port_pair() -> int:
    """A port whose successor (the controller's) is free too."""
    for _ in range(50):
        port = free_port()
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 1))
                return port
            except OSError:
                continue
    raise RuntimeError("no two adjacent free ports")


@pytest.fixture
def broker_env(tmp_path):
    env = {**os.environ, "LABBOOK_HOME": str(tmp_path), "LABBOOK_KAFKA_PORT": str(free_port_pair()),
           "LABBOOK_KAFKA_HEAP": "384m"}
    yield env
    kafka("down", env)


def kafka(action: str, env: dict[str, str]) -> str:
    result = subprocess.run(["bash", str(ROOT / "deploy/local/kafka.sh"), action], env=env,
                            capture_output=True, text=True, timeout=180)
    assert result.returncode in (0, 3), result.stdout + result.stderr
    return result.stdout


def pid_of(env) -> int:
    return int((ROOT / env["LABBOOK_HOME"] / "kafka" / "broker.pid").read_text())


async def test_killed_broker_is_restarted_by_the_next_up(broker_env):
    bootstrap = f"127.0.0.1:{broker_env['LABBOOK_KAFKA_PORT']}"
    assert "listening" in kafka("up", broker_env)
    first = pid_of(broker_env)
    assert "already running" in kafka("up", broker_env) and pid_of(broker_env) == first

    os.kill(first, signal.SIGKILL)
    while alive(first):
        await asyncio.sleep(0.1)
    assert "stopped" in kafka("status", broker_env)

    assert "starting the broker" in kafka("up", broker_env)
    assert pid_of(broker_env) != first
    assert await kafka_alive(bootstrap, timeout=30)
