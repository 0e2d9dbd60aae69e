"""`labbook up`, `status`, `down` and `token issue` as a user runs them.

The stack runs in a home of its own with ports of its own; it reuses the
Kafka and PostgreSQL that `make test` started (they answer on their ports), so
`down` stops only what this `up` started."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from schemas.tokens import verify
from services.cli.stack import PROCESSES, alive
from tests.support.processes import ROOT, free_port

LABBOOK = [sys.executable, "-m", "services.cli.main"]


@pytest.fixture
def stack_env(tmp_path, servers):
    ports = {f"{p.settings.model_config['env_prefix']}PORT": str(free_port()) for p in PROCESSES}
    return {**os.environ, **ports, "LABBOOK_HOME": str(tmp_path / "home"),
            "SCHEDULER_APP_ID": f"test-scheduler-{ports['SCHEDULER_PORT']}"}


def labbook(env, *args, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([*LABBOOK, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def pids(home: Path) -> dict[str, str]:
    return {p.name: (home / "run" / f"{p.name}.pid").read_text() for p in PROCESSES}


def test_up_twice_starts_nothing_twice_and_down_stops_it_all(stack_env):
    home = Path(stack_env["LABBOOK_HOME"])
    try:
        first = labbook(stack_env, "up")
        assert first.returncode == 0, first.stdout + first.stderr
        assert "labbook is up" in first.stdout
        assert "reusing it" in first.stdout  # the suite's Kafka and PostgreSQL
        started = pids(home)

        second = labbook(stack_env, "up")
        assert second.returncode == 0, second.stdout + second.stderr
        assert second.stdout.count("already running") == len(PROCESSES)
        assert pids(home) == started

        status = labbook(stack_env, "status")
        healthy = status.stdout.count("/healthz 200") + status.stdout.count("SMTP port open")  # the mail catcher
        assert status.returncode == 0 and healthy == len(PROCESSES)
    finally:
        down = labbook(stack_env, "down")
    assert down.returncode == 0, down.stdout + down.stderr
    assert not any(alive(int(pid)) for pid in started.values())
    assert "not running (nothing of ours to stop)" in down.stdout  # the shared broker stays
    assert labbook(stack_env, "status").returncode != 0


def test_token_issue_prints_a_token_the_services_accept(stack_env):
    result = labbook(stack_env, "token", "issue", "--role", "lab", "--org", "lab-7")
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    secret = (Path(stack_env["LABBOOK_HOME"]) / "token-secret").read_text().strip()
    principal = verify(secret, token)
    assert (principal.org, principal.role) == ("lab-7", "lab")


def test_token_issue_refuses_an_unknown_role(stack_env):
    result = labbook(stack_env, "token", "issue", "--role", "janitor", "--org", "x")
    assert result.returncode == 2 and re.search(r"invalid choice: 'janitor'", result.stderr)


def test_schemas_export_writes_every_event(stack_env, tmp_path):
    result = labbook(stack_env, "schemas", "export", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    names = {p.name for p in (tmp_path / "out").iterdir()}
    assert {"Envelope.schema.json", "RequestSubmitted.v1.schema.json", "StatusChanged.v1.schema.json"} <= names
