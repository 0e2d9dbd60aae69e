"""What must hold after the fault campaign, read back through the public APIs (the
delivery rows from the notifier's database), and the table that reports it."""
from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict
from datetime import datetime, time as clock, timedelta

import asyncpg
from rich.console import Console
from rich.table import Table

from schemas.regions import zone_of
from schemas.states import IllegalTransition, check_transition
from services.cli.demo.world import World
from tests.e2e.system import System

UNSETTLED = ("SUBMITTED", "MATCHING", "OFFERED", "ACCEPTED")  # every agent answers within seconds
SETTLE_S = 240.0
OUTAGE_PROBE_S = 6.0
RECOVERY_LIMIT_S = 30.0
# Read-only calls on every API (a probe must create nothing): (service, role, path).
PROBES = (("booking", "staff", "/v1/queue"), ("booking", "supplier", "/v1/requests?limit=1"),
          ("labs", "staff", "/v1/labs?limit=1"), ("labs", "staff", "/v1/offers?limit=1"),
          ("notifier", "supplier", "/v1/subscriptions"), ("notifier", "staff", "/v1/deliveries?limit=1"))
Check = tuple[str, bool, str]


async def _get(system: System, service: str, role: str, path: str) -> tuple[int | None, dict, str | None]:
    org = "cluster" if role == "staff" else "demo-sup-001"
    try:
        async with system.http.get(system.urls[service] + path,
                                   headers={"Authorization": f"Bearer {system.token(role, org)}"}) as response:
            return response.status, await response.json(content_type=None), response.headers.get("Retry-After")
    except (OSError, asyncio.TimeoutError, ValueError) as exc:
        return None, {"error": str(exc)}, None


async def answers_while_down(system: System) -> Counter:
    """(service, path, status, has Retry-After) counts while PostgreSQL is stopped."""
    seen: Counter = Counter()
    deadline = time.monotonic() + OUTAGE_PROBE_S
    while time.monotonic() < deadline:
        for service, role, path in PROBES:
            status, _, retry_after = await _get(system, service, role, path)
            seen[(service, path.split("?")[0], status, retry_after is not None)] += 1
        await asyncio.sleep(0.2)
    return seen


async def until_apis_answer(system: System, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all([(await _get(system, *probe))[0] == 200 for probe in PROBES]):
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"the APIs did not answer 200 within {timeout:g} s of PostgreSQL returning")


async def _queue(system: System) -> dict:
    return await system.call("booking", "GET", "/v1/queue", system.token("staff", "cluster"))


async def _open_deliveries(database_url: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetchval("SELECT count(*) FROM notifier.deliveries WHERE status NOT IN ('delivered', 'failed')")
    finally:
        await conn.close()


async def settle(system: System, database_url: str, world: World) -> float:
    """Wait until nothing is in flight (or SETTLE_S passed: the checks then say what is stuck)."""
    started = time.monotonic()
    while time.monotonic() - started < SETTLE_S:
        queue = await _queue(system)
        if not any(queue["by_status"].get(s) for s in UNSETTLED) and not await _open_deliveries(database_url):
            break
        await asyncio.sleep(1.0)
    return time.monotonic() - started


async def _pages(system: System, service: str, path: str) -> list[dict]:
    items, cursor = [], ""
    while True:
        page = await system.call(service, "GET", f"{path}&limit=200{cursor}", system.token("staff", "cluster"))
        items += page["items"]
        if not page["next_cursor"]:
            return items
        cursor = f"&cursor={page['next_cursor']}"


async def _requests(system: System, created: dict[str, str], orgs: dict[str, str]) -> dict[str, dict | None]:
    slots = asyncio.Semaphore(16)

    async def one(key: str, request_id: str):
        async with slots:
            data = await system.call("booking", "GET", f"/v1/requests/{request_id}",
                                     system.token("supplier", orgs[key]), expect=None)
            return request_id, data if "history" in data else None

    return dict(await asyncio.gather(*(one(k, i) for k, i in created.items())))


def _legal(history: list[dict]) -> str | None:
    previous = None
    for entry in history:
        try:
            check_transition(previous, entry["status"])
        except IllegalTransition as exc:
            return str(exc)
        previous = entry["status"]
    return None


async def _history(system: System, request_id: str, record, orgs) -> list:
    key = next(k for k, i in record.created.items() if i == request_id)
    data = await system.call("booking", "GET", f"/v1/requests/{request_id}", system.token("supplier", orgs[key]))
    return [(h["status"], h["reason"], h["lab_id"], h["at"][11:19]) for h in data["history"]]


def check_requests(found: dict[str, dict | None], keys: set[str], total: int) -> list[Check]:
    """`total` counts the campaign's requests only (not the readiness probes)."""
    missing = [i for i, r in found.items() if r is None]
    illegal = {i: why for i, r in found.items() if r is not None and (why := _legal(r["history"]))}
    return [("every request that got a 201 exists", not missing, f"{len(found) - len(missing)} of {len(found)}"),
            ("every history obeys the state machine", not illegal, f"{len(illegal)} illegal: "
             f"{next(iter(illegal.items()), '')}" if illegal else f"{len(found)} histories"),
            ("nothing submitted twice", total == len(keys), f"{total} requests for {len(keys)} keys")]


def _windows(world: World) -> dict[tuple[str, str], list[tuple[datetime, datetime, int]]]:
    """Each lab's windows as instants: a date is a whole day in the lab's own zone."""
    out = defaultdict(list)
    for lab in world.labs:
        zone = zone_of(lab.region)
        for w in lab.capacity:
            start = datetime.combine(w.available_from, clock(), zone)
            end = datetime.combine(w.available_to + timedelta(days=1), clock(), zone)
            out[(lab.id, w.method_code)].append((start, end, w.slots))
    return out


def check_slots(jobs: list[dict], world: World) -> Check:
    """Recomputed from the labs' accepted jobs: each inside one window, never more at once
    than that window's slots."""
    windows, problems = _windows(world), []
    by_window: dict[tuple, list[tuple[datetime, datetime, str]]] = defaultdict(list)
    for job in jobs:
        if job["job_status"] == "CANCELLED":
            continue
        start, end = datetime.fromisoformat(job["planned_start"]), datetime.fromisoformat(job["planned_end"])
        inside = [w for w in windows[(job["lab_id"], job["method_code"])] if w[0] <= start and end <= w[1]]
        if not inside:
            problems.append(f"job {job['request_id']} at {job['lab_id']} outside its windows")
            continue
        by_window[(job["lab_id"], job["method_code"], inside[0])].append((start, end, job["request_id"]))
    for (lab, method, (_, _, slots)), spans in by_window.items():
        if (peak := _peak([(s, e) for s, e, _ in spans])) > slots:
            jobs = ", ".join(f"{r[:8]} {s:%m-%d %H:%M}-{e:%m-%d %H:%M}" for s, e, r in sorted(spans))
            problems.append(f"{lab} {method}: {peak} jobs at once in a window of {slots} slots: {jobs}")
    return ("no slot double-booked", not problems, "; ".join(problems[:3]) or
            f"{sum(map(len, by_window.values()))} jobs in {len(by_window)} windows")


def _peak(spans: list[tuple[datetime, datetime]]) -> int:
    edges = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])  # an end before a start at one instant
    peak = now = 0
    for _, step in edges:
        now += step
        peak = max(peak, now)
    return peak


async def _deliveries(database_url: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetch(
            "SELECT d.id::text, d.channel, d.status, EXISTS (SELECT 1 FROM notifier.delivery_attempts a"
            " WHERE a.delivery_id = d.id AND a.outcome = 'retry' AND a.error NOT LIKE 'cannot connect%')"
            " AS retried FROM notifier.deliveries d")
    finally:
        await conn.close()


def check_notifications(rows, hooks: Counter, mails: Counter, in_flight: set[str]) -> list[Check]:
    delivered = {r["id"]: r["channel"] for r in rows if r["status"] == "delivered"}
    unfinished = [r["id"] for r in rows if r["status"] != "delivered"]
    sent = hooks + mails
    twice = {i for i, n in sent.items() if n > 1}
    owed = {i for i, c in delivered.items() if (hooks if c == "webhook" else mails)[i] == 0}
    # The duplicates HTTP and SMTP allow: the answer was lost after the target took it, because
    # the sender died (in flight at a kill) or stopped waiting (an attempt recorded as retry).
    lost_answer = {r["id"] for r in rows if r["retried"]}
    unexplained = twice - in_flight - lost_answer
    statuses = Counter(r["status"] for r in rows if r["status"] != "delivered")
    missing = Counter(delivered[i] for i in owed)
    return [("every notification owed was delivered", not unfinished and not owed,
             f"{len(delivered)} delivered, {len(unfinished)} not {dict(statuses)}, {len(owed)} recorded but never "
             f"received {dict(missing)}"),
            ("no notification sent twice, but where its answer was lost", not unexplained,
             f"{len(twice)} twice: {len(twice & in_flight)} in flight at a kill, "
             f"{len(twice & lost_answer - in_flight)} after a timed-out attempt, {len(unexplained)} otherwise")]


def check_outage(outage: dict) -> list[Check]:
    if not outage:
        return []
    answers = outage["answers"]
    bad = {k: n for k, n in answers.items() if k[2] != 503 or not k[3]}
    recovery = outage["recovery_s"]
    return [("PostgreSQL away: every API answers 503 with Retry-After, never 500", not bad,
             f"{sum(answers.values())} answers; other: {dict(list(bad.items())[:3])}" if bad else
             f"{sum(answers.values())} answers, all 503 with Retry-After"),
            (f"PostgreSQL back: every API answers within {RECOVERY_LIMIT_S:g} s", recovery <= RECOVERY_LIMIT_S,
             f"{recovery:.1f} s")]


async def check(system: System, database_url: str, world: World, record, hooks: dict[str, str]) -> list[Check]:
    orgs = {r.key: r.org for r in world.requests}
    queue = await _queue(system)
    checks = check_requests(await _requests(system, record.created, orgs), record.keys,
                            queue["total"] - system.probes)
    accepted = await _pages(system, "labs", "/v1/offers?status=accepted")
    checks.append(check_slots(accepted, world))
    if not checks[-1][1]:  # say what each over-booked job's request went through
        record.evidence = {o["request_id"]: (o, await _history(system, o["request_id"], record, orgs))
                           for o in accepted if o["request_id"][:8] in checks[-1][2]}
    hook_ids = Counter(r.headers["webhook-id"] for r in system.receiver.received)
    mail_ids = Counter(str(m["Message-ID"]).strip("<>").split("@")[0] for m in system.smtp.messages())
    checks += check_notifications(await _deliveries(database_url), hook_ids, mail_ids, record.in_flight)
    stuck = {s: queue["by_status"].get(s, 0) for s in UNSETTLED if queue["by_status"].get(s)}
    checks.append(("no request stuck (all placed, unmatched, cancelled or at a lab's hands)", not stuck,
                   f"stuck: {stuck}" if stuck else f"by status: { {k: v for k, v in queue['by_status'].items() if v} }"))
    return checks + check_outage(record.outage)


def report(record, console: Console | None = None) -> None:
    console = console or Console()
    faults = Table("fault", "times", "mean recovery s", "max recovery s", title="Faults", title_justify="left")
    for what, seconds in sorted(record.recoveries.items()):
        faults.add_row(what, str(len(seconds)), f"{sum(seconds) / len(seconds):.1f}", f"{max(seconds):.1f}")
    console.print(faults)
    console.print(f"exited on their own (restarted): {record.crashes or 'none'}")
    console.print("booking's resends of submissions still SUBMITTED long after they went out (lost, or the "
                  f"scheduler away that long): {len(record.resent) or 'none'}")
    for line in record.resent:  # "<date> <time> WARNING ...: N requests still SUBMITTED ..."
        when, _, rest = line.partition(" WARNING ")
        console.print(f"  {when}: {rest.partition(': ')[2].partition(';')[0]}", markup=False)
    checks = Table("invariant", "holds", "detail", title="Invariants", title_justify="left")
    for name, ok, detail in record.checks:
        checks.add_row(name, "yes" if ok else "[bold red]NO[/]", detail)
    console.print(checks)
    for request_id, (offer, history) in record.evidence.items():
        console.print(f"over-booked {request_id}: offer {offer['id']} {offer['planned_start']} - "
                      f"{offer['planned_end']} job {offer['job_status']}; history {history}", markup=False)
