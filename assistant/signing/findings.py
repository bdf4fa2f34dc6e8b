"""What a verification finds: stable codes for programs, sentences for people, in their language.

A verification report carries facts for programs (booleans, enums) and sentences for people: the
verdict, the remarks, why a signature is not AdES, what a PDF signature covers, why the trusted
lists do not confirm a qualified status. Each sentence is a `Finding`: a stable code (what the
JSON gives a program, whatever the language, see docs/verification-report.schema.json) and its
French source text, marked for the catalogue and translated only when the text is asked for. So
the command line, the window and a page's verify job say it in the user's language, and the
French text stays at hand for the tests and the logs (`french`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from assistant.i18n import N_, Message, _

__all__ = ["Coverage", "Finding", "ListReason", "NotAdes", "Remark", "Verdict", "packaging_label"]


class Verdict(enum.StrEnum):
    """The verdict on one signature (`verdict_code` in the JSON)."""

    VALID = "valid"
    ALTERED = "altered"
    FORBIDDEN_CHANGES = "forbidden_changes"
    REVOKED = "revoked"
    TIMESTAMP_NOT_VALIDATED = "timestamp_not_validated"
    NOT_VALIDATED = "not_validated"


class Remark(enum.StrEnum):
    """A remark on one signature (`problems[].code`)."""

    NOT_VALID_AT_SIGNING_TIME = "certificate_not_valid_at_signing_time"
    NOT_QUALIFIED = "certificate_not_qualified"
    QUALIFIED_NOT_CONFIRMED = "qualified_not_confirmed"
    TIMESTAMP_NOT_VALIDATED = "timestamp_not_validated"
    TIMESTAMP_UNREADABLE = "timestamp_unreadable"
    DOCUMENT_MODIFIED = "document_modified"
    SIGNATURE_VALUE_MISMATCH = "signature_value_mismatch"
    UNTRUSTED = "certificate_untrusted"
    ANCHOR_NOT_ROOT = "trust_anchor_not_root"
    REVOKED = "certificate_revoked"
    REVOCATION_UNKNOWN = "revocation_unknown"
    UNREADABLE = "signature_unreadable"
    CHANGES_NOT_PERMITTED = "changes_not_permitted"
    NON_STANDARD_COVERAGE = "non_standard_coverage"
    SIGNER_CERTIFICATE_MISSING = "signer_certificate_missing"
    NOT_VERIFIABLE = "signature_not_verifiable"
    SIGNED_DOCUMENT_MISSING = "signed_document_missing"
    XML_NO_REFERENCE = "xml_no_reference"
    XML_NO_CERTIFICATE = "xml_no_certificate"
    XML_SIGNATURE_INVALID = "xml_signature_invalid"
    SIGNING_TIME_UNREADABLE = "signing_time_unreadable"
    CERTIFICATE_DIGEST_UNSUPPORTED = "certificate_digest_unsupported"
    SIGNING_CERTIFICATE_MISMATCH = "signing_certificate_mismatch"
    ARCHIVE_TIMESTAMP_NOT_VALIDATED = "archive_timestamp_not_validated"


class NotAdes(enum.StrEnum):
    """The baseline element an AdES signature lacks (`not_ades_code`)."""

    NO_SIGNED_ATTRIBUTES = "no_signed_attributes"
    NO_SIGNING_CERTIFICATE = "no_signing_certificate"
    NO_SIGNING_TIME = "no_signing_time"
    UNREADABLE = "unreadable"
    PDF_SUB_FILTER = "pdf_sub_filter"
    PDF_NO_SUB_FILTER = "pdf_no_sub_filter"
    XADES_NO_SIGNED_PROPERTIES = "xades_no_signed_properties"
    XADES_SIGNED_PROPERTIES_NOT_SIGNED = "xades_signed_properties_not_signed"
    XADES_NO_SIGNING_CERTIFICATE = "xades_no_signing_certificate"
    XADES_NO_SIGNING_TIME = "xades_no_signing_time"


class Coverage(enum.StrEnum):
    """What a PDF signature covers (`coverage_code`)."""

    ENTIRE_FILE = "entire_file"
    REVISION_VALIDATION_DATA = "revision_then_validation_data"
    REVISION_FORM_FILLING = "revision_then_form_filling"
    REVISION_ANNOTATIONS = "revision_then_annotations"
    REVISION_PERMITTED = "revision_then_permitted_changes"
    REVISION_NOT_PERMITTED = "revision_then_forbidden_changes"
    PARTIAL = "partial"


class ListReason(enum.StrEnum):
    """Why the EU trusted lists do not confirm a qualified status (`trusted_list.reason_code`)."""

    NO_LISTS = "no_trusted_lists"
    ISSUER_NOT_LISTED = "issuer_not_listed"
    NOT_CA_QC = "service_not_ca_qc"
    NOT_YET_LISTED = "service_not_yet_listed"
    NOT_GRANTED = "service_not_granted"
    LISTED_NOT_QUALIFIED = "listed_not_qualified"
    NOT_DECLARED = "not_declared_qualified"
    NOT_FOR_ESIGNATURE = "not_for_esignature"


Code = Verdict | Remark | NotAdes | Coverage | ListReason

#: The text of a finding whose sentence was worded where it was found (`Finding.worded`).
_WORDED = "{text}"

_TEXTS: dict[type[enum.StrEnum], dict[Any, str]] = {
    Verdict: {
        Verdict.VALID: N_("Signature valide."),
        Verdict.ALTERED: N_("Signature invalide : le document a été modifié ou la signature est altérée."),
        Verdict.FORBIDDEN_CHANGES: N_(
            "Signature invalide : le document a été modifié après la signature d'une façon qu'elle n'autorise pas."
        ),
        Verdict.REVOKED: N_("Signature invalide : le certificat du signataire est révoqué."),
        Verdict.TIMESTAMP_NOT_VALIDATED: N_(
            "Signature intègre, mais un horodatage n'a pas pu être validé (voir les remarques)."
        ),
        Verdict.NOT_VALIDATED: N_("Signature intègre, mais le certificat n'a pas pu être validé (voir les remarques)."),
    },
    Remark: {
        Remark.NOT_VALID_AT_SIGNING_TIME: N_(
            "Le certificat n'était pas en cours de validité au moment de la signature ({moment} UTC)."
        ),
        Remark.NOT_QUALIFIED: N_(
            "Le certificat ne se déclare pas qualifié (eIDAS) : signature non conforme pour un marché public."
        ),
        Remark.QUALIFIED_NOT_CONFIRMED: N_(
            "Le certificat se déclare qualifié ; non confirmé par la liste de confiance ({reason})."
        ),
        Remark.TIMESTAMP_NOT_VALIDATED: N_("L'horodatage de la signature n'a pas pu être validé."),
        Remark.TIMESTAMP_UNREADABLE: N_("Horodatage de la signature illisible."),
        Remark.DOCUMENT_MODIFIED: N_("Le document a été modifié depuis sa signature."),
        Remark.SIGNATURE_VALUE_MISMATCH: N_("La valeur de la signature ne correspond pas au certificat."),
        Remark.UNTRUSTED: N_("Le certificat ne remonte pas à une autorité de confiance connue de ce poste."),
        Remark.ANCHOR_NOT_ROOT: N_(
            "Son émetteur ({name}) a été donné comme autorité de confiance, mais ce n'est pas une autorité "
            "racine : ajoutez aussi le certificat de l'autorité racine qui l'a émis."
        ),
        Remark.REVOKED: N_("Le certificat du signataire est révoqué."),
        Remark.REVOCATION_UNKNOWN: N_(
            "L'état de révocation du certificat n'a pas pu être vérifié (pas d'information disponible)."
        ),
        Remark.UNREADABLE: N_("La signature est illisible ou endommagée ({error})."),
        Remark.CHANGES_NOT_PERMITTED: N_(
            "Le document a été modifié après cette signature d'une façon qu'elle n'autorise pas."
        ),
        Remark.NON_STANDARD_COVERAGE: N_("La signature ne couvre pas le document de façon standard."),
        Remark.SIGNER_CERTIFICATE_MISSING: N_(
            "La signature n'a pas pu être vérifiée : le certificat du signataire n'est pas joint à la signature."
        ),
        Remark.NOT_VERIFIABLE: N_("La signature n'a pas pu être vérifiée ({error})."),
        Remark.SIGNED_DOCUMENT_MISSING: N_("Document signé « {name} » introuvable à côté de la signature."),
        Remark.XML_NO_REFERENCE: N_("Signature XML incomplète : aucune référence signée."),
        Remark.XML_NO_CERTIFICATE: N_(
            "Signature XML sans certificat (KeyInfo/X509Data) : le signataire ne peut être identifié."
        ),
        Remark.XML_SIGNATURE_INVALID: N_(
            "La signature XML ne se vérifie pas : le document ou la signature a été modifié."
        ),
        Remark.SIGNING_TIME_UNREADABLE: N_("Heure de signature (xades:SigningTime) illisible."),
        Remark.CERTIFICATE_DIGEST_UNSUPPORTED: N_(
            "Algorithme d'empreinte du certificat signé non pris en charge : {algorithm}."
        ),
        Remark.SIGNING_CERTIFICATE_MISMATCH: N_(
            "Le certificat désigné par la signature (SigningCertificate) n'est pas celui qui a signé."
        ),
        # Worded by the archive-timestamp check itself (verify_archive.py), already translated.
        Remark.ARCHIVE_TIMESTAMP_NOT_VALIDATED: _WORDED,
    },
    NotAdes: {
        NotAdes.NO_SIGNED_ATTRIBUTES: N_("attributs signés absents"),
        NotAdes.NO_SIGNING_CERTIFICATE: N_("attribut signing-certificate-v2 absent"),
        NotAdes.NO_SIGNING_TIME: N_("attribut signing-time absent"),
        NotAdes.UNREADABLE: N_("signature illisible"),
        NotAdes.PDF_SUB_FILTER: N_("SubFilter {sub_filter}, et non ETSI.CAdES.detached"),
        NotAdes.PDF_NO_SUB_FILTER: N_("SubFilter absent, et non ETSI.CAdES.detached"),
        NotAdes.XADES_NO_SIGNED_PROPERTIES: N_("xades:SignedProperties absent"),
        NotAdes.XADES_SIGNED_PROPERTIES_NOT_SIGNED: N_("xades:SignedProperties non couvert par une référence signée"),
        NotAdes.XADES_NO_SIGNING_CERTIFICATE: N_("xades:SigningCertificateV2 absent"),
        NotAdes.XADES_NO_SIGNING_TIME: N_("xades:SigningTime absent"),
    },
    Coverage: {
        Coverage.ENTIRE_FILE: N_("tout le fichier"),
        Coverage.REVISION_VALIDATION_DATA: N_(
            "une révision antérieure, suivie de modifications permises (ajout de données de validation)"
        ),
        Coverage.REVISION_FORM_FILLING: N_(
            "une révision antérieure, suivie de modifications permises (remplissage de champs ou signature)"
        ),
        Coverage.REVISION_ANNOTATIONS: N_("une révision antérieure, suivie de modifications permises (annotations)"),
        Coverage.REVISION_PERMITTED: N_("une révision antérieure, suivie de modifications permises (modifications)"),
        Coverage.REVISION_NOT_PERMITTED: N_("une révision antérieure, suivie de modifications NON permises"),
        Coverage.PARTIAL: N_("une partie seulement du fichier (couverture non standard)"),
    },
    ListReason: {
        ListReason.NO_LISTS: N_(
            "aucune liste de confiance sur ce poste ; « assistant trusted-lists update » les télécharge"
        ),
        ListReason.ISSUER_NOT_LISTED: N_(
            "l'autorité qui a émis le certificat ne figure dans aucune liste de confiance"
        ),
        ListReason.NOT_CA_QC: N_(
            "le service qui a émis le certificat n'est pas une autorité de certificats qualifiés (CA/QC)"
        ),
        ListReason.NOT_YET_LISTED: N_("le service n'était pas encore listé le {moment} UTC"),
        ListReason.NOT_GRANTED: N_("le service avait le statut « {status} » le {moment} UTC"),
        ListReason.LISTED_NOT_QUALIFIED: N_("la liste indique que ce certificat n'est pas qualifié (NotQualified)"),
        ListReason.NOT_DECLARED: N_("le certificat ne se déclare pas qualifié et la liste ne le qualifie pas"),
        ListReason.NOT_FOR_ESIGNATURE: N_("certificat qualifié, mais pas pour la signature électronique"),
    },
}

#: How a signature holds what it signs: the JSON's `packaging` values (stable codes), in words.
_PACKAGING = {
    "détachée": N_("détachée"),
    "attachée": N_("attachée"),
    "enveloppée": N_("enveloppée"),
    "enveloppante": N_("enveloppante"),
}


def packaging_label(value: str) -> str:
    """The user's-language word for a `packaging` code ('détachée' → 'detached' in English)."""
    return _(_PACKAGING[value]) if value in _PACKAGING else value


@dataclass(frozen=True)
class Finding:
    """One sentence of a report: its stable code and the values it names (a date, a file name…).

    The sentence rests on the product's one translation mechanism: `message` is the catalogue
    `Message` of its code's French source with these values, translated when it is shown. A value
    may itself be a Finding (the trusted lists' reason inside a remark) or a Message; it is worded
    in the same language as the sentence around it."""

    code: Code
    params: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, code: Code, **params: Any) -> Finding:
        return cls(code, tuple(sorted(params.items())))

    @classmethod
    def worded(cls, code: Code, text: str | Message) -> Finding:
        """A finding whose sentence was worded where it was found (a Message, or a text already in
        the user's language)."""
        return cls(code, (("text", text),))

    @property
    def source(self) -> str:
        """The French source text (the catalogue's msgid), placeholders not filled."""
        return _TEXTS[type(self.code)][self.code]

    @property
    def message(self) -> Message:
        """The sentence as a catalogue message (French source, translated when shown)."""
        args = {k: v.message if isinstance(v, Finding) else v for k, v in self.params}
        return Message(self.source, args)

    @property
    def text(self) -> str:
        """The sentence in the user's language."""
        return self.message.text()

    @property
    def french(self) -> str:
        """The sentence in French, whatever the user's language (tests, logs)."""
        return self.message.text("fr")

    def __str__(self) -> str:
        return self.text

    def __contains__(self, words: str) -> bool:
        """`"révoqué" in finding` searches its text, as it did when remarks were plain strings."""
        return words in self.text

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code.value, "text": self.text}
