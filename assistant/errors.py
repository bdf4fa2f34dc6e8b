"""Errors the user sees.

Every failure that reaches a person carries a stable machine code (for the bridge, the JS client
and tests) and a French message (the UI speaks French first) made with `M_()`: its English comes
from the catalogue (assistant/i18n), and both are kept (the journal and the bridge carry the two,
the reader's language is picked where it is shown). Messages never contain a PIN, a password or a
token.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assistant.i18n import M_, Bilingual, Message


class Code(enum.StrEnum):
    """The error codes of the whole assistant (codes several layers share)."""

    CANCELLED = "cancelled"
    DESCRIPTOR_UNKNOWN_FIELD = "descriptor_unknown_field"
    ERROR = "error"
    FILE_NOT_FOUND = "file_not_found"
    INPUT_FILE = "input_file"
    INTERNAL = "internal"
    MODULE_REFUSED = "module_refused"
    NO_FILES = "no_files"
    NOT_A_PDF = "not_a_pdf"
    OUTPUT = "output"
    OUTPUT_EXISTS = "output_exists"
    OUTPUT_NOT_WRITABLE = "output_not_writable"
    SIGN_FAILED = "sign_failed"
    TOKEN_ABSENT = "token_absent"  # noqa: S105 (an error code, not a password)
    USAGE = "usage"


#: What each code means: the class's meaning, or « the French message the user sees ».
CODE_MEANINGS: dict[Code, str] = {
    Code.CANCELLED: "The user (or the page that queued the job) cancelled it.",
    Code.DESCRIPTOR_UNKNOWN_FIELD: "« champ inconnu. »",
    Code.ERROR: "A failure with no more specific code (the message says what happened).",
    Code.FILE_NOT_FOUND: "« Fichier introuvable : … »",
    Code.INPUT_FILE: "An input file is missing, unreadable, corrupt or of the wrong kind.",
    Code.INTERNAL: "« Erreur interne de l'assistant. »",
    Code.MODULE_REFUSED: "« Un traitement ne peut pas désigner un module PKCS#11. »",
    Code.NO_FILES: "« Le dossier … ne contient aucun fichier à déposer. »",
    Code.NOT_A_PDF: "« PAdES ne s'applique qu'aux PDF ; … n'en est pas un. »",
    Code.OUTPUT: "The output could not be written (read-only folder, disk full, name clash).",
    Code.OUTPUT_EXISTS: "« Le fichier … existe déjà. »",
    Code.OUTPUT_NOT_WRITABLE: "« Impossible d'écrire le rapport dans … : … »",
    Code.SIGN_FAILED: "« La signature de … a échoué : …. »",
    Code.TOKEN_ABSENT: "« Aucune carte ne correspond à … : est-elle branchée ? »",
    Code.USAGE: "The request itself is wrong (bad argument, unknown option value).",
}


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

    code: str = Code.ERROR

    def __init__(self, message_fr: str | Message, message_en: str | None = None, *, code: str | None = None) -> None:
        if isinstance(message_fr, Message):
            message_en = message_en or message_fr.text("en")
            message_fr = message_fr.text("fr")
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

    def both(self) -> Bilingual:
        """The message in both languages, to quote it inside another message (`M_(..., reason=...)`)."""
        return Bilingual(self.message_fr, self.message_en)

    def info(self) -> ErrorInfo:
        """This error as data (see ErrorInfo)."""
        return ErrorInfo(self.code, self.message_fr, self.message_en)

    def to_dict(self) -> dict[str, str]:
        return self.info().to_json()


class UsageError(AssistantError):
    """The request itself is wrong (bad argument, unknown option value)."""

    code: str = Code.USAGE


class InputFileError(AssistantError):
    """An input file is missing, unreadable, corrupt or of the wrong kind."""

    code: str = Code.INPUT_FILE


class OutputError(AssistantError):
    """The output could not be written (read-only folder, disk full, name clash)."""

    code: str = Code.OUTPUT


class CancelledError(AssistantError):
    """The user (or the page that queued the job) cancelled it."""

    code: str = Code.CANCELLED

    def __init__(self) -> None:
        super().__init__(M_("Opération annulée."))
