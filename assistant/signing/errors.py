"""Error codes of assistant/signing/: every code its errors carry, declared here once.

docs/errors.md lists them with their meaning; tests/test_error_codes.py checks that every code
raised is declared here and documented there."""

from __future__ import annotations

import enum

__all__ = ["MEANINGS", "SigningCode"]


class SigningCode(enum.StrEnum):
    """The error codes of assistant/signing/."""

    BAD_FORMAT = "bad_format"
    BAD_LEVEL = "bad_level"
    BAD_TSA_URL = "bad_tsa_url"
    CERTIFICATE_EXPIRED = "certificate_expired"
    CERTIFICATE_NOT_FOR_SIGNATURE = "certificate_not_for_signature"
    CERTIFICATE_NOT_YET_VALID = "certificate_not_yet_valid"
    CORRUPT_PDF = "corrupt_pdf"
    DISK_FULL = "disk_full"
    EMPTY_FILE = "empty_file"
    ENCRYPTED_PDF = "encrypted_pdf"
    FETCH_FAILED = "fetch_failed"
    FETCH_REFUSED = "fetch_refused"
    FETCH_TOO_LARGE = "fetch_too_large"
    FILE_CHANGED = "file_changed"
    FILE_UNREADABLE = "file_unreadable"
    LONG_TERM_UNAVAILABLE = "long_term_unavailable"
    LOTL_PINS_MISSING = "lotl_pins_missing"
    NO_ATTACHED_CONTENT = "no_attached_content"
    NO_SIGNATURE = "no_signature"
    NOT_A_FILE = "not_a_file"
    NOT_DETACHED = "not_detached"
    NOT_A_SIGNATURE = "not_a_signature"
    NOT_ARCHIVABLE = "not_archivable"
    OUTPUT_MISSING = "output_missing"
    PDF_LOCKED = "pdf_locked"
    PDF_NOT_SIGNABLE = "pdf_not_signable"
    PSS_NOT_FOR_XADES = "pss_not_for_xades"
    SIGNED_FILE_MISSING = "signed_file_missing"
    STAMP_IMAGE_TOO_LARGE = "stamp_image_too_large"
    STAMP_IMAGE_UNREADABLE = "stamp_image_unreadable"
    STAMP_PLACEMENT_INVALID = "stamp_placement_invalid"
    TIMESTAMP = "timestamp"
    TRUSTED_LIST = "trusted_list"
    TRUSTED_LIST_SIGNATURE = "trusted_list_signature"
    TSA_MISSING = "tsa_missing"


#: What each code means: the class's meaning, or « the French message the user sees ».
MEANINGS: dict[SigningCode, str] = {
    SigningCode.FETCH_FAILED: "A trusted list, CRL or OCSP response could not be fetched (server unreachable or error status).",
    SigningCode.FETCH_REFUSED: "« Adresse refusée pour … : … » (only http/https, redirects included)",
    SigningCode.FETCH_TOO_LARGE: "« … trop volumineux (…). » (more than 32 MB)",
    SigningCode.LOTL_PINS_MISSING: (
        "« Aucun certificat de signature de la liste des listes (LOTL) n'est configuré : indiquez-le (--lotl-cert), "
        "tel que publié au Journal officiel de l'UE. »"
    ),
    SigningCode.TRUSTED_LIST: "A trusted list is unreadable, not a TS 119 612 list, or not signed.",
    SigningCode.TRUSTED_LIST_SIGNATURE: (
        "« La signature de la liste de confiance ne se vérifie avec aucun des certificats attendus. »"
    ),
    SigningCode.BAD_FORMAT: "« Format de signature inconnu : …. Formats possibles : PAdES, CAdES, XAdES. »",
    SigningCode.BAD_LEVEL: "« Niveau de signature inconnu : …. Niveaux possibles : …. »",
    SigningCode.BAD_TSA_URL: "« Adresse du service d'horodatage invalide : … »",
    SigningCode.CERTIFICATE_EXPIRED: (
        "« Le certificat de … a expiré le … : une signature faite avec lui ne serait pas valable. »"
    ),
    SigningCode.CERTIFICATE_NOT_FOR_SIGNATURE: (
        "« Le certificat de … ne permet pas de signer (c'est un certificat de chiffrement). »"
    ),
    SigningCode.CERTIFICATE_NOT_YET_VALID: (
        "« Le certificat de … n'est pas encore valable : vérifiez l'horloge du poste. »"
    ),
    SigningCode.CORRUPT_PDF: (
        "« Le fichier … n'est pas un PDF valide ou il est endommagé : il ne peut pas être signé en PAdES "
        "(choisissez CAdES ou XAdES pour le signer tel quel). »"
    ),
    SigningCode.DISK_FULL: "« Plus de place sur le disque du dossier …. »",
    SigningCode.EMPTY_FILE: "« Le fichier … est vide : il n'y a rien à signer. »",
    SigningCode.ENCRYPTED_PDF: (
        "« Le PDF … est protégé par un mot de passe ou chiffré : retirez la protection puis signez-le, ou "
        "signez-le en CAdES ou XAdES. »"
    ),
    SigningCode.FILE_CHANGED: (
        "« Le fichier … a été modifié pendant sa lecture : fermez le logiciel qui l'écrit et recommencez. »"
    ),
    SigningCode.FILE_UNREADABLE: "« Lecture du fichier … refusée (droits insuffisants). »",
    SigningCode.LONG_TERM_UNAVAILABLE: (
        "« Le niveau … n'a pas pu être atteint pour … : la chaîne du certificat ou ses informations de "
        "révocation (CRL/OCSP) n'ont pas pu être obtenues. Vérifiez la connexion, les autorités de confiance, "
        "ou signez en B-T. »"
    ),
    SigningCode.NO_ATTACHED_CONTENT: "The signature holds no signed document (a detached signature): nothing to extract.",
    SigningCode.NO_SIGNATURE: "« Le PDF … ne contient aucune signature. »",
    SigningCode.NOT_ARCHIVABLE: "« Impossible d'ajouter un horodatage d'archive à … : …. » (not a verifying B-LTA)",
    SigningCode.NOT_A_FILE: "« … n'est pas un fichier. »",
    SigningCode.NOT_DETACHED: "A signed document was named (--detached-of) for a signature that is not detached.",
    SigningCode.NOT_A_SIGNATURE: (
        "« … n'est ni un PDF signé, ni une signature CAdES (.p7s), ni une signature XAdES (.xml). »"
    ),
    SigningCode.OUTPUT_MISSING: "« Le dossier … n'existe pas. »",
    SigningCode.PDF_LOCKED: (
        "« Le PDF … a été certifié par son auteur sans autoriser de modification : il n'accepte plus de "
        "signature PAdES (signez-le en CAdES ou XAdES). »"
    ),
    SigningCode.PDF_NOT_SIGNABLE: "« Le PDF … ne peut pas être signé en PAdES : …. Signez-le en CAdES ou XAdES. »",
    SigningCode.PSS_NOT_FOR_XADES: (
        "« RSA-PSS n'est pas accepté par les vérificateurs XAdES courants : signez en PKCS#1 v1.5 ou en CAdES. »"
    ),
    SigningCode.SIGNED_FILE_MISSING: "« Document signé introuvable pour … : indiquez-le (--detached-of). »",
    SigningCode.STAMP_IMAGE_TOO_LARGE: "« L'image de signature … est trop lourde (8 Mo au plus). »",
    SigningCode.STAMP_IMAGE_UNREADABLE: "« … n'est pas une image lisible (PNG ou JPEG attendu). »",
    SigningCode.STAMP_PLACEMENT_INVALID: (
        "« Emplacement de la signature visible invalide : il doit tenir dans la page. »"
    ),
    SigningCode.TIMESTAMP: "The timestamp authority (RFC 3161) could not be reached or answered something unusable.",
    SigningCode.TSA_MISSING: (
        "« Le niveau … demande un service d'horodatage : indiquez son adresse (--tsa ou paramètres). »"
    ),
}
