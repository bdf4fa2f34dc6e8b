"""Helpers shared by the platform client tests."""

from __future__ import annotations

import time

from assistant.demo.server import DemoPlatform


def served_when_settled(demo: DemoPlatform, rel: str, expected: int, timeout: float = 5.0) -> int:
    """The server counts a response's bytes when its handler returns, which can be just after the
    client has read the last byte: wait for the count to settle (never past `expected`)."""
    deadline = time.monotonic() + timeout
    served = int(demo.stats.to_dict()["served"].get(rel, 0))
    while served < expected and time.monotonic() < deadline:
        time.sleep(0.01)
        served = int(demo.stats.to_dict()["served"].get(rel, 0))
    return served
