"""Whether a host is this computer (the loopback interface): one answer for every layer.

Loopback means an IP literal in 127.0.0.0/8 or ::1 (an IPv4-mapped ::ffff:127.x too), or the name
"localhost" (RFC 6761: resolvers answer it with the loopback address; browsers treat it so).
Nothing else: "127.example.net" is a DNS name like any other, however it starts, and
"localhost.example.net" is not localhost.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

__all__ = ["is_loopback_host", "is_loopback_url"]


def is_loopback_host(host: str) -> bool:
    """`host` as found in a URL or a Host header ("127.0.0.1", "[::1]", "LocalHost.")."""
    host = host.strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if host.rstrip(".") == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def is_loopback_url(url: str) -> bool:
    """Whether `url` names a loopback host (False for a URL that cannot be parsed)."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    return bool(host) and is_loopback_host(host or "")
