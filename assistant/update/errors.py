"""Error codes of assistant/update/: every code its errors carry, declared here once.

docs/errors.md lists them with their meaning; tests/test_error_codes.py checks that every code
raised is declared here and documented there."""

from __future__ import annotations

import enum

__all__ = ["MEANINGS", "UpdateCode"]


class UpdateCode(enum.StrEnum):
    """The error codes of assistant/update/."""

    UPDATE_REQUIRED = "update_required"


MEANINGS: dict[UpdateCode, str] = {
    UpdateCode.UPDATE_REQUIRED: (
        "« Cette version de l'assistant (…) n'est plus acceptée par les plateformes : la version … au moins est "
        "requise. » A page's job is refused until the assistant is updated (the publisher's minimum version)."
    ),
}
