"""Error codes of assistant/autostart/: every code its errors carry, declared here once.

docs/errors.md lists them with their meaning; tests/test_error_codes.py checks that every code
raised is declared here and documented there."""

from __future__ import annotations

import enum

from assistant.errors import AssistantError

__all__ = ["MEANINGS", "AutostartCode", "AutostartError"]


class AutostartCode(enum.StrEnum):
    """The error codes of assistant/autostart/."""

    AUTOSTART_FAILED = "autostart_failed"


MEANINGS: dict[AutostartCode, str] = {
    AutostartCode.AUTOSTART_FAILED: "« Impossible d'écrire (ou de retirer) le démarrage automatique (…) : … » (the OS entry's folder or registry value).",
}


class AutostartError(AssistantError):
    """The session's start entry could not be written or removed."""

    code = AutostartCode.AUTOSTART_FAILED
