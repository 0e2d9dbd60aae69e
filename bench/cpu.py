"""CPU used by named groups of processes, read from /proc: each group is its root
processes and all their descendants (a PostgreSQL postmaster and its backends, a
service and the children it started), so servers of other benchmarks or test runs on
the same machine are not counted."""
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


def pids_whose_command_has(text: str) -> list[int]:
    """Processes whose command line contains `text` (e.g. a server's data directory)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def snapshot(trees: dict[str, list[int]], alone: dict[str, int] | None = None) -> dict[str, float]:
    """CPU seconds so far of every tree (roots and descendants, found now) and of every
    process `alone` (without its children: a benchmark that started the services), the
    whole machine's busy CPU, and the wall clock: two snapshots give a phase's costs."""
    out = {name: sum(process_cpu_s(pid) for pid in with_descendants(roots)) for name, roots in trees.items()}
    out |= {name: process_cpu_s(pid) for name, pid in (alone or {}).items()}
    cpu = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    out["machine"] = (sum(cpu) - cpu[3] - cpu[4]) / TICK  # all but idle and iowait
    out["wall"] = time.monotonic()
    return out


def per_item_ms(before: dict[str, float], after: dict[str, float], items: int) -> dict[str, float]:
    """Each group's CPU milliseconds per item over the interval (and the machine's)."""
    return {name: (after[name] - before.get(name, 0.0)) * 1000 / max(1, items) for name in after if name != "wall"}
