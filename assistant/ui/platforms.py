"""A platform as the window names it: the name the user gave it ("Options avancées"), else its
host without the scheme and the default port ("marches.example.fr" for
"https://marches.example.fr:443"). A loopback or IP address keeps a non-default port, which is
then what tells two platforms apart (a demo platform on 127.0.0.1:8765)."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from urllib.parse import urlsplit

_DEFAULT_PORTS = {"https": 443, "http": 80}


def _is_address(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def host_label(origin: str) -> str:
    """The host of an origin, without scheme nor default port."""
    try:
        parts = urlsplit(origin)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return origin
    if not host:
        return origin
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme) and _is_address(host):
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return host


def platform_label(origin: str, names: Mapping[str, str] | None = None) -> str:
    """The name the user gave this platform, else its host."""
    name = (names or {}).get(origin, "").strip()
    return name or host_label(origin)
