"""Where webhooks may go: public http(s) URLs only, unless private targets are allowed.

A subscription's URL is checked when it is created (`check_url`, `check_host`),
and again at every send, because DNS may answer differently by then (DNS
rebinding): `guarded_connector` resolves through `GuardedResolver` and refuses
private peers in its socket factory, which also covers IP literals (aiohttp
never asks a resolver about those) and redirects to them. `guard` is the same
check done up front, for a clear message before any connection is attempted.
"""
from __future__ import annotations

import asyncio
import errno
import socket
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

MAX_URL = 2000
ALLOW_SETTING = "NOTIFIER_ALLOW_PRIVATE_TARGETS=true"
SHARED_SPACE = ip_network("100.64.0.0/10")  # carrier-grade NAT; Python calls it neither private nor global
UNIQUE_LOCAL = ip_network("fc00::/7")

IPAddress = IPv4Address | IPv6Address


class TargetError(OSError):
    """An OSError so aiohttp reports it as a ClientConnectorError like any unreachable
    host; errno and strerror set, so that error's message carries ours."""

    def __init__(self, message: str, code: int = errno.EHOSTUNREACH) -> None:
        super().__init__(code, message)

    def __str__(self) -> str:
        return self.strerror


class PrivateTargetRefused(TargetError):
    """A webhook would connect to a private or loopback address."""

    def __init__(self, message: str) -> None:
        super().__init__(message, errno.EACCES)


class TargetUnresolvable(TargetError):
    """The target's host does not resolve now; may be transient, so worth a retry."""


def check_url(url: str) -> str:
    """`url` if it may be a webhook target, else ValueError saying what to change."""
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        # urlsplit silently drops tabs and newlines, so look before it does
        raise ValueError("the URL contains spaces or control characters; percent-encode them (%20)")
    if len(url) > MAX_URL:
        raise ValueError(f"the URL is {len(url)} characters long; use at most {MAX_URL}")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises on a port that is not a number in range
    except ValueError as exc:
        raise ValueError(f"not a valid URL ({exc}); give one such as https://example.com/hooks") from None
    if parts.scheme.lower() not in {"http", "https"}:
        found = f"it starts with {parts.scheme}://" if parts.scheme else "it has no scheme"
        raise ValueError(f"the URL must start with https:// or http:// ({found})")
    if "@" in parts.netloc:
        raise ValueError("remove the user name and password from the URL (user:password@): "
                         "URLs end up in logs; verify deliveries with the subscription's secret instead")
    if not parts.hostname:
        raise ValueError("the URL has no host; give one such as https://example.com/hooks")
    return url


def is_private(ip: IPAddress) -> bool:
    """Not a public unicast address: loopback, private, link-local, CGNAT, reserved..."""
    if isinstance(ip, IPv6Address) and ip.ipv4_mapped is not None:
        return is_private(ip.ipv4_mapped)  # ::ffff:127.0.0.1 reaches 127.0.0.1
    return (
        ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_multicast
        or ip.is_reserved or ip.is_unspecified or not ip.is_global
        or ip in (SHARED_SPACE if ip.version == 4 else UNIQUE_LOCAL)
    )


def _refusal(host: str, ip: str) -> str:
    return (f"{host} resolves to a private or loopback address ({ip}); targets must be public "
            f"unless the notifier runs with {ALLOW_SETTING}")


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(check_url(url))
    return parts.hostname or "", parts.port or (443 if parts.scheme.lower() == "https" else 80)


async def _addresses(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TargetUnresolvable(f"{host} does not resolve ({exc}); check the host name") from None
    if not infos:
        raise TargetUnresolvable(f"{host} does not resolve to any address; check the host name")
    # IPv6 results may carry a zone (fe80::1%eth0); the address is what is classified.
    return list(dict.fromkeys(info[4][0].split("%")[0] for info in infos))


async def guard(url: str, allow_private: bool) -> None:
    """PrivateTargetRefused, or TargetUnresolvable (both OSErrors), for a host that may not
    be reached. Sends are guarded at connect time instead (guarded_connector), where the
    address really used is known; this one serves check_host.

    ValueError only for a URL `check_url` refuses."""
    host, port = _host_port(url)
    addresses = await _addresses(host, port)
    if allow_private:
        return
    for address in addresses:
        if is_private(ip_address(address)):
            raise PrivateTargetRefused(_refusal(host, address))


async def check_host(url: str, *, allow_private: bool) -> None:
    """The subscription-time check: ValueError unless every address of the host may be reached."""
    try:
        await guard(url, allow_private)
    except OSError as exc:
        raise ValueError(str(exc)) from None


class GuardedResolver(AbstractResolver):
    """Resolves like aiohttp's ThreadedResolver, then drops private addresses."""

    def __init__(self, *, allow_private: bool, inner: AbstractResolver | None = None) -> None:
        self.allow_private = allow_private
        self._inner = inner or aiohttp.ThreadedResolver()

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        if self.allow_private:
            return results
        public = [r for r in results if not is_private(ip_address(r["host"].split("%")[0]))]
        if not public:
            raise PrivateTargetRefused(_refusal(host, results[0]["host"] if results else "none"))
        return public

    async def close(self) -> None:
        await self._inner.close()


def _socket_factory(allow_private: bool):
    def create(addr_info) -> socket.socket:
        family, type_, proto, _, sockaddr = addr_info
        address = sockaddr[0].split("%")[0]
        if not allow_private and is_private(ip_address(address)):
            raise PrivateTargetRefused(f"refused to connect to {address}, a private or loopback address; "
                                       f"targets must be public unless the notifier runs with {ALLOW_SETTING}")
        return socket.socket(family=family, type=type_, proto=proto)
    return create


def guarded_connector(*, allow_private: bool, **kwargs) -> aiohttp.TCPConnector:
    """A connector that cannot reach a private address, whatever the URL or DNS says."""
    return aiohttp.TCPConnector(resolver=GuardedResolver(allow_private=allow_private),
                                socket_factory=_socket_factory(allow_private), **kwargs)
