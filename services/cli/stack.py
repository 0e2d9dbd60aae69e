"""The local stack: Kafka, PostgreSQL and every labbook process, in the background.

Infrastructure is started by the scripts in deploy/local/; the services run as
`python -m ...` children with their pid files under $LABBOOK_HOME/run and logs
under $LABBOOK_HOME/logs. Everything is idempotent: what runs is reused.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from services.booking.scheduler.settings import SchedulerSettings
from services.booking.settings import BookingSettings
from services.common.kafka import ensure_topics, wait_for_kafka
from services.common.settings import ROOT, ServiceSettings
from services.labs.settings import LabsSettings
from services.notifier.mailcatcher_settings import MailCatcherSettings
from services.notifier.settings import NotifierSettings

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class Process:
    name: str
    module: str
    settings: type[ServiceSettings]
    # None: not an HTTP service; healthy while its TCP port accepts connections.
    health_path: str | None = "/healthz"
    scheme: str = "http"
    # Settings the local stack gives this child unless the caller's environment sets them.
    local_env: Callable[[], dict[str, str]] = field(default=dict, compare=False)

    def port(self) -> int:
        return self.settings().port

    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port()}"

    def describe(self, code: int | None) -> str:
        """`health`'s answer as `labbook status` prints it."""
        if self.health_path is None:
            return f"{self.scheme.upper()} port {'open' if code == 200 else 'closed'}"
        return f"{self.health_path} {code or 'no answer'}"


def _notifier_env() -> dict[str, str]:
    # The local stack's webhook receivers run on this machine (DESIGN: "Public contract"),
    # and its mail goes to the catcher, wherever MAILCATCHER_PORT put it.
    # Links in mail point at this stack's booking API.
    return {"NOTIFIER_ALLOW_PRIVATE_TARGETS": "true", "NOTIFIER_SMTP_HOST": "127.0.0.1",
            "NOTIFIER_SMTP_PORT": str(MailCatcherSettings().port),
            "NOTIFIER_REQUEST_URL": f"http://127.0.0.1:{BookingSettings().port}/v1/requests/{{id}}"}


def _scheduler_env() -> dict[str, str]:
    # The demo plays weeks in minutes on this stack: offers planned to go out days from
    # now would never be seen. Each round's plan is offered at once (still jointly planned).
    return {"SCHEDULER_PLAN_AHEAD": "false"}


PROCESSES = (
    Process("booking-api", "services.booking", BookingSettings),
    Process("labs-api", "services.labs", LabsSettings),
    # Before the notifier, which sends its mail there; stopped after it.
    Process("mailcatcher", "services.notifier.mailcatcher", MailCatcherSettings, health_path=None, scheme="smtp"),
    Process("notifier", "services.notifier", NotifierSettings, local_env=_notifier_env),
    Process("scheduler", "services.booking.scheduler", SchedulerSettings, local_env=_scheduler_env),
)


def home() -> Path:
    return ServiceSettings().home


def _script(name: str, action: str, env: dict[str, str]) -> int:
    return subprocess.call(["bash", str(ROOT / "deploy" / "local" / name), action], env={**os.environ, **env})


def _pg_env(settings: ServiceSettings) -> dict[str, str] | None:
    url = urlsplit(settings.database_url)
    if url.hostname not in LOCAL_HOSTS:
        return None  # a remote server is the deployer's to run
    return {
        "LABBOOK_HOME": str(settings.home),
        "LABBOOK_PG_PORT": str(url.port or 5432),
        "LABBOOK_PG_USER": url.username or "labbook",
        "LABBOOK_PG_PASSWORD": url.password or "labbook",
        "LABBOOK_PG_DB": url.path.lstrip("/") or "labbook",
    }


def _kafka_env(settings: ServiceSettings) -> dict[str, str] | None:
    servers = settings.kafka_bootstrap.split(",")
    host, _, port = servers[0].strip().rpartition(":")
    if len(servers) > 1 or host not in LOCAL_HOSTS:
        return None
    return {"LABBOOK_HOME": str(settings.home), "LABBOOK_KAFKA_PORT": port}


def infra(action: str) -> int:
    settings = ServiceSettings()
    rc = 0
    for script, env in (("postgres.sh", _pg_env(settings)), ("kafka.sh", _kafka_env(settings))):
        if env is None:
            print(f"{script.removesuffix('.sh')}: not local; leaving it to its operator")
            continue
        rc = rc or _script(script, action, env)
    if action == "up" and rc == 0:
        asyncio.run(_kafka_ready_and_topics(settings.kafka_bootstrap))
    return rc


async def _kafka_ready_and_topics(bootstrap: str) -> None:
    await wait_for_kafka(bootstrap, timeout=90)
    created = await ensure_topics(bootstrap)
    print(f"kafka: ready; topics created: {', '.join(created) or 'none (all present)'}")


def _pidfile(proc: Process) -> Path:
    return home() / "run" / f"{proc.name}.pid"


def alive(pid: int) -> bool:
    """Running, and not a zombie waiting for a parent that may never reap it."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def running_pid(proc: Process) -> int | None:
    try:
        pid = int(_pidfile(proc).read_text())
    except (FileNotFoundError, ValueError):
        return None
    return pid if alive(pid) else None


def start(proc: Process) -> int:
    if (pid := running_pid(proc)) is not None:
        print(f"{proc.name}: already running (pid {pid})")
        return pid
    (home() / "run").mkdir(parents=True, exist_ok=True)
    (home() / "logs").mkdir(parents=True, exist_ok=True)
    log = open(home() / "logs" / f"{proc.name}.log", "ab")
    child = subprocess.Popen(
        [sys.executable, "-m", proc.module], env={**proc.local_env(), **os.environ},
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True, cwd=ROOT,
    )
    _pidfile(proc).write_text(str(child.pid))
    print(f"{proc.name}: started (pid {child.pid}, log {log.name})")
    return child.pid


def tcp_accepts(port: int, timeout: float = 3) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


def health(proc: Process) -> int | None:
    """The /healthz status, None without an answer; a TCP-only process counts as 200 while its port accepts."""
    if proc.health_path is None:
        return 200 if tcp_accepts(proc.port()) else None
    try:
        with urllib.request.urlopen(f"{proc.url()}{proc.health_path}", timeout=3) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError):
        return None


def wait_healthy(procs: tuple[Process, ...], timeout: float = 120) -> bool:
    started, pending = time.monotonic(), list(procs)
    while pending and time.monotonic() - started < timeout:
        for proc in list(pending):
            if health(proc) == 200:
                print(f"  {proc.name:<12} healthy after {time.monotonic() - started:4.1f} s  {proc.url()}")
                pending.remove(proc)
            elif running_pid(proc) is None:
                print(f"  {proc.name:<12} exited; see {home() / 'logs' / (proc.name + '.log')}")
                pending.remove(proc)
                return False
        time.sleep(0.5)
    for proc in pending:
        print(f"  {proc.name:<12} not healthy after {timeout:.0f} s; see its log")
    return not pending


def stop(proc: Process) -> None:
    pid = running_pid(proc)
    if pid is None:
        print(f"{proc.name}: not running")
    else:
        os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        while running_pid(proc) is not None and time.monotonic() < deadline:
            time.sleep(0.2)
        if running_pid(proc) is not None:
            os.killpg(pid, signal.SIGKILL)
        print(f"{proc.name}: stopped (pid {pid})")
    _pidfile(proc).unlink(missing_ok=True)


def reset_local_data() -> int:
    """Stop everything and delete what the local stack stored: PostgreSQL's and Kafka's
    data, the scheduler's tables, caught mail. Refused when a server is not local."""
    settings = ServiceSettings()
    if _pg_env(settings) is None or _kafka_env(settings) is None:
        print("labbook: refusing to reset: PostgreSQL or Kafka is not the local stack's", file=sys.stderr)
        return 1
    for proc in reversed(PROCESSES):
        stop(proc)
    if rc := infra("destroy"):
        return rc
    for part in ("scheduler-data", "mail"):
        shutil.rmtree(home() / part, ignore_errors=True)
    print(f"reset: PostgreSQL's and Kafka's data, the scheduler's tables and the caught mail are gone ({home()})")
    return 0
