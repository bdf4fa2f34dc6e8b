"""Error codes of assistant/prepare/: every code its errors carry, declared here once.

docs/errors.md lists them with their meaning; tests/test_error_codes.py checks that every code
raised is declared here and documented there."""

from __future__ import annotations

import enum

__all__ = ["MEANINGS", "PrepareCode"]


class PrepareCode(enum.StrEnum):
    """The error codes of assistant/prepare/."""

    FILE_NOT_IN_BID = "file_not_in_bid"
    FOLDER_NOT_FOUND = "folder_not_found"
    NOT_A_FOLDER = "not_a_folder"
    NOT_A_ZIP = "not_a_zip"
    OUTPUT_INSIDE_SOURCE = "output_inside_source"
    RULES_UNREADABLE = "rules_unreadable"
    TOO_MANY_FILES = "too_many_files"
    UPLOAD_TEST_FAILED = "upload_test_failed"


#: What each code means: the class's meaning, or « the French message the user sees ».
MEANINGS: dict[PrepareCode, str] = {
    PrepareCode.FILE_NOT_IN_BID: "« Fichier absent du dépôt : … »",
    PrepareCode.FOLDER_NOT_FOUND: "« Dossier introuvable : … »",
    PrepareCode.NOT_A_FOLDER: "« … n'est pas un dossier. »",
    PrepareCode.NOT_A_ZIP: "« … n'est pas une archive ZIP. »",
    PrepareCode.OUTPUT_INSIDE_SOURCE: (
        "« Le dossier de dépôt ne peut pas être dans le dossier de la réponse : choisissez un autre emplacement. »"
    ),
    PrepareCode.RULES_UNREADABLE: "« Règles de dépôt illisibles : … » (the rules file is missing or not JSON)",
    PrepareCode.TOO_MANY_FILES: "« Le dossier … contient plus de … fichiers : choisissez le dossier de la réponse. »",
    PrepareCode.UPLOAD_TEST_FAILED: "The workstation test could not send its test upload to the platform.",
}
