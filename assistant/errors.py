"""Errors the user sees.

Every failure that reaches a person carries a stable machine code (for the bridge, the JS client
and tests) and a French message (the UI speaks French first). The English text is the translation
shown with `ASSISTANT_LANG=en`. Messages never contain a PIN, a password or a token.
"""

from __future__ import annotations


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
        """The message in the user's language (assistant.i18n: ASSISTANT_LANG, the setting, the system)."""
        from assistant.i18n import current_language

        return self.message_en if current_language() == "en" else self.message_fr

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message_fr, "message_en": self.message_en}


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
