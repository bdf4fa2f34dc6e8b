"""Error codes of assistant/platform/: every code its errors carry, declared here once.

docs/errors.md lists them with their meaning; tests/test_error_codes.py checks that every code
raised is declared here and documented there."""

from __future__ import annotations

import enum

__all__ = ["MEANINGS", "PlatformCode"]


class PlatformCode(enum.StrEnum):
    """The error codes of assistant/platform/."""

    HASH_MISMATCH = "hash_mismatch"


#: What each code means: the class's meaning, or « the French message the user sees ».
MEANINGS: dict[PlatformCode, str] = {
    PlatformCode.HASH_MISMATCH: (
        "A downloaded file does not match the SHA-256 the descriptor gave: refused and fetched again once."
    ),
}
