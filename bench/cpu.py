"""CPU used by named groups of processes, read from /proc: a group is its root
processes and all their descendants (a PostgreSQL postmaster and its backends, a
service and the children it started), or just the processes named; servers are found
by the port they listen on, so those of other benchmarks or test runs on the same
machine are not counted."""
from __future__ import annotations

import os
import time
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of one process so far (0 if it has ended)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:  # ended between listing and reading
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def _parents() -> dict[int, int]:
    out = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                out[int(entry.name)] = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    return out


def with_descendants(roots: list[int]) -> list[int]:
    parents = _parents()
    found, frontier = set(roots), set(roots)
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return sorted(found)


def listening_pid(port: int) -> int | None:
    """The process listening on this TCP port (any address), from /proc: a server of the
    benchmark's own, not another one of its kind elsewhere on the machine."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rpartition(":")[2], 16) == port:  # LISTEN
                inodes.add(f"socket:[{fields[9]}]")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if any(os.readlink(fd) in inodes for fd in (entry / "fd").iterdir()):
                return int(entry.name)
        except OSError:
            continue
    return None


def snapshot(trees: dict[str, list[int]], alone: dict[str, list[int]] | None = None) -> dict[str, float]:
    """CPU seconds so far of every tree (roots and descendants, found now) and of the
    processes `alone` (without their children: a benchmark that started the services), the
    whole machine's busy CPU, and the wall clock: two snapshots give a phase's costs."""
    out = {name: sum(process_cpu_s(pid) for pid in with_descendants(roots)) for name, roots in trees.items()}
    out |= {name: sum(process_cpu_s(pid) for pid in pids) for name, pids in (alone or {}).items()}
    cpu = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    out["machine"] = (sum(cpu) - cpu[3] - cpu[4]) / TICK  # all but idle and iowait
    out["wall"] = time.monotonic()
    return out


def per_item_ms(before: dict[str, float], after: dict[str, float], items: int) -> dict[str, float]:
    """Each group's CPU milliseconds per item over the interval (and the machine's)."""
    return {name: (after[name] - before.get(name, 0.0)) * 1000 / max(1, items) for name in after if name != "wall"}
