"""Error codes of assistant/transport/: every code its errors carry, declared here once.

docs/errors.md lists them with their meaning; tests/test_error_codes.py checks that every code
raised is declared here and documented there."""

from __future__ import annotations

import enum

__all__ = ["MEANINGS", "TransportCode"]


class TransportCode(enum.StrEnum):
    """The error codes of assistant/transport/."""

    ANSWER_TOO_LARGE = "answer_too_large"
    PLATFORM = "platform"
    PLATFORM_CA = "platform_ca"
    PLATFORM_CERTIFICATE = "platform_certificate"
    PLATFORM_FORBIDDEN = "platform_forbidden"
    PLATFORM_NOT_FOUND = "platform_not_found"
    REDIRECT_REFUSED = "redirect_refused"
    TRANSFER = "transfer"


#: What each code means: the class's meaning, or « the French message the user sees ».
MEANINGS: dict[TransportCode, str] = {
    TransportCode.ANSWER_TOO_LARGE: "« Réponse trop volumineuse (…). »",
    TransportCode.PLATFORM: "The platform answered with an error (generic platform error).",
    TransportCode.PLATFORM_CA: (
        "A CA file the user listed in `platform_ca_files` cannot be used: said before any connection."
    ),
    TransportCode.PLATFORM_CERTIFICATE: (
        "The platform's HTTPS certificate is not trusted (expired, wrong name or unknown issuer)."
    ),
    TransportCode.PLATFORM_FORBIDDEN: (
        "« La plateforme refuse l'accès (…, HTTP …) : le jeton du traitement est invalide ou expiré. »"
    ),
    TransportCode.PLATFORM_NOT_FOUND: "« Ressource introuvable sur la plateforme (…). »",
    TransportCode.REDIRECT_REFUSED: (
        "A redirect the rule refuses. Deliberately without the status or the target: the job's error reaches "
        "the page, which must not learn what answers behind the platform."
    ),
    TransportCode.TRANSFER: "A transfer failed (network error, interrupted connection) after its retries.",
}
