"""Real subprocesses for integration tests: services, workers, a private PostgreSQL."""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def spawn(args: list[str], env: dict[str, str], log: Path):
    """A child process with its output in `log`; killed (whole group) on exit."""
    with open(log, "ab") as out:
        child = subprocess.Popen(
            args, env={**os.environ, **env}, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
    try:
        yield child
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait(10)


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


async def http_status(url: str) -> int | None:
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
            async with session.get(url) as response:
                return response.status
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError):
        return None


async def until_status(url: str, wanted: int, *, timeout: float = 60, child=None, log: Path | None = None) -> None:
    """Poll `url` until it answers `wanted`; fail early if the child died."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last = None
    while loop.time() < deadline:
        last = await http_status(url)
        if last == wanted:
            return
        if child is not None and child.poll() is not None:
            break
        await asyncio.sleep(0.2)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise AssertionError(f"{url} answered {last}, not {wanted}, within {timeout} s\n{tail}")


class PrivatePostgres:
    """A throwaway cluster run by deploy/local/postgres.sh, so a test may stop it."""

    def __init__(self, directory: Path, port: int) -> None:
        self.env = {
            "LABBOOK_PG_DIR": str(directory), "LABBOOK_PG_PORT": str(port),
            "LABBOOK_PG_USER": "labbook", "LABBOOK_PG_PASSWORD": "private", "LABBOOK_PG_DB": "labbook",
        }
        self.url = f"postgresql://labbook:private@127.0.0.1:{port}/labbook"

    def run(self, action: str) -> None:
        subprocess.run(["bash", str(ROOT / "deploy/local/postgres.sh"), action],
                       env={**os.environ, **self.env}, check=True, capture_output=True, timeout=120)
