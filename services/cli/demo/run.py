"""`labbook demo`: the survey's situation played on the local stack, with progress bars
while it runs and the summary at the end."""
from __future__ import annotations

import asyncio
import random
import time
from contextlib import contextmanager, suppress

import aiohttp
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from services.booking.settings import BookingSettings
from services.common.settings import ServiceSettings, load_settings
from services.labs.settings import LabsSettings
from services.notifier.mailcatcher_settings import MailCatcherSettings
from services.notifier.settings import NotifierSettings

from . import driver, summary, world as worlds

POLL_S = 1.0


def apis_for(session: aiohttp.ClientSession) -> driver.Apis:
    urls = {name: f"http://127.0.0.1:{cls().port}" for name, cls in
            (("booking", BookingSettings), ("labs", LabsSettings), ("notifier", NotifierSettings))}
    return driver.Apis(session, urls, load_settings(ServiceSettings, "labbook").secret())


async def play(console: Console, *, seed: int, budget_s: float, linger_s: float) -> int:
    world = worlds.build(seed)
    started = time.monotonic()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        apis = apis_for(session)
        fresh = not await driver.seeded(apis, world)
        if not fresh:
            console.print(f"The demo's labs (seed {seed}) are there already; everything is sent again with the "
                          "Idempotency-Key of its first sending, so nothing is created twice. [bold]make demo "
                          "RESET=1[/] (labbook demo --reset) starts afresh.")
        stop = asyncio.Event()
        with _bars(console, world) as bars:
            await _seed(apis, world, bars)
            agents = await driver.run_agents(apis, world, stop)
            work = asyncio.create_task(driver.lab_work(apis, world, stop, random.Random(seed)))
            try:
                await _submit_and_watch(apis, world, bars, fresh, started, budget_s, linger_s)
            finally:
                stop.set()
                for task in (*agents, work):
                    with suppress(Exception):
                        await task
        result = await _summary(apis)
    summary.render(console, result, dashboard=_dashboard(apis), mail_dir=str(MailCatcherSettings().mail_dir()),
                   seconds=time.monotonic() - started)
    return 0


class _Bars:
    """One bar per stage a person watches: labs, submissions, the scheduler's answers, reports."""

    def __init__(self, progress: Progress, labs: int, requests: int) -> None:
        self.progress = progress
        self.labs = progress.add_task("labs registered", total=labs)
        self.submitted = progress.add_task("requests submitted", total=requests)
        self.answered = progress.add_task("answered by the scheduler", total=requests)
        self.reports = progress.add_task("reports issued", total=requests)

    def advance(self, task):
        return lambda: self.progress.advance(task)


@contextmanager
def _bars(console: Console, world: worlds.World):
    columns = (TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        yield _Bars(progress, len(world.labs), len(world.requests))


async def _seed(apis: driver.Apis, world: worlds.World, bars: _Bars) -> None:
    await driver.register_labs(apis, world, bars.advance(bars.labs))
    await driver.subscribe(apis, world)


async def _submit_and_watch(apis, world, bars: _Bars, fresh: bool, started: float, budget_s: float,
                            linger_s: float) -> None:
    backlog = [r for r in world.requests if r.backlog]
    stream = [r for r in world.requests if not r.backlog]
    await driver.submit(apis, backlog, bars.advance(bars.submitted))
    # A first run spreads the rest over compressed weeks; a rerun only confirms they are there.
    arriving = asyncio.create_task(driver.submit(apis, stream, bars.advance(bars.submitted),
                                                 over_s=driver.STREAM_SECONDS if fresh else 0.0))
    settled_at = None
    while time.monotonic() - started < budget_s:
        _, queue = await apis.call("booking", "GET", "/v1/queue", driver.staff(apis))
        waiting = sum(queue["by_status"].get(s, 0) for s in summary.WAITING)
        bars.progress.update(bars.answered, completed=queue["total"] - waiting)
        bars.progress.update(bars.reports, completed=queue["by_status"].get("REPORT_ISSUED", 0))
        if arriving.done():
            arriving.result()  # an API refusal ends the demo with its message
            if summary.settled(queue):
                settled_at = settled_at or time.monotonic()
                if time.monotonic() - settled_at >= linger_s:  # labs work on a little: reports come in
                    return
        await asyncio.sleep(POLL_S)
    arriving.cancel()


async def _summary(apis: driver.Apis) -> summary.Summary:
    token = driver.staff(apis)
    _, queue = await apis.call("booking", "GET", "/v1/queue", token)
    _, unmet = await apis.call("booking", "GET", "/v1/unmet-demand", token)
    deliveries, cursor = [], ""
    while True:
        _, page = await apis.call("notifier", "GET", f"/v1/deliveries?limit=200{cursor}", token)
        deliveries += page["items"]
        if not page["next_cursor"]:
            break
        cursor = f"&cursor={page['next_cursor']}"
    return summary.summarise(queue, unmet, deliveries)


def _dashboard(apis: driver.Apis) -> tuple[str, str]:
    """The sign-in page and a staff token to paste into it (a token is never put in a URL)."""
    return f"{apis.urls['booking']}/dashboard", driver.staff(apis)
