"""Error codes of assistant/jobs/: every code its errors carry, declared here once.

docs/errors.md lists them with their meaning; tests/test_error_codes.py checks that every code
raised is declared here and documented there."""

from __future__ import annotations

import enum

__all__ = ["MEANINGS", "JobCode"]


class JobCode(enum.StrEnum):
    """The error codes of assistant/jobs/."""

    BID_FOLDER_NEEDS_USER = "bid_folder_needs_user"
    DECRYPT_FAILED = "decrypt_failed"
    DESCRIPTOR_INVALID = "descriptor_invalid"
    DESCRIPTOR_INVALID_UNICODE = "descriptor_invalid_unicode"
    DESCRIPTOR_UNSAFE_NAME = "descriptor_unsafe_name"
    DESCRIPTOR_VERSION = "descriptor_version"
    DESTINATION_VANISHED = "destination_vanished"
    ENGINE_CLOSED = "engine_closed"
    INTERRUPTED = "interrupted"
    JOB_FAILED = "job_failed"
    JOURNAL_FAILED = "journal_failed"
    LOCAL_ONLY_FIELD = "local_only_field"
    NO_CREDENTIAL = "no_credential"
    PREPARE_FAILED = "prepare_failed"
    URL_NOT_ALLOWED = "url_not_allowed"


#: What each code means: the class's meaning, or « the French message the user sees ».
MEANINGS: dict[JobCode, str] = {
    JobCode.BID_FOLDER_NEEDS_USER: (
        "« « Préparer mon dépôt » demande de choisir le dossier de la réponse dans la fenêtre de l'assistant : "
        "impossible sans fenêtre… » (a page's prepare job on a headless assistant)"
    ),
    JobCode.DECRYPT_FAILED: (
        "Some envelopes of an offline decryption could not be decrypted (count and first reason given)."
    ),
    JobCode.DESCRIPTOR_INVALID: "The descriptor is malformed or breaks a rule. `.field` names the offending field.",
    JobCode.DESCRIPTOR_INVALID_UNICODE: "« texte Unicode invalide (substitut isolé). »",
    JobCode.DESCRIPTOR_UNSAFE_NAME: "« nom de fichier ou de dossier dangereux ou invalide. »",
    JobCode.DESCRIPTOR_VERSION: "« version … non prise en charge (attendue : …). »",
    JobCode.DESTINATION_VANISHED: (
        "« Le dossier « … » a disparu pendant le téléchargement (supprimé, déplacé ou support retiré) : le "
        "téléchargement est arrêté… » (what was verified stays recorded; a new run fetches only what is missing)"
    ),
    JobCode.ENGINE_CLOSED: "« L'assistant s'arrête : traitement refusé. »",
    JobCode.INTERRUPTED: "« Traitement interrompu (arrêt de l'assistant). »",
    JobCode.JOB_FAILED: "A runner's failure that still carries a partial result (e.g. 3 files of 45 failed).",
    JobCode.JOURNAL_FAILED: "« Le traitement n'a pas pu être enregistré : il n'est pas lancé. »",
    JobCode.LOCAL_ONLY_FIELD: (
        "A descriptor field naming a local path or key was sent by a web page: only the local user may name one."
    ),
    JobCode.NO_CREDENTIAL: "No certificate was chosen, or none usable was found on this computer.",
    JobCode.PREPARE_FAILED: "« Le dépôt n'a pas été créé : rien n'a été écrit. »",
    JobCode.URL_NOT_ALLOWED: (
        "A descriptor URL is neither on the requesting platform's origin nor on a host allowed in the "
        "settings (or not HTTPS)."
    ),
}
