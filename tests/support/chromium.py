"""A real headless Chromium driven over the DevTools protocol (aiohttp's websocket client).

`--dump-dom` under `--virtual-time-budget` (tests/browser/test_dashboard.py) fast-forwards
timers, so it cannot watch a change that happens later on the server or list the
requests a page made; this keeps one real page open, records the protocol's events
(Network.requestWillBeSent, ...) and awaits elements as they appear.
"""
from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

CHROMIUM = "/usr/bin/chromium"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage")


def require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no {CHROMIUM}: run `make browser` (apt-get install chromium)")


NAVIGATED = "Inspected target navigated or closed"


class DevTools:
    """Just enough of the protocol: commands, JavaScript, and the events seen meanwhile."""

    def __init__(self, ws) -> None:
        self.ws, self.next_id = ws, 0
        self.events: list[dict] = []

    async def call(self, method: str, **params):
        self.next_id += 1
        await self.ws.send_json({"id": self.next_id, "method": method, "params": params})
        while True:
            message = await self.ws.receive_json(timeout=30)
            if message.get("id") == self.next_id:
                assert "error" not in message, message
                return message["result"]
            if "method" in message:
                self.events.append(message)

    async def js(self, expression: str):
        # awaitPromise: an expression that is a promise (a fetch) answers with what it resolves to.
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        return result["result"].get("value")

    async def until(self, expression: str, timeout: float = 20.0):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (value := await self._during_navigation(expression)) in (None, False, "") and loop.time() < deadline:
            await asyncio.sleep(0.1)
        return value

    async def _during_navigation(self, expression: str):
        """js(), or None while the page is being replaced (a form posted, a reload): the
        evaluation then fails with "Inspected target navigated or closed", and the next
        poll asks the new page."""
        try:
            return await self.js(expression)
        except AssertionError as error:
            if NAVIGATED in str(error):
                return None
            raise

    async def element(self, selector: str, timeout_ms: int = 20000) -> str | None:
        """The text of the first element matching selector, awaited in the page as the DOM changes."""
        waiting = f"""new Promise(resolve => {{
            const found = () => document.querySelector({json.dumps(selector)});
            if (found()) return resolve(found().textContent);
            const watch = new MutationObserver(() => {{
                if (found()) {{ watch.disconnect(); resolve(found().textContent); }} }});
            watch.observe(document, {{childList: true, subtree: true}});
            setTimeout(() => {{ watch.disconnect(); resolve(null); }}, {timeout_ms});
        }})"""
        result = await self.call("Runtime.evaluate", expression=waiting, awaitPromise=True, returnByValue=True)
        return result["result"].get("value")

    def requested(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.events if e["method"] == "Network.requestWillBeSent"]


async def open_page(url: str, profile: Path):
    """Chromium on about:blank with a DevTools port; (process, port)."""
    assert url.startswith("http://127.0.0.1:"), url
    require_chromium()
    profile.mkdir(parents=True, exist_ok=True)
    child = await asyncio.create_subprocess_exec(
        CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-address=127.0.0.1",
        "--remote-debugging-port=0", "about:blank", stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL, env={"HOME": str(profile)})
    port_file = profile / "DevToolsActivePort"
    for _ in range(300):
        if port_file.exists() and len(port_file.read_text().splitlines()) >= 2:
            break
        await asyncio.sleep(0.1)
    port = int(port_file.read_text().splitlines()[0])
    return child, port


@asynccontextmanager
async def devtools(base_url: str, profile: Path) -> AsyncIterator[DevTools]:
    """One page of a fresh Chromium, its protocol open; the browser is killed at the end."""
    child, port = await open_page(base_url, profile)
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/json/list") as response:
                target = next(t for t in await response.json() if t["type"] == "page")
            async with http.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                yield DevTools(ws)
    finally:
        child.kill()
        await child.wait()
