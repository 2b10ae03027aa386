"""Where a webhook may be sent (the SSRF guard).

An endpoint's URL is checked when it is saved and again before every send, after resolving its
host: every address it resolves to must be public (no private, loopback, link-local, shared,
reserved or multicast address, no cloud metadata service). The send then connects to the
address that was checked, so a DNS answer that changes between the check and the connection
(rebinding) cannot point it inside. `WEBHOOKS_ALLOW_PRIVATE_TARGETS` (tests and local
development only) lifts the address rule and allows plain http.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from apps.core.errors import ValidationFailed

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
BLOCKED_HOSTNAMES = frozenset({"localhost", "metadata.google.internal", "metadata"})
# Cloud metadata services: link-local or private already, named for the reader.
METADATA = frozenset(map(ipaddress.ip_address, ("169.254.169.254", "fd00:ec2::254")))


class TargetRefused(ValidationFailed):
    default_code = "webhook_target_refused"

    def __init__(self, message: str):
        super().__init__(message, fields={"url": [message]})


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    address: str  # the checked address to connect to


def private_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOKS_ALLOW_PRIVATE_TARGETS", False))


def address_is_public(address: Address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    address = mapped or address
    return address.is_global and not address.is_multicast and address not in METADATA


def _split(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url or "")
    scheme = parts.scheme.lower()
    allowed = ("https", "http") if private_allowed() else ("https",)
    if scheme not in allowed:
        raise TargetRefused(_("The URL must start with https://."))
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise TargetRefused(_("The URL has an invalid port.")) from None
    if not host:
        raise TargetRefused(_("The URL has no host."))
    if parts.username or parts.password:
        raise TargetRefused(_("The URL must not carry a user name or password."))
    return scheme, host.rstrip(".").lower(), port or (443 if scheme == "https" else 80)


def _resolve(host: str, port: int) -> list[Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError):
        raise TargetRefused(_("The host name does not resolve.")) from None
    return [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]


def target_check(url: str) -> Target:
    """The URL's target with the address to connect to; TargetRefused (400 on `url`) when the
    URL is not https, or its host is or resolves to an address that is not public."""
    scheme, host, port = _split(url)
    if host in BLOCKED_HOSTNAMES and not private_allowed():
        raise TargetRefused(_("Webhooks cannot be sent to a private or local address."))
    addresses = _resolve(host, port)
    if not addresses:
        raise TargetRefused(_("The host name does not resolve."))
    if not private_allowed() and not all(address_is_public(a) for a in addresses):
        raise TargetRefused(_("Webhooks cannot be sent to a private or local address."))
    return Target(scheme=scheme, host=host, port=port, address=str(addresses[0]))
