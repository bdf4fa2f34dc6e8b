"""Version numbers as the publisher writes them (X.Y.Z), compared as numbers."""

from __future__ import annotations

import re

_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


def parse_version(text: str) -> tuple[int, int, int]:
    match = _VERSION.match(text.strip())
    if not match:
        raise ValueError(f"not a version: {text!r}")
    return int(match[1]), int(match[2]), int(match[3])


def is_newer(candidate: str, than: str) -> bool:
    return parse_version(candidate) > parse_version(than)
