"""Webhook target rules: URL shape, private addresses, and the send-time guard.

Only loopback is ever contacted: the public literals here are classified, never
connected to, and every server is an in-process one on 127.0.0.1.
"""
from __future__ import annotations

import re
from ipaddress import ip_address

import aiohttp
import pytest

from services.notifier import targets
from services.notifier.targets import GuardedResolver, PrivateTargetRefused
from tests.support.webhooks import WebhookReceiver

ALLOW = "NOTIFIER_ALLOW_PRIVATE_TARGETS=true"


@pytest.mark.parametrize("url", [
    "https://hooks.example.com/labbook",
    "http://hooks.example.com:8080/a/b?c=d",
    "HTTPS://Example.COM",
    "https://[2a00:1450::1]/x",
    "https://пример.рф/хук",
])
def test_check_url_accepts(url):
    assert targets.check_url(url) == url


@pytest.mark.parametrize("url, message", [
    ("ftp://example.com/x", "must start with https:// or http:// (it starts with ftp://)"),
    ("example.com/hooks", "must start with https:// or http:// (it has no scheme)"),
    ("/relative/path", "must start with https:// or http://"),
    ("https:///path-only", "has no host"),
    ("https://user:secret@example.com/x", "remove the user name and password"),
    ("https://token@example.com/x", "remove the user name and password"),
    ("https://example.com/" + "a" * 2000, "use at most 2000"),
    ("https://example.com:99999/", "not a valid URL"),
    ("https://example.com/a b", "spaces or control characters"),
    ("https://example.com/\n", "spaces or control characters"),
    ("https://[::1/", "not a valid URL"),
])
def test_check_url_refuses_with_what_to_fix(url, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        targets.check_url(url)


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.1.1", "100.64.0.1",
    "100.127.255.254", "0.0.0.0", "224.0.0.1", "240.0.0.1", "255.255.255.255",
    "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
    "2001:db8::1",
])
def test_is_private(address):
    assert targets.is_private(ip_address(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "77.88.8.8", "100.128.0.1", "2a00:1450::1", "::ffff:8.8.8.8"])
def test_is_public(address):
    assert not targets.is_private(ip_address(address))


async def test_check_host_refuses_a_loopback_literal_unless_allowed():
    with pytest.raises(ValueError) as refused:
        await targets.check_host("http://127.0.0.1:9/x", allow_private=False)
    assert str(refused.value) == (
        "127.0.0.1 resolves to a private or loopback address (127.0.0.1); targets must be public "
        f"unless the notifier runs with {ALLOW}")
    await targets.check_host("http://127.0.0.1:9/x", allow_private=True)


@pytest.mark.parametrize("url", ["http://localhost/", "http://[::1]:8080/", "http://127.1/", "http://2130706433/",
                                 "http://[::ffff:127.0.0.1]/"])
async def test_check_host_refuses_names_and_spellings_of_loopback(url):
    with pytest.raises(ValueError, match="resolves to a private or loopback address"):
        await targets.check_host(url, allow_private=False)


# A name no resolver can be asked about: its 64-character label fails IDNA encoding before
# any lookup, so the test sends no DNS query off this machine (a .invalid name would).
UNRESOLVABLE = "https://" + "a" * 64 + ".example/"


async def test_check_host_refuses_a_host_that_does_not_resolve_and_a_bad_url():
    with pytest.raises(ValueError, match="does not resolve"):
        await targets.check_host(UNRESOLVABLE, allow_private=True)
    with pytest.raises(ValueError, match="remove the user name"):
        await targets.check_host("https://a:b@127.0.0.1/", allow_private=True)


async def test_guard_raises_os_errors_the_dispatcher_can_tell_apart():
    with pytest.raises(PrivateTargetRefused, match="127.0.0.1"):
        await targets.guard("http://127.0.0.1:9/x", allow_private=False)
    with pytest.raises(targets.TargetUnresolvable):
        await targets.guard(UNRESOLVABLE, allow_private=False)
    await targets.guard("http://127.0.0.1:9/x", allow_private=True)


async def get(connector: aiohttp.BaseConnector, url: str) -> int:
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.get(url) as response:
            return response.status


async def test_guarded_resolver_refuses_a_name_that_resolves_to_loopback():
    async with WebhookReceiver() as receiver:
        url = f"http://localhost:{receiver.port}/"
        with pytest.raises(aiohttp.ClientConnectorError) as refused:
            await get(aiohttp.TCPConnector(resolver=GuardedResolver(allow_private=False)), url)
        assert isinstance(refused.value.__cause__, PrivateTargetRefused)
        assert ALLOW in str(refused.value)
        assert await get(aiohttp.TCPConnector(resolver=GuardedResolver(allow_private=True)), url) == 200
        assert len(receiver.received) == 1


async def test_aiohttp_never_asks_the_resolver_about_an_ip_literal():
    """Why guarded_connector also checks in its socket factory: the resolver alone lets this through."""
    async with WebhookReceiver() as receiver:
        resolver_only = aiohttp.TCPConnector(resolver=GuardedResolver(allow_private=False))
        assert await get(resolver_only, receiver.url("/")) == 200


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_guarded_connector_refuses_loopback_literals_and_names(host):
    async with WebhookReceiver() as receiver:
        url = f"http://{host}:{receiver.port}/"
        with pytest.raises(aiohttp.ClientConnectorError) as refused:
            await get(targets.guarded_connector(allow_private=False), url)
        assert isinstance(refused.value.__cause__, PrivateTargetRefused)
        assert ALLOW in str(refused.value)  # what a delivery's error column would show
        assert not receiver.received
        assert await get(targets.guarded_connector(allow_private=True), url) == 200


async def test_guarded_connector_refuses_a_redirect_to_loopback():
    """A public target could answer 307 Location: http://127.0.0.1/...; the socket factory still refuses."""
    async with WebhookReceiver() as inner:
        async def redirect(request):
            raise aiohttp.web.HTTPTemporaryRedirect(inner.url("/internal"))

        app = aiohttp.web.Application()
        app.router.add_post("/", redirect)
        allowed = aiohttp.ClientSession(connector=targets.guarded_connector(allow_private=True))
        refused = aiohttp.ClientSession(connector=targets.guarded_connector(allow_private=False))
        async with allowed, refused, RunApp(app) as outer:
            async with allowed.post(outer) as response:
                assert response.status == 200 and len(inner.received) == 1
            with pytest.raises(aiohttp.ClientConnectorError):
                await refused.post(outer)
        assert len(inner.received) == 1


class RunApp:
    """An aiohttp app on a free 127.0.0.1 port; its URL is what `async with` gives."""

    def __init__(self, app: aiohttp.web.Application) -> None:
        self.runner = aiohttp.web.AppRunner(app, access_log=None)

    async def __aenter__(self) -> str:
        await self.runner.setup()
        await aiohttp.web.TCPSite(self.runner, "127.0.0.1", 0).start()
        return f"http://127.0.0.1:{self.runner.addresses[0][1]}/"

    async def __aexit__(self, *exc_info) -> None:
        await self.runner.cleanup()
