"""Error codes of assistant/bridge/: every code its errors carry, declared here once.

docs/errors.md lists them with their meaning; tests/test_error_codes.py checks that every code
raised is declared here and documented there."""

from __future__ import annotations

import enum

__all__ = ["MEANINGS", "BridgeCode"]


class BridgeCode(enum.StrEnum):
    """The error codes of assistant/bridge/."""

    ACCESS_CODE_WRONG = "access_code_wrong"
    ACCESS_REFUSED = "access_refused"
    ACCESS_REQUIRED = "access_required"
    QUESTION_BUDGET = "question_budget"
    QUESTION_BUSY = "question_busy"
    BAD_REQUEST = "bad_request"
    BODY_TOO_LARGE = "body_too_large"
    BRIDGE_START = "bridge_start"
    HOST_REFUSED = "host_refused"
    INCOMPLETE_BODY = "incomplete_body"
    INVALID_FIELD = "invalid_field"
    INVALID_JSON = "invalid_json"
    LENGTH_REQUIRED = "length_required"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    NOT_FOUND = "not_found"
    ORIGIN_NOT_APPROVED = "origin_not_approved"
    ORIGIN_REFUSED = "origin_refused"
    ORIGIN_REQUIRED = "origin_required"
    PAIRING = "pairing"
    RATE_LIMITED = "rate_limited"
    TOO_MANY_STREAMS = "too_many_streams"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"


#: What each code means: the class's meaning, or « the French message the user sees ».
MEANINGS: dict[BridgeCode, str] = {
    BridgeCode.ACCESS_CODE_WRONG: "« Code incorrect : saisissez le code à 6 chiffres affiché par l'assistant. »",
    BridgeCode.ACCESS_REFUSED: (
        "The page's access key is not (or no longer) valid, or the user refused to connect the page: nothing "
        "but the status is served."
    ),
    BridgeCode.ACCESS_REQUIRED: (
        "« Cette page n'est pas connectée à l'assistant : connectez-la (bouton « Connecter l'assistant »). »"
    ),
    BridgeCode.QUESTION_BUDGET: "« Trop de demandes de connexion pour ce site : réessayez dans une heure. »",
    BridgeCode.QUESTION_BUSY: "« L'assistant pose déjà une question : répondez-y, puis réessayez. »",
    BridgeCode.BAD_REQUEST: "« Requête mal formée. »",
    BridgeCode.BODY_TOO_LARGE: "« Requête trop volumineuse (limite : … Kio). »",
    BridgeCode.BRIDGE_START: (
        "The local bridge could not start (no free port among the fallbacks, or the certificate could not be loaded)."
    ),
    BridgeCode.HOST_REFUSED: "« Requête refusée : l'adresse demandée n'est pas celle de l'assistant local. »",
    BridgeCode.INCOMPLETE_BODY: "« Corps de requête incomplet. »",
    BridgeCode.INVALID_FIELD: "A field of the request body has the wrong type or value (the field is named).",
    BridgeCode.INVALID_JSON: "« Le corps de la requête n'est pas un objet JSON valide…. »",
    BridgeCode.LENGTH_REQUIRED: "« La longueur du corps doit être annoncée. »",
    BridgeCode.METHOD_NOT_ALLOWED: "« Méthode non autorisée. »",
    BridgeCode.NOT_FOUND: "« Ressource introuvable. »",
    BridgeCode.ORIGIN_NOT_APPROVED: (
        "The page's origin is not (or no longer) approved by the user: the request is refused before any work."
    ),
    BridgeCode.ORIGIN_REFUSED: "« Requête refusée : cette page ne peut pas utiliser l'assistant. »",
    BridgeCode.ORIGIN_REQUIRED: "« Requête refusée : l'origine de la page est inconnue. »",
    BridgeCode.PAIRING: (
        "Pairing with a platform failed (the platform refused the code, or answered something unusable)."
    ),
    BridgeCode.RATE_LIMITED: "« Trop de requêtes : réessayez dans quelques secondes. »",
    BridgeCode.TOO_MANY_STREAMS: "« Trop de suivis de traitements ouverts. »",
    BridgeCode.UNSUPPORTED_MEDIA_TYPE: "« Le corps de la requête doit être du JSON (Content-Type: application/json). »",
}
