"""Errors of envelope decryption and ZIP extraction, French first.

Each kind has its own stable code so that the job engine, the bridge and the tests can tell a
truncated download (fetch it again) from a key problem (choose another key) from an altered
envelope (report it to the platform), without parsing messages.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from assistant.errors import AssistantError
from assistant.i18n import M_, Bilingual, Message


class EnvelopeCode(enum.StrEnum):
    """The error codes of assistant/envelopes/."""

    BICLE = "bicle"
    CORRUPT_ARCHIVE = "corrupt_archive"
    ENVELOPE = "envelope"
    ENVELOPE_CORRUPT = "envelope_corrupt"
    ENVELOPE_FORMAT = "envelope_format"
    ENVELOPE_INTEGRITY = "envelope_integrity"
    ENVELOPE_KEY_UNWRAP = "envelope_key_unwrap"
    ENVELOPE_NO_KEY = "envelope_no_key"
    ENVELOPE_TRUNCATED = "envelope_truncated"
    ENVELOPE_UNSUPPORTED_ALGORITHM = "envelope_unsupported_algorithm"
    NO_ENVELOPE = "no_envelope"
    NOT_FOR_ENCRYPTION = "not_for_encryption"
    TOKEN_AMBIGUOUS = "token_ambiguous"  # noqa: S105 (an error code, not a password)
    UNSAFE_ARCHIVE = "unsafe_archive"
    WEAK_PASSWORD = "weak_password"  # noqa: S105 (an error code, not a password)


#: What each code means: the class's meaning, or « the French message the user sees ».
MEANINGS: dict[EnvelopeCode, str] = {
    EnvelopeCode.BICLE: "Creating the bi-clé (encryption key pair) failed.",
    EnvelopeCode.CORRUPT_ARCHIVE: "The decrypted ZIP archive is damaged (its CRCs do not match): altered envelope.",
    EnvelopeCode.ENVELOPE: "Decrypting an envelope failed (generic envelope error).",
    EnvelopeCode.ENVELOPE_CORRUPT: "The structure is inconsistent (lengths, tags): the file was altered.",
    EnvelopeCode.ENVELOPE_FORMAT: "The file is not a CMS EnvelopedData/AuthEnvelopedData (DER, PEM or S/MIME).",
    EnvelopeCode.ENVELOPE_INTEGRITY: (
        "Padding or GCM tag check failed: altered content, or a content key that is not the right one."
    ),
    EnvelopeCode.ENVELOPE_KEY_UNWRAP: "Our key matched the recipient but could not recover a valid content key.",
    EnvelopeCode.ENVELOPE_NO_KEY: (
        "None of the keys offered is a recipient of the envelope; says which certificates are."
    ),
    EnvelopeCode.ENVELOPE_TRUNCATED: "The file ends before the envelope does: usually an interrupted download.",
    EnvelopeCode.ENVELOPE_UNSUPPORTED_ALGORITHM: "The envelope uses an algorithm the assistant does not support.",
    EnvelopeCode.NO_ENVELOPE: "« Aucune enveloppe chiffrée trouvée. »",
    EnvelopeCode.NOT_FOR_ENCRYPTION: "« Ce certificat ne peut pas servir de bi-clé de chiffrement : …. »",
    EnvelopeCode.TOKEN_AMBIGUOUS: (
        "« Plusieurs cartes correspondent : précisez « token= » ou « serial= » dans l'adresse. »"
    ),
    EnvelopeCode.UNSAFE_ARCHIVE: "A ZIP entry would escape the target folder, name a device, or the archive is a bomb.",
    EnvelopeCode.WEAK_PASSWORD: (
        "« Mot de passe trop faible : au moins … caractères mêlant minuscules, majuscules, chiffres et "
        "symboles (ou une phrase de 20 caractères et plus). »"
    ),
}


class EnvelopeError(AssistantError):
    code: str = EnvelopeCode.ENVELOPE


class NotAnEnvelopeError(EnvelopeError):
    """The file is not a CMS EnvelopedData/AuthEnvelopedData (DER, PEM or S/MIME)."""

    code: str = EnvelopeCode.ENVELOPE_FORMAT


class TruncatedEnvelopeError(EnvelopeError):
    """The file ends before the envelope does: usually an interrupted download."""

    code: str = EnvelopeCode.ENVELOPE_TRUNCATED


class CorruptEnvelopeError(EnvelopeError):
    """The structure is inconsistent (lengths, tags): the file was altered."""

    code: str = EnvelopeCode.ENVELOPE_CORRUPT


class UnsupportedAlgorithmError(EnvelopeError):
    code: str = EnvelopeCode.ENVELOPE_UNSUPPORTED_ALGORITHM


class IntegrityError(EnvelopeError):
    """Padding or GCM tag check failed: altered content, or a content key that is not the right one."""

    code: str = EnvelopeCode.ENVELOPE_INTEGRITY


class KeyUnwrapError(EnvelopeError):
    """Our key matched the recipient but could not recover a valid content key."""

    code: str = EnvelopeCode.ENVELOPE_KEY_UNWRAP


@dataclass(frozen=True)
class RecipientDescription:
    """Who an envelope was made for, in words a user can match against their certificates."""

    issuer: str | None = None
    serial_hex: str | None = None
    subject_key_id: str | None = None
    kind: str = "ktri"

    def describe(self) -> Message:
        if self.kind != "ktri":
            return M_("un destinataire de type non pris en charge ({kind})", kind=self.kind)
        if self.subject_key_id is not None:
            return M_("le certificat d'identifiant de clé {key_id}", key_id=self.subject_key_id)
        return M_(
            "le certificat émis par « {issuer} », numéro de série {serial}", issuer=self.issuer, serial=self.serial_hex
        )


class NoMatchingKeyError(EnvelopeError):
    """None of the keys offered is a recipient of the envelope; says which certificates are."""

    code: str = EnvelopeCode.ENVELOPE_NO_KEY

    def __init__(self, needed: list[RecipientDescription]) -> None:
        self.needed = needed
        recipients = (
            Bilingual(
                " ; ".join(n.describe().text("fr") for n in needed), "; ".join(n.describe().text("en") for n in needed)
            )
            if needed
            else M_("aucun destinataire lisible")
        )
        super().__init__(
            M_(
                "Aucune de vos clés ne permet d'ouvrir cette enveloppe. Elle a été chiffrée pour : {recipients}.",
                recipients=recipients,
            )
        )


class UnsafeArchiveError(EnvelopeError):
    """A ZIP entry would escape the target folder, name a device, or the archive is a bomb."""

    code: str = EnvelopeCode.UNSAFE_ARCHIVE


class CorruptArchiveError(EnvelopeError):
    code: str = EnvelopeCode.CORRUPT_ARCHIVE
