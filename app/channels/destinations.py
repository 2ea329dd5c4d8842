"""Where a webhook may be sent (SSRF protection), and the one POST that sends it.

A webhook URL is chosen by whoever holds an administrator account, and the platform's servers
then call it: without checks it could reach the database, the cloud metadata service
(169.254.169.254) or any other internal service. So:

* Only http(s) URLs with a host name or address, no user name or password.
* Every address the host resolves to must be allowed (one bad address refuses the host: a name
  may resolve to a public and an internal address at once). Refused always: link-local (includes
  the cloud metadata service), unspecified, multicast, broadcast and every other reserved or
  special-purpose range. Refused unless WEBHOOK_ALLOW_PRIVATE is on: loopback and private
  networks (RFC 1918, carrier-grade NAT 100.64/10, IPv6 unique-local fc00::/7). IPv6 addresses
  that embed an IPv4 one (IPv4-mapped, NAT64 64:ff9b::/96, 6to4, Teredo) are judged by it.
* The check runs when a key is issued and again at every delivery. A delivery resolves the host
  once, checks every address, and connects to a checked address itself (TLS still verifies the
  certificate for the host name), so a DNS answer that changes between check and connect
  ("DNS rebinding") cannot redirect it.
* Redirects are never followed: a 3xx answer is a failed delivery, retried like any other.
* Deliveries go directly to the receiver; HTTP(S)_PROXY variables are not used.
"""
import http.client
import ipaddress
import socket
import ssl
from urllib.parse import urlsplit

from flask import current_app

URL_MAX = 500
_PRIVATE_NETWORKS = tuple(ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"))
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
#: kinds that WEBHOOK_ALLOW_PRIVATE allows; "public" is always allowed, anything else never.
_PRIVATE_KINDS = ("loopback", "private")


class RefusedDestination(ValueError):
    """The URL or an address of its host may not receive webhooks; the message says why."""


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour:
        return address.sixtofour
    if address.teredo:
        return address.teredo[1]
    return None


def address_kind(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """"public", "loopback", "private", "link-local", "unspecified", "multicast" or "reserved"."""
    if address.version == 6:
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return address_kind(embedded)
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if any(address in network for network in _PRIVATE_NETWORKS):
        return "private"
    if address.is_reserved or not address.is_global:
        return "reserved"
    return "public"


def _allow_private() -> bool:
    return bool(current_app.config.get("WEBHOOK_ALLOW_PRIVATE"))


def _split(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path with query) of an acceptable URL, or RefusedDestination."""
    if not isinstance(url, str) or len(url) > URL_MAX or any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise RefusedDestination(f"must be an http(s) URL of at most {URL_MAX} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise RefusedDestination("is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedDestination(f"must be an http(s) URL of at most {URL_MAX} characters")
    if parts.username is not None or parts.password is not None:
        raise RefusedDestination("must not contain a user name or password")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path


def checked_addresses(host: str, port: int) -> list[str]:
    """Resolve `host` once and return its addresses, each of them allowed; else RefusedDestination."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise RefusedDestination(f"the host {host} cannot be resolved ({exc})") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    allow_private = _allow_private()
    for text in addresses:
        kind = address_kind(ipaddress.ip_address(text.split("%")[0]))
        if kind != "public" and not (allow_private and kind in _PRIVATE_KINDS):
            hint = " (set WEBHOOK_ALLOW_PRIVATE=1 to allow it)" if kind in _PRIVATE_KINDS else ""
            raise RefusedDestination(f"{host} resolves to {text}, a {kind} address{hint}")
    if not addresses:
        raise RefusedDestination(f"the host {host} has no address")
    return addresses


def check_url(url: str) -> None:
    """RefusedDestination unless `url` may receive webhooks now (syntax and every address)."""
    _, host, port, _ = _split(url)
    checked_addresses(host, port)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Talks to `host` (Host header) at one already-checked address."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """As above, with TLS verified against the host name (SNI and certificate)."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.address = address

    def connect(self):
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST `body` to `url` at a checked address; returns the status of a 2xx answer and raises
    for anything else (refused destination, connection error, 3xx, 4xx, 5xx)."""
    scheme, host, port, path = _split(url)
    addresses = checked_addresses(host, port)
    connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    last_error: OSError | None = None
    for address in addresses:
        connection = connection_class(host, port, address, timeout)
        try:
            connection.request("POST", path, body=body, headers=headers)
            status = connection.getresponse().status
        except OSError as exc:  # unreachable (or its TLS failed): try the next checked address
            last_error = exc
            continue
        finally:
            connection.close()
        if 300 <= status < 400:
            raise RuntimeError(f"webhook answered {status}: redirects are not followed")
        if not 200 <= status < 300:
            raise RuntimeError(f"webhook answered {status}")
        return status
    raise last_error or OSError(f"no address of {host} answered")
