"""The client's address behind reverse proxies.

`REMOTE_ADDR` is the peer that opened the connection. Behind a proxy that is the proxy, and the
client is in `X-Forwarded-For` — a header anyone can send. So the header is read only when the
peer is one of `settings.TRUSTED_PROXIES` (CIDR networks), and only from the right: each proxy
appends the address it saw, so the first address from the right that is not a trusted proxy is
the client. Addresses further left were written by the client itself and are ignored.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(spec: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in spec if item.strip())


def trusted_networks() -> tuple[Network, ...]:
    return _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.7:5123"
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def is_trusted_proxy(ip: str) -> bool:
    address = _parse(ip)
    return address is not None and any(address in net for net in trusted_networks())


def client_ip(request) -> str:
    """The client's IP address as a string ("" if the peer's address is unusable)."""
    peer = _parse(request.META.get("REMOTE_ADDR", "") or "")
    if peer is None:
        return ""
    networks = trusted_networks()
    if not networks or not any(peer in net for net in networks):
        return str(peer)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop for hop in (part.strip() for part in forwarded.split(",")) if hop]
    client = peer
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            break  # garbage from here on: the last good address is the best we know
        client = address
        if not any(address in net for net in networks):
            break
    return str(client)
