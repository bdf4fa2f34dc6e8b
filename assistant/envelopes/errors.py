"""Errors of envelope decryption and ZIP extraction, French first.

Each kind has its own stable code so that the job engine, the bridge and the tests can tell a
truncated download (fetch it again) from a key problem (choose another key) from an altered
envelope (report it to the platform), without parsing messages.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.errors import AssistantError


class EnvelopeError(AssistantError):
    code = "envelope"


class NotAnEnvelopeError(EnvelopeError):
    """The file is not a CMS EnvelopedData/AuthEnvelopedData (DER, PEM or S/MIME)."""

    code = "envelope_format"


class TruncatedEnvelopeError(EnvelopeError):
    """The file ends before the envelope does: usually an interrupted download."""

    code = "envelope_truncated"


class CorruptEnvelopeError(EnvelopeError):
    """The structure is inconsistent (lengths, tags): the file was altered."""

    code = "envelope_corrupt"


class UnsupportedAlgorithmError(EnvelopeError):
    code = "envelope_unsupported_algorithm"


class IntegrityError(EnvelopeError):
    """Padding or GCM tag check failed: altered content, or a content key that is not the right one."""

    code = "envelope_integrity"


class KeyUnwrapError(EnvelopeError):
    """Our key matched the recipient but could not recover a valid content key."""

    code = "envelope_key_unwrap"


@dataclass(frozen=True)
class RecipientDescription:
    """Who an envelope was made for, in words a user can match against their certificates."""

    issuer: str | None = None
    serial_hex: str | None = None
    subject_key_id: str | None = None
    kind: str = "ktri"

    def describe_fr(self) -> str:
        if self.kind != "ktri":
            return f"un destinataire de type non pris en charge ({self.kind})"
        if self.subject_key_id is not None:
            return f"le certificat d'identifiant de clé {self.subject_key_id}"
        return f"le certificat émis par « {self.issuer} », numéro de série {self.serial_hex}"

    def describe_en(self) -> str:
        if self.kind != "ktri":
            return f"an unsupported recipient type ({self.kind})"
        if self.subject_key_id is not None:
            return f"the certificate with key identifier {self.subject_key_id}"
        return f"the certificate issued by '{self.issuer}', serial number {self.serial_hex}"


class NoMatchingKeyError(EnvelopeError):
    """None of the keys offered is a recipient of the envelope; says which certificates are."""

    code = "envelope_no_key"

    def __init__(self, needed: list[RecipientDescription]) -> None:
        self.needed = needed
        fr = " ; ".join(n.describe_fr() for n in needed) or "aucun destinataire lisible"
        en = "; ".join(n.describe_en() for n in needed) or "no readable recipient"
        super().__init__(
            "Aucune de vos clés ne permet d'ouvrir cette enveloppe. Elle a été chiffrée pour : " + fr + ".",
            "None of your keys can open this envelope. It was encrypted for: " + en + ".",
        )


class UnsafeArchiveError(EnvelopeError):
    """A ZIP entry would escape the target folder, name a device, or the archive is a bomb."""

    code = "unsafe_archive"


class CorruptArchiveError(EnvelopeError):
    code = "corrupt_archive"
