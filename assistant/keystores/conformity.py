"""Is this certificate fit to sign a public-procurement document? A pure reading of the X.509 fields.

French public procurement (arrêté du 22 mars 2019, code de la commande publique) asks for an advanced
signature made with a *qualified* certificate (eIDAS regulation, annex I). What the platforms check,
and what this module checks, is written in the certificate itself:

* the key usage: nonRepudiation (contentCommitment) or digitalSignature, and no extended key usage
  that restricts the key to something else (client authentication, TLS...);
* the validity period, today;
* the qualification: the ETSI EN 319 412-5 QCStatements (QcCompliance, QcSSCD, QcType esign) or a
  qualified certificate policy (ETSI EN 319 411-2 QCP-n / QCP-n-qscd, the older TS 101 456 QCP);
* the key strength (RSA 2048 bits, EC 256 bits at least, as the RGS asks).

Nothing here touches the network or the trust lists: the verdict says what the certificate declares.
The signature verification report (signing/) is where the chain and revocation are checked.

Every reason is a French sentence meant for the user; the English translation is kept alongside for
`ASSISTANT_LANG=en` and for the bridge.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID

from assistant.i18n import M_, N_, Bilingual, fr_en, translate

# --------------------------------------------------------------------------------------------
# Identifiers

#: RFC 3739 qcStatements extension.
OID_QC_STATEMENTS = "1.3.6.1.5.5.7.1.3"
#: ETSI EN 319 412-5 statements.
QC_COMPLIANCE = "0.4.0.1862.1.1"
QC_LIMIT_VALUE = "0.4.0.1862.1.2"
QC_RETENTION_PERIOD = "0.4.0.1862.1.3"
QC_SSCD = "0.4.0.1862.1.4"
QC_PDS = "0.4.0.1862.1.5"
QC_TYPE = "0.4.0.1862.1.6"
QC_TYPE_ESIGN = "0.4.0.1862.1.6.1"
QC_TYPE_ESEAL = "0.4.0.1862.1.6.2"
QC_TYPE_WEB = "0.4.0.1862.1.6.3"
#: RFC 3739 semantics (id-qcs-pkixQCSyntax-v2), seen in older qualified certificates.
QCS_PKIX_SYNTAX_V2 = "1.3.6.1.5.5.7.11.2"


class PolicyKind(enum.StrEnum):
    QUALIFIED_SIGNATURE = "qualified_signature"  # natural person, eIDAS art. 28
    QUALIFIED_SEAL = "qualified_seal"  # legal person, eIDAS art. 38
    QUALIFIED_WEB = "qualified_web"
    NORMALIZED = "normalized"  # ETSI EN 319 411-1 NCP/NCP+/LCP: trustworthy, not qualified


@dataclass(frozen=True)
class KnownPolicy:
    oid: str
    name: str
    kind: PolicyKind
    qscd: bool = False


#: Certificate policies that say by themselves what the certificate is (ETSI, shared by every
#: European provider, French ones included: Certigna, ChamberSign, CertEurope, Certinomis,
#: Universign... put QCP-n-qscd next to their own policy OID in their eIDAS signature certificates).
KNOWN_POLICIES: dict[str, KnownPolicy] = {
    p.oid: p
    for p in (
        # ETSI EN 319 411-2 (eIDAS qualified certificates)
        KnownPolicy(
            "0.4.0.194112.1.0",
            N_("ETSI QCP-n (certificat qualifié, personne physique)"),
            PolicyKind.QUALIFIED_SIGNATURE,
        ),
        KnownPolicy(
            "0.4.0.194112.1.1", N_("ETSI QCP-l (certificat qualifié, personne morale)"), PolicyKind.QUALIFIED_SEAL
        ),
        KnownPolicy(
            "0.4.0.194112.1.2",
            N_("ETSI QCP-n-qscd (certificat qualifié sur dispositif qualifié, personne physique)"),
            PolicyKind.QUALIFIED_SIGNATURE,
            qscd=True,
        ),
        KnownPolicy(
            "0.4.0.194112.1.3",
            N_("ETSI QCP-l-qscd (certificat qualifié sur dispositif qualifié, personne morale)"),
            PolicyKind.QUALIFIED_SEAL,
            qscd=True,
        ),
        KnownPolicy("0.4.0.194112.1.4", N_("ETSI QCP-w (authentification de site web)"), PolicyKind.QUALIFIED_WEB),
        # ETSI TS 101 456 (directive 1999/93/CE, before eIDAS)
        KnownPolicy("0.4.0.1456.1.1", "ETSI QCP public + SSCD", PolicyKind.QUALIFIED_SIGNATURE, qscd=True),
        KnownPolicy("0.4.0.1456.1.2", "ETSI QCP public", PolicyKind.QUALIFIED_SIGNATURE),
        # ETSI EN 319 411-1 (not qualified)
        KnownPolicy("0.4.0.2042.1.1", N_("ETSI NCP (certificat normalisé)"), PolicyKind.NORMALIZED),
        KnownPolicy(
            "0.4.0.2042.1.2", N_("ETSI NCP+ (certificat normalisé sur dispositif sécurisé)"), PolicyKind.NORMALIZED
        ),
        KnownPolicy("0.4.0.2042.1.3", N_("ETSI LCP (certificat allégé)"), PolicyKind.NORMALIZED),
    )
}

#: OID arcs of French certification authorities (under the AFNOR arc 1.2.250.1 or their own
#: enterprise number), to name the provider in the verdict. An arc names *who* issued the
#: certificate, not *which level*: the same provider issues RGS* authentication and eIDAS qualified
#: signature certificates under it, so an arc alone never makes a certificate qualified.
#: Sources: Certigna's CP/CPS (1.2.250.1.177.x), CertEurope eID Root CP (1.2.250.1.105.22.1.0),
#: Universign's timestamping policy (1.3.6.1.4.1.15819.5.x); Certinomis and ChamberSign from their
#: published policies' OIDs. Extend this table rather than guessing from a certificate's subject.
FRENCH_PROVIDER_ARCS: dict[str, str] = {
    "1.2.250.1.177": "Certigna (Dhimyotis)",
    "1.2.250.1.105": "CertEurope",
    "1.2.250.1.86": "Certinomis (Docaposte)",
    "1.2.250.1.96": "ChamberSign France",
    "1.3.6.1.4.1.15819": "Universign",
}

#: Extended key usages compatible with signing documents. A certificate without the EKU
#: extension is unrestricted (RFC 5280 §4.2.1.12).
DOCUMENT_SIGNING_EKUS: dict[str, str] = {
    "2.5.29.37.0": N_("tout usage"),
    ExtendedKeyUsageOID.EMAIL_PROTECTION.dotted_string: N_("protection du courrier électronique"),
    "1.3.6.1.5.5.7.3.36": N_("signature de documents"),
    "1.3.6.1.4.1.311.10.3.12": N_("signature de documents (Microsoft)"),
    "1.2.840.113583.1.1.5": N_("documents authentiques (Adobe)"),
    ExtendedKeyUsageOID.CODE_SIGNING.dotted_string: N_("signature de code"),
}

EKU_NAMES: dict[str, str] = {
    ExtendedKeyUsageOID.CLIENT_AUTH.dotted_string: N_("authentification client"),
    ExtendedKeyUsageOID.SERVER_AUTH.dotted_string: N_("authentification de serveur TLS"),
    ExtendedKeyUsageOID.TIME_STAMPING.dotted_string: N_("horodatage"),
    ExtendedKeyUsageOID.OCSP_SIGNING.dotted_string: N_("réponses OCSP"),
    ExtendedKeyUsageOID.SMARTCARD_LOGON.dotted_string: N_("ouverture de session par carte à puce"),
    ExtendedKeyUsageOID.IPSEC_IKE.dotted_string: "IPsec",
    "1.3.6.1.4.1.311.10.3.4": N_("chiffrement de fichiers (EFS)"),
    **DOCUMENT_SIGNING_EKUS,
}

MIN_RSA_BITS = 2048
MIN_EC_BITS = 256

LABEL_SUITABLE = N_("adapté pour les marchés publics")


class Category(enum.StrEnum):
    """One word for what the certificate is good for, in the order the UI sorts them."""

    QUALIFIED_SIGNATURE = "qualified_signature"  # adapté pour les marchés publics
    SIGNATURE = "signature"  # can sign, not qualified
    SEAL = "seal"  # qualified seal of a legal person
    ENCRYPTION = "encryption"  # bi-clé: decrypts plis, does not sign
    AUTHENTICATION = "authentication"  # login only
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    UNSUITABLE = "unsuitable"  # CA certificate, weak key, no usable key usage...


#: Each category's words (French source; `Verdict.label_en` reads the English from the catalogue).
LABELS: dict[Category, str] = {
    Category.QUALIFIED_SIGNATURE: LABEL_SUITABLE,
    Category.SIGNATURE: N_("signature possible, certificat non qualifié"),
    Category.SEAL: N_("cachet d'entreprise, pas une signature personnelle"),
    Category.ENCRYPTION: N_("chiffrement (bi-clé) : déchiffre les plis, ne signe pas"),
    Category.AUTHENTICATION: N_("authentification uniquement, ne signe pas"),
    Category.EXPIRED: N_("expiré, ne peut plus signer"),
    Category.NOT_YET_VALID: N_("pas encore valide"),
    Category.UNSUITABLE: N_("ne convient pas à la signature"),
}


@dataclass(frozen=True)
class Reason:
    """One line of explanation. `ok` marks what is in order (shown ✔), the others block or warn."""

    fr: str
    en: str
    ok: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"message": self.fr, "message_en": self.en, "ok": self.ok}


@dataclass(frozen=True)
class QcInfo:
    """What the qcStatements extension declares."""

    present: bool = False
    compliance: bool = False
    sscd: bool = False
    types: frozenset[str] = frozenset()
    semantics: frozenset[str] = frozenset()

    @property
    def esign(self) -> bool:
        # EN 319 412-5 §4.2.3: a qualified certificate without QcType is for electronic signatures.
        return QC_TYPE_ESIGN in self.types or (self.compliance and not self.types)

    @property
    def eseal(self) -> bool:
        return QC_TYPE_ESEAL in self.types

    def names(self) -> list[str]:
        out: list[str] = []
        if self.compliance:
            out.append("QcCompliance")
        if self.sscd:
            out.append("QcSSCD")
        for t, name in ((QC_TYPE_ESIGN, "QcType esign"), (QC_TYPE_ESEAL, "QcType eseal"), (QC_TYPE_WEB, "QcType web")):
            if t in self.types:
                out.append(name)
        return out


@dataclass(frozen=True)
class Verdict:
    category: Category
    usable_for_signature: bool  # the key may sign documents today (whatever the qualification)
    qualified: bool  # the certificate declares itself qualified for electronic signatures
    usable_for_decryption: bool  # an RSA key-transport key: opens plis, even after expiry
    reasons: tuple[Reason, ...]
    provider: str | None = None
    qc: QcInfo = field(default_factory=QcInfo)
    policies: tuple[str, ...] = ()

    @property
    def suitable_for_procurement(self) -> bool:
        return self.category is Category.QUALIFIED_SIGNATURE

    @property
    def label(self) -> str:
        return LABELS[self.category]

    @property
    def label_en(self) -> str:
        return translate(LABELS[self.category], "en")

    def to_dict(self) -> dict[str, Any]:
        return {
            "category": self.category.value,
            "label": self.label,
            "label_en": self.label_en,
            "suitable_for_procurement": self.suitable_for_procurement,
            "usable_for_signature": self.usable_for_signature,
            "qualified": self.qualified,
            "usable_for_decryption": self.usable_for_decryption,
            "reasons": [r.fr for r in self.reasons],
            "problems": [r.fr for r in self.reasons if not r.ok],
            "details": [r.to_dict() for r in self.reasons],
            "provider": self.provider,
            "qc_statements": self.qc.names(),
            "policies": list(self.policies),
        }


# qcStatements (RFC 3739, ETSI EN 319 412-5): `cryptography` does not parse it, asn1crypto does
# with these few structures (imported on first use: most certificates carry no such extension).


class DerError(ValueError):
    """The qcStatements extension cannot be read (the verdict says "illisible")."""


def _qc_structures() -> Any:
    from asn1crypto import core

    class QcStatement(core.Sequence):  # type: ignore[misc]  # asn1crypto is untyped
        _fields = [("statement_id", core.ObjectIdentifier), ("statement_info", core.Any, {"optional": True})]

    class QcStatements(core.SequenceOf):  # type: ignore[misc]  # asn1crypto is untyped
        _child_spec = QcStatement

    class ObjectIdentifiers(core.SequenceOf):  # type: ignore[misc]  # QcType: SEQUENCE OF OBJECT IDENTIFIER
        _child_spec = core.ObjectIdentifier

    class SemanticsInformation(core.Sequence):  # type: ignore[misc]  # asn1crypto is untyped
        _fields = [
            ("semantics_identifier", core.ObjectIdentifier, {"optional": True}),
            ("name_registration_authorities", core.Any, {"optional": True}),
        ]

    return QcStatements, ObjectIdentifiers, SemanticsInformation


def parse_qc_statements(der: bytes) -> QcInfo:
    """Read the ETSI/RFC 3739 statements we need; unknown statements are ignored, bad DER raises DerError."""
    qc_statements, object_identifiers, semantics_information = _qc_structures()
    compliance = sscd = False
    types: set[str] = set()
    semantics: set[str] = set()
    try:
        for statement in qc_statements.load(der, strict=True):
            sid = statement["statement_id"].dotted
            info = statement["statement_info"]
            if sid == QC_COMPLIANCE:
                compliance = True
            elif sid == QC_SSCD:
                sscd = True
            elif sid == QC_TYPE and info.contents is not None:
                types.update(oid.dotted for oid in object_identifiers.load(info.dump(), strict=True))
            elif sid == QCS_PKIX_SYNTAX_V2 and info.contents is not None:
                identifier = semantics_information.load(info.dump(), strict=True)["semantics_identifier"]
                if identifier.native is not None:
                    semantics.add(identifier.dotted)
    except (ValueError, TypeError, KeyError, OverflowError) as exc:  # asn1crypto's ways of saying "bad DER"
        raise DerError(f"unreadable qcStatements: {exc}") from None
    return QcInfo(True, compliance, sscd, frozenset(types), frozenset(semantics))


# --------------------------------------------------------------------------------------------
# Reading the certificate


def _extension(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> x509.ExtensionType | None:
    try:
        return cert.extensions.get_extension_for_oid(oid).value
    except x509.ExtensionNotFound:
        return None


@functools.lru_cache(maxsize=256)
def qc_info(cert: x509.Certificate) -> tuple[QcInfo, bool]:
    """(statements, malformed): a malformed extension is reported, not fatal.

    Remembered per certificate (immutable, hashed by its DER): a bid's signatures share a signer.
    """
    ext = _extension(cert, x509.ObjectIdentifier(OID_QC_STATEMENTS))
    if ext is None:
        return QcInfo(), False
    raw = ext.value if isinstance(ext, x509.UnrecognizedExtension) else ext.public_bytes()
    try:
        return parse_qc_statements(raw), False
    except (DerError, ValueError):
        return QcInfo(present=True), True


def policy_oids(cert: x509.Certificate) -> list[str]:
    ext = _extension(cert, ExtensionOID.CERTIFICATE_POLICIES)
    if not isinstance(ext, x509.CertificatePolicies):
        return []
    return [p.policy_identifier.dotted_string for p in ext]


def provider_for(policies: Iterable[str]) -> str | None:
    for oid in policies:
        for arc, name in FRENCH_PROVIDER_ARCS.items():
            if oid == arc or oid.startswith(arc + "."):
                return name
    return None


def key_description(cert: x509.Certificate) -> tuple[str, int]:
    """("RSA" | "EC" | ..., size in bits) for display."""
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.curve.key_size
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 448
    return "inconnu", 0


def format_date(when: dt.datetime) -> str:
    return when.strftime("%d/%m/%Y")


@dataclass(frozen=True)
class _Usage:
    sign: bool
    non_repudiation: bool
    encipher: bool
    ca: bool
    eku: tuple[str, ...] | None  # None: no EKU extension (unrestricted)


def _usage(cert: x509.Certificate) -> _Usage:
    ku = _extension(cert, ExtensionOID.KEY_USAGE)
    bc = _extension(cert, ExtensionOID.BASIC_CONSTRAINTS)
    eku_ext = _extension(cert, ExtensionOID.EXTENDED_KEY_USAGE)
    eku = tuple(o.dotted_string for o in eku_ext) if isinstance(eku_ext, x509.ExtendedKeyUsage) else None
    ca = isinstance(bc, x509.BasicConstraints) and bc.ca
    if isinstance(ku, x509.KeyUsage):
        encipher = ku.key_encipherment or ku.data_encipherment or ku.key_agreement
        return _Usage(ku.digital_signature, ku.content_commitment, encipher, ca, eku)
    # No KeyUsage extension: RFC 5280 leaves the key unrestricted.
    return _Usage(True, False, True, ca, eku)


def assess(cert: x509.Certificate, now: dt.datetime | None = None) -> Verdict:
    """The verdict for public procurement, with its reasons in French (and English)."""
    now = now or dt.datetime.now(dt.UTC)
    reasons: list[Reason] = []
    usage = _usage(cert)
    qc, qc_malformed = qc_info(cert)
    policies = policy_oids(cert)
    known = [KNOWN_POLICIES[p] for p in policies if p in KNOWN_POLICIES]
    provider = provider_for(policies)
    key_type, key_bits = key_description(cert)
    not_before, not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
    expired, early = now > not_after, now < not_before

    # -- what the key may do -------------------------------------------------------------
    eku_blocks = usage.eku is not None and not any(o in DOCUMENT_SIGNING_EKUS for o in usage.eku)
    can_sign_ku = usage.non_repudiation or usage.sign
    signing_key = can_sign_ku and not eku_blocks and not usage.ca
    is_rsa = key_type == "RSA"
    decrypts = usage.encipher and is_rsa and not usage.ca
    weak = (
        (key_type == "RSA" and key_bits < MIN_RSA_BITS)
        or (key_type == "EC" and key_bits < MIN_EC_BITS)
        or (key_type in ("DSA", "inconnu"))
    )

    if usage.ca:
        reasons.append(
            Reason(
                *fr_en(
                    M_(
                        "Certificat d'autorité de certification : il certifie d'autres certificats, il ne signe pas de documents."
                    )
                ),
            )
        )
    elif usage.non_repudiation:
        reasons.append(
            Reason(
                *fr_en(M_("Usage de la clé : non-répudiation (signature de documents).")),
                ok=True,
            )
        )
    elif usage.sign and not eku_blocks:
        reasons.append(
            Reason(
                *fr_en(M_("Usage de la clé : signature numérique (sans non-répudiation).")),
                ok=True,
            )
        )
    if eku_blocks and not usage.ca:
        eku = usage.eku or ()
        names = Bilingual(
            ", ".join(translate(EKU_NAMES.get(o, o), "fr") for o in eku),
            ", ".join(translate(EKU_NAMES.get(o, o), "en") for o in eku),
        )
        if can_sign_ku:
            reasons.append(
                Reason(
                    *fr_en(
                        M_(
                            "Usage étendu limité à : {names}. Ce certificat sert à s'authentifier, pas à signer des documents.",
                            names=names,
                        )
                    ),
                )
            )
    if not can_sign_ku and not usage.ca:
        if decrypts:
            reasons.append(
                Reason(
                    *fr_en(M_("Clé de chiffrement (keyEncipherment) : elle sert à déchiffrer les plis, pas à signer.")),
                    ok=True,
                )
            )
        else:
            reasons.append(
                Reason(
                    *fr_en(M_("L'usage de la clé ne comprend ni la non-répudiation ni la signature numérique.")),
                )
            )
    elif decrypts and signing_key:
        reasons.append(
            Reason(
                *fr_en(M_("La clé peut aussi déchiffrer (keyEncipherment).")),
                ok=True,
            )
        )

    # -- validity ------------------------------------------------------------------------
    if expired:
        reasons.append(
            Reason(
                *fr_en(
                    M_(
                        "Certificat expiré le {format_date} : il ne peut plus signer. Demandez son renouvellement à votre autorité de certification.",
                        format_date=format_date(not_after),
                    )
                ),
            )
        )
    elif early:
        reasons.append(
            Reason(
                *fr_en(
                    M_(
                        "Certificat pas encore valide : il le sera à partir du {format_date}.",
                        format_date=format_date(not_before),
                    )
                ),
            )
        )
    else:
        reasons.append(
            Reason(*fr_en(M_("Valide jusqu'au {format_date}.", format_date=format_date(not_after))), ok=True)
        )

    # -- key strength --------------------------------------------------------------------
    if weak:
        reasons.append(
            Reason(
                *fr_en(
                    M_(
                        "Clé {key_type} de {key_bits} bits : trop faible (RSA 2048 bits ou courbe elliptique 256 bits minimum).",
                        key_type=key_type,
                        key_bits=key_bits,
                    )
                ),
            )
        )

    # -- qualification -------------------------------------------------------------------
    qualified_policy = [p for p in known if p.kind is PolicyKind.QUALIFIED_SIGNATURE]
    seal_policy = [p for p in known if p.kind is PolicyKind.QUALIFIED_SEAL]
    qc_esign = qc.compliance and qc.esign and not qc.eseal
    qc_seal = qc.compliance and qc.eseal
    qualified = qc_esign or bool(qualified_policy)
    seal = (qc_seal or bool(seal_policy)) and not qualified
    if qc.compliance:
        kinds = ", ".join(n for n in qc.names() if n != "QcCompliance")
        statements = "QcCompliance" + (f", {kinds}" if kinds else "")
        if qc_esign:
            qualified_as = M_(
                "Certificat qualifié de signature électronique au sens du règlement eIDAS ({statements}).",
                statements=statements,
            )
        elif qc_seal:
            qualified_as = M_(
                "Certificat qualifié de cachet électronique au sens du règlement eIDAS ({statements}).",
                statements=statements,
            )
        elif QC_TYPE_WEB in qc.types:
            qualified_as = M_(
                "Certificat qualifié d'authentification de site web au sens du règlement eIDAS ({statements}).",
                statements=statements,
            )
        else:
            qualified_as = M_("Certificat qualifié au sens du règlement eIDAS ({statements}).", statements=statements)
        reasons.append(Reason(*fr_en(qualified_as), ok=qc_esign or qc_seal))
        if qc.sscd:
            reasons.append(
                Reason(
                    *fr_en(M_("Clé privée sur un dispositif qualifié de création de signature (QSCD).")),
                    ok=True,
                )
            )
    if qc_malformed:
        reasons.append(
            Reason(
                *fr_en(M_("L'extension QCStatements est illisible : la qualification n'a pas pu être lue.")),
            )
        )
    for p in known:
        if p.kind in (PolicyKind.QUALIFIED_SIGNATURE, PolicyKind.QUALIFIED_SEAL):
            reasons.append(
                Reason(
                    *fr_en(M_("Politique de certification qualifiée : {name} ({oid}).", name=M_(p.name), oid=p.oid)),
                    ok=True,
                )
            )
    if provider:
        reasons.append(
            Reason(
                *fr_en(M_("Autorité de certification reconnue : {provider}.", provider=provider)),
                ok=True,
            )
        )
    if seal:
        reasons.append(
            Reason(
                *fr_en(
                    M_(
                        "Certificat de cachet (personne morale) : une offre ou un marché se signe avec le certificat d'une personne physique habilitée à engager l'entreprise."
                    )
                ),
            )
        )
    elif signing_key and not qualified and qc.compliance:
        reasons.append(
            Reason(
                *fr_en(
                    M_(
                        "Ce certificat qualifié n'est pas un certificat de signature électronique : les marchés publics exigent un certificat qualifié de signature."
                    )
                ),
            )
        )
    elif signing_key and not qualified:
        normalized = [p for p in known if p.kind is PolicyKind.NORMALIZED]
        detail = M_(" (politique {name})", name=M_(normalized[0].name)) if normalized else ""
        reasons.append(
            Reason(
                *fr_en(
                    M_(
                        "Certificat non qualifié{detail} : il ne déclare ni QcCompliance ni politique de certification qualifiée. Les marchés publics exigent un certificat qualifié (règlement eIDAS, arrêté du 22 mars 2019).",
                        detail=detail,
                    )
                ),
            )
        )

    # -- the category --------------------------------------------------------------------
    if usage.ca:
        category = Category.UNSUITABLE
    elif not can_sign_ku:
        category = Category.ENCRYPTION if decrypts else Category.UNSUITABLE
    elif eku_blocks:
        category = Category.AUTHENTICATION
    elif expired:
        category = Category.EXPIRED
    elif early:
        category = Category.NOT_YET_VALID
    elif weak:
        category = Category.UNSUITABLE
    elif seal:
        category = Category.SEAL
    elif qualified:
        category = Category.QUALIFIED_SIGNATURE
    else:
        category = Category.SIGNATURE
    usable = signing_key and not expired and not early and not weak
    if decrypts and (expired or early) and category is Category.ENCRYPTION:
        reasons.append(
            Reason(
                *fr_en(
                    M_("Une clé de chiffrement expirée reste utile pour ouvrir les plis chiffrés pendant sa validité.")
                ),
                ok=True,
            )
        )
    return Verdict(
        category=category,
        usable_for_signature=usable,
        qualified=qualified,
        usable_for_decryption=decrypts,
        reasons=tuple(reasons),
        provider=provider,
        qc=qc,
        policies=tuple(policies),
    )
