"""Names a platform gives that become one path component on the user's disk, and strict Unicode.

A page names folders and files (a consultation's id, a pli, a platform): those names end up as
path components on Windows, macOS and Linux. The check runs on the name as it will be used, that
is after NFC normalisation and stripping of surrounding spaces — checking first and stripping
after let `" con"` through as `con`. Refused:

- separators and characters Windows forbids (`/ \\ : * ? " < > |`), C0 and C1 controls, DEL;
- bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E/U+200F, U+061C): they make
  `facture‮fdp.exe` read as `facture‮exe.pdf` in a file manager;
- lone surrogates (they cannot be written to a file system or encoded in UTF-8);
- `.`, `..`, names starting with `..`, names ending with a dot (Windows drops it);
- Windows device names, whatever the case and extension: CON, PRN, AUX, NUL, COM0–COM9,
  LPT0–LPT9 and their superscript forms (COM¹ …), CONIN$, CONOUT$, CLOCK$.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Any

#: Longest name accepted (characters, after normalisation).
MAX_NAME = 180

_FORBIDDEN = re.compile(
    "["
    "\x00-\x1f\x7f-\x9f"  # C0, DEL, C1
    '/\\\\:*?"<>|'  # separators and Windows' reserved characters
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # bidirectional controls
    "\ud800-\udfff"  # lone surrogates
    "]"
)
_DIGITS = ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "\u00b9", "\u00b2", "\u00b3")
WINDOWS_DEVICE_NAMES = frozenset(
    {"con", "prn", "aux", "nul", "conin$", "conout$", "clock$"}
    | {f"{port}{digit}" for port in ("com", "lpt") for digit in _DIGITS}
)
_SURROGATE = re.compile("[\ud800-\udfff]")


def normalise_name(value: str) -> str:
    """The name as it will be used: NFC, surrounding white space removed."""
    return unicodedata.normalize("NFC", value).strip()


def is_device_name(name: str) -> bool:
    """True when Windows would open a device instead of a file (`con`, `Com1.txt`, `nul .tar.gz`)."""
    stem = name.split(".", 1)[0].rstrip(" ").casefold()
    return stem in WINDOWS_DEVICE_NAMES


def unsafe_name_reason(name: str) -> str | None:
    """Why `name` (already normalised) cannot be one path component, in English; None when safe."""
    if not name:
        return "empty"
    if len(name) > MAX_NAME:
        return "too long"
    if _FORBIDDEN.search(name):
        return "forbidden character"
    if name.startswith("..") or name in (".", "..") or name.endswith("."):
        return "dots"
    if is_device_name(name):
        return "Windows device name"
    return None


def has_lone_surrogate(text: str) -> bool:
    """Python keeps an unpaired `\\ud800` from JSON as is; it cannot be encoded in UTF-8."""
    return _SURROGATE.search(text) is not None


def lone_surrogate_paths(value: Any, where: str = "") -> Iterator[str]:
    """The paths (`params.files[0].name`) of every key or string holding a lone surrogate."""
    stack: list[tuple[Any, str]] = [(value, where)]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            if has_lone_surrogate(item):
                yield path or "descripteur"
        elif isinstance(item, dict):
            for key, child in item.items():
                child_path = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and has_lone_surrogate(key):
                    yield path or "descripteur"
                    continue
                stack.append((child, child_path))
        elif isinstance(item, list | tuple):
            stack.extend((child, f"{path}[{index}]") for index, child in enumerate(item))
