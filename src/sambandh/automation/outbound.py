"""Outbound HTTP for webhooks, guarded against server-side request forgery.

The host name is resolved once; every address it resolves to must be public, or inside a
network an administrator allowed (``AllowedNetwork`` or ``SAMBANDH_WEBHOOK_ALLOWED_NETWORKS``).
The request then goes to that checked address (the name travels in ``Host`` and in TLS SNI),
so a DNS answer that changes between the check and the connection cannot redirect it.
Redirects are not followed; timeouts and a cap on the response size hold for every request.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.utils.translation import gettext as _

RESPONSE_KEEP_BYTES = 4096
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_pool = urllib3.PoolManager(num_pools=50, maxsize=8, retries=False)


class UnsafeAddress(Exception):
    """The URL may not be called: its message says why, in the active language."""


@dataclass
class Outcome:
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    error: str = ""
    duration_ms: int = 0

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def allowed_networks() -> list[IPNetwork]:
    from sambandh.automation.models import AllowedNetwork

    texts = [n.strip() for n in settings.SAMBANDH_WEBHOOK_ALLOWED_NETWORKS if n.strip()]
    texts += list(AllowedNetwork.objects.values_list("network", flat=True))
    return [ipaddress.ip_network(t, strict=False) for t in texts]


def parse_network(text: str) -> IPNetwork:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise UnsafeAddress(_("Enter a network such as 10.0.0.0/8 or 127.0.0.1.")) from None


def check_url(url: str) -> tuple[str, int]:
    """The scheme-checked URL's host and port; raises ``UnsafeAddress`` for a bad URL."""
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError:  # "http://[abc" and the like
        raise UnsafeAddress(_("Enter an http or https address.")) from None
    if parts.scheme not in ("http", "https") or not hostname:
        raise UnsafeAddress(_("Enter an http or https address."))
    if parts.username or parts.password:
        raise UnsafeAddress(_("The address may not carry a user name or password."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeAddress(_("The address has an invalid port.")) from None
    return hostname, port


def resolve_safely(host: str, port: int, allowed: list[IPNetwork]) -> IPAddress:
    """The first address of ``host``, once all of its addresses are allowed."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise UnsafeAddress(_("The host name could not be resolved.")) from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    if not addresses:
        raise UnsafeAddress(_("The host name could not be resolved."))
    for address in addresses:
        mapped = getattr(address, "ipv4_mapped", None)
        checked = mapped or address
        if checked.is_global and not checked.is_multicast:
            continue
        if any(checked in network for network in allowed):
            continue
        raise UnsafeAddress(
            _("%(address)s is a private or local address; an administrator must allow it.")
            % {"address": checked}
        )
    return addresses[0]


def post(
    url: str, body: bytes, headers: dict[str, str], allowed: list[IPNetwork] | None = None
) -> Outcome:
    """POST ``body`` to ``url`` after the address check; never raises for network trouble.
    ``allowed`` (the allowed networks, read once per batch) saves a query per request."""
    started = time.monotonic()
    outcome = Outcome()
    try:
        host, port = check_url(url)
        networks = allowed_networks() if allowed is None else allowed
        address = resolve_safely(host, port, networks)
        outcome = _send(url, host, port, address, body, headers)
    except UnsafeAddress as exc:
        outcome.error = str(exc)
    outcome.duration_ms = int((time.monotonic() - started) * 1000)
    return outcome


def _send(
    url: str, host: str, port: int, address: IPAddress, body: bytes, headers: dict[str, str]
) -> Outcome:
    parts = urlsplit(url)
    timeout = urllib3.Timeout(
        connect=settings.SAMBANDH_WEBHOOK_CONNECT_TIMEOUT,
        read=settings.SAMBANDH_WEBHOOK_READ_TIMEOUT,
    )
    host_header = host if port in (80, 443) else f"{host}:{port}"
    if ":" in host and port not in (80, 443):
        host_header = f"[{host}]:{port}"
    kwargs: dict[str, object] = {}
    if parts.scheme == "https":
        kwargs = {"server_hostname": host, "assert_hostname": host}
    pool = _pool.connection_from_host(
        str(address), port=port, scheme=parts.scheme, pool_kwargs=kwargs
    )
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    try:
        response = pool.urlopen(
            "POST",
            target,
            body=body,
            headers={**headers, "host": host_header},
            redirect=False,
            timeout=timeout,
            preload_content=False,
            assert_same_host=False,
        )
    except urllib3.exceptions.HTTPError as exc:
        return Outcome(error=_network_error(exc))
    try:
        kept = response.read(RESPONSE_KEEP_BYTES)
    except urllib3.exceptions.HTTPError as exc:
        response.release_conn()
        return Outcome(status=response.status, error=_network_error(exc))
    # A response larger than what we keep is cut off: the connection is not reused.
    if response.read(1):
        response.close()
    else:
        response.release_conn()
    return Outcome(
        status=response.status,
        headers={k.lower(): v for k, v in list(response.headers.items())[:30]},
        body=kept.decode("utf-8", "replace"),
    )


def _network_error(exc: Exception) -> str:
    kind = type(exc).__name__
    if isinstance(exc, urllib3.exceptions.TimeoutError | urllib3.exceptions.MaxRetryError):
        reason = getattr(exc, "reason", None)
        if isinstance(reason, urllib3.exceptions.TimeoutError) or isinstance(
            exc, urllib3.exceptions.TimeoutError
        ):
            return _("The endpoint did not answer in time.")
    if "SSL" in kind or "SSL" in str(exc):
        return _("The TLS connection failed.")
    return _("The connection failed (%(kind)s).") % {"kind": kind}
