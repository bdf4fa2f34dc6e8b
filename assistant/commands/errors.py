"""Error codes of assistant/commands/: every code its errors carry, declared here once.

docs/errors.md lists them with their meaning; tests/test_error_codes.py checks that every code
raised is declared here and documented there."""

from __future__ import annotations

import enum

__all__ = ["MEANINGS", "CommandCode"]


class CommandCode(enum.StrEnum):
    """The error codes of assistant/commands/."""

    BAD_USAGE = "bad_usage"
    PIN_ENV_MISSING = "pin_env_missing"


#: What each code means: the class's meaning, or « the French message the user sees ».
MEANINGS: dict[CommandCode, str] = {
    CommandCode.BAD_USAGE: "« --format attend FICHIER=FORMAT : … »",
    CommandCode.PIN_ENV_MISSING: "« La variable d'environnement … n'est pas définie. »",
}
