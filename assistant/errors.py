"""Errors the user sees.

Every failure that reaches a person carries a stable machine code (for the bridge, the JS client
and tests) and a French message (the UI speaks French first). The English text is the translation
shown with `ASSISTANT_LANG=en`. Messages never contain a PIN, a password or a token.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ErrorInfo:
    """A failure as data: what a job keeps, the journal stores and the bridge sends.

    `message` is the French text (the UI speaks French first), `message_en` its translation;
    `field` names the offending descriptor field when there is one."""

    code: str
    message: str
    message_en: str
    field: str | None = None

    def to_json(self) -> dict[str, str]:
        out = {"code": self.code, "message": self.message, "message_en": self.message_en}
        if self.field is not None:
            out["field"] = self.field
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ErrorInfo:
        field = data.get("field")
        message = str(data.get("message", ""))
        return cls(
            code=str(data.get("code", "error")),
            message=message,
            message_en=str(data.get("message_en") or message),
            field=None if field is None else str(field),
        )


class AssistantError(Exception):
    """Base class of errors whose message is meant for the user."""

    code: str = "error"

    def __init__(self, message_fr: str, message_en: str | None = None, *, code: str | None = None) -> None:
        super().__init__(message_fr)
        self.message_fr = message_fr
        self.message_en = message_en or message_fr
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        """The message in the user's language (French unless ASSISTANT_LANG says otherwise)."""
        return self.message_en if os.environ.get("ASSISTANT_LANG", "fr").startswith("en") else self.message_fr

    def info(self) -> ErrorInfo:
        """This error as data (see ErrorInfo)."""
        return ErrorInfo(self.code, self.message_fr, self.message_en)

    def to_dict(self) -> dict[str, str]:
        return self.info().to_json()


class UsageError(AssistantError):
    """The request itself is wrong (bad argument, unknown option value)."""

    code = "usage"


class InputFileError(AssistantError):
    """An input file is missing, unreadable, corrupt or of the wrong kind."""

    code = "input_file"


class OutputError(AssistantError):
    """The output could not be written (read-only folder, disk full, name clash)."""

    code = "output"


class CancelledError(AssistantError):
    """The user (or the page that queued the job) cancelled it."""

    code = "cancelled"

    def __init__(self) -> None:
        super().__init__("Opération annulée.", "Operation cancelled.")
