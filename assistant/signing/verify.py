"""Signature verification report: what a buyer needs to accept or reject a signed bid.

For each signature: who signed (certificate subject and issuer), the certificate's category
(qualified or not, as its QCStatements and policies declare, judged at signing time), the format
and level, whether the document is intact, whether the certificate chains to a trusted authority,
whether it was within its validity at signing time (the timestamp's time when there is one, the
signer's claimed time otherwise), and the revocation status as far as it could be known.

PDF and CMS signatures are checked by pyHanko's validator (every signature of a PDF, every
SignerInfo of a CMS, detached or attached); XML signatures by libxmlsec1 (`verify_xml.py`), then
their certificate goes through pyhanko-certvalidator like the others. The format and level are
read from the content as ETSI defines them (EN 319 122 CAdES, 319 132 XAdES, 319 142 PAdES): a
signature without the baseline elements is named "CMS / PKCS#7, pas AdES" or "XMLDSig, pas
XAdES" with the missing element. Verification writes nothing (saving an attached content is a
separate, explicit call) and never resolves a reference outside the signature's folder.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import functools
import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from asn1crypto import cms, core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from assistant.errors import Code, InputFileError
from assistant.i18n import M_, Message, _, localized
from assistant.keystores.names import common_name
from assistant.signing.errors import SigningCode
from assistant.signing.findings import Coverage, Finding, NotAdes, Remark, Verdict
from assistant.signing.formats import SignFormat

_log = logging.getLogger(__name__)
#: The trusted lists of the verification under way (a context variable: verify_file may run in
#: several job threads at once, each with its own lists).
_context_lists: contextvars.ContextVar[Any] = contextvars.ContextVar("trusted_lists", default=None)

MAX_SIGNATURE_FILE = 64 << 20  # a detached .p7s / .xml is a few KB; refuse absurd sizes
MAX_ATTACHED_CMS = 1 << 30  # an attached (enveloping) CMS holds the document itself


@dataclass
class SignatureReport:
    format: SignFormat
    level: str = "B-B"
    signer: str = ""
    signer_subject: str = ""
    issuer: str = ""
    serial: str = ""
    fingerprint_sha256: str = ""
    category: str = ""  # conformity category of the certificate at signing time
    category_label: str = ""
    qualified: bool = False  # confirmed by the EU trusted lists at signing time (not merely declared)
    declares_qualified: bool = False  # the certificate's own QCStatements/policies say so
    trusted_list: Any = None  # trustlists.QualifiedStatus when lists were consulted
    claimed_signing_time: dt.datetime | None = None
    timestamp_time: dt.datetime | None = None
    timestamp_valid: bool | None = None
    intact: bool = False  # the signed document is unchanged
    signature_valid: bool = False  # the signature value checks with the certificate's key
    trusted: bool = False  # the certificate chains to a trust anchor
    valid_at_signing_time: bool = False
    revocation: str = "unknown"  # "good" | "revoked" | "unknown"
    covers_whole_document: bool | None = None  # PAdES only
    problems: list[Finding] = field(default_factory=list)  # remarks (Remark codes), worded when read
    ades: bool = True  # the baseline elements of the AdES format are there
    not_ades: Finding | None = None  # the missing element when not AdES (a NotAdes code)
    packaging: str = ""  # "détachée" | "attachée" | "enveloppée" | "enveloppante" | "" (PDF): a stable code
    sub_filter: str = ""  # PDF: /SubFilter of the signature dictionary
    coverage_code: Coverage | None = None  # PDF: what the signature covers
    changes_permitted: bool | None = None  # PDF: False when later revisions change what it forbids
    field_name: str = ""  # PDF: the signature field
    #: verify_archive.ArchiveTimestampReport of each archive timestamp (CAdES/XAdES B-LTA)
    archive_timestamps: list[Any] = field(default_factory=list)

    @property
    def not_ades_reason(self) -> str:
        """The missing baseline element in words (the user's language), '' when AdES."""
        return self.not_ades.text if self.not_ades is not None else ""

    @property
    def coverage(self) -> str:
        """PDF: what the signature covers, in words (the user's language)."""
        return Finding(self.coverage_code).text if self.coverage_code is not None else ""

    @property
    def format_label(self) -> str:
        """Format and level as ETSI names them, or what the signature is when it is not AdES."""
        if self.ades:
            return f"{self.format.etsi_name} {self.level}".strip()
        family = {
            SignFormat.XADES: _("XMLDSig, pas XAdES"),
            SignFormat.CADES: _("CMS / PKCS#7, pas AdES"),
            SignFormat.PADES: _("PDF (PKCS#7), pas PAdES"),
        }[self.format]
        return f"{family} ({self.not_ades_reason})" if self.not_ades is not None else family

    @property
    def qualified_label(self) -> str:
        """The qualified status in words, naming the list that confirms it (or saying it does not)."""
        tl = self.trusted_list
        if self.qualified and tl is not None:
            extra = f" ; {', '.join(tl.qualifiers)}" if tl.qualifiers else ""
            return _(
                "qualifié selon la liste de confiance {territory} (n° {sequence}) : "
                "« {service} », statut {status} à la date de signature{qualifiers}"
            ).format(
                territory=tl.territory,
                sequence=tl.sequence_number,
                service=tl.service,
                status=tl.status,
                qualifiers=extra,
            )
        if self.declares_qualified:
            if tl is not None and tl.reason is not None:
                return _("se déclare qualifié ; non confirmé par la liste de confiance ({reason})").format(
                    reason=tl.reason.text
                )
            return _("se déclare qualifié ; non confirmé par la liste de confiance")
        return _("non qualifié")

    @property
    def standard(self) -> str:
        if not self.ades:
            return ""
        return {
            SignFormat.CADES: "ETSI EN 319 122",
            SignFormat.XADES: "ETSI EN 319 132",
            SignFormat.PADES: "ETSI EN 319 142",
        }[self.format]

    @property
    def ok(self) -> bool:
        return (
            self.intact
            and self.signature_valid
            and self.trusted
            and self.valid_at_signing_time
            and self.revocation != "revoked"
            and self.timestamp_valid is not False
            and self.changes_permitted is not False
            and all(stamp.valid for stamp in self.archive_timestamps)
        )

    @property
    def verdict_code(self) -> Verdict:
        if not (self.intact and self.signature_valid):
            return Verdict.ALTERED
        if self.changes_permitted is False:
            return Verdict.FORBIDDEN_CHANGES
        if self.revocation == "revoked":
            return Verdict.REVOKED
        if not self.ok and self.trusted and self.valid_at_signing_time and self.revocation != "unknown":
            return Verdict.TIMESTAMP_NOT_VALIDATED
        if not self.ok:
            return Verdict.NOT_VALIDATED
        return Verdict.VALID

    @property
    def verdict(self) -> str:
        """The verdict in the user's language."""
        return Finding(self.verdict_code).text

    @property
    def verdict_fr(self) -> str:
        """The verdict in French, whatever the user's language."""
        return Finding(self.verdict_code).french

    def remark(self, code: Remark, **params: Any) -> None:
        """Add a remark (worded in the user's language when the report is read)."""
        self.problems.append(Finding.of(code, **params))

    def to_dict(self) -> dict[str, Any]:
        def iso(value: dt.datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "format": self.format.label,
            "level": self.level if self.ades else None,
            "ades": self.ades,
            "format_label": self.format_label,
            "standard": self.standard or None,
            "not_ades_reason": self.not_ades_reason or None,
            "not_ades_code": self.not_ades.code.value if self.not_ades is not None else None,
            "packaging": self.packaging or None,
            "signer": self.signer,
            "signer_subject": self.signer_subject,
            "issuer": self.issuer,
            "serial": self.serial,
            "fingerprint_sha256": self.fingerprint_sha256,
            "certificate_category": self.category,
            "certificate_label": self.category_label,
            "qualified": self.qualified,
            "declares_qualified": self.declares_qualified,
            "qualified_label": self.qualified_label,
            "trusted_list": self.trusted_list.to_dict() if self.trusted_list is not None else None,
            "claimed_signing_time": iso(self.claimed_signing_time),
            "timestamp_time": iso(self.timestamp_time),
            "timestamp_valid": self.timestamp_valid,
            "archive_timestamps": [stamp.to_dict() for stamp in self.archive_timestamps],
            "intact": self.intact,
            "signature_valid": self.signature_valid,
            "trusted": self.trusted,
            "valid_at_signing_time": self.valid_at_signing_time,
            "revocation": self.revocation,
            "covers_whole_document": self.covers_whole_document,
            "coverage": self.coverage or None,
            "coverage_code": self.coverage_code.value if self.coverage_code is not None else None,
            "changes_permitted": self.changes_permitted,
            "sub_filter": self.sub_filter or None,
            "field_name": self.field_name or None,
            "ok": self.ok,
            "verdict": self.verdict,
            "verdict_code": self.verdict_code.value,
            "problems": [p.to_dict() for p in self.problems],
        }


@dataclass
class VerificationReport:
    path: Path
    format: SignFormat
    signed_file: Path | None = None
    signatures: list[SignatureReport] = field(default_factory=list)
    attached_content: bytes | None = field(default=None, repr=False)  # CMS with the document inside
    verified_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def ok(self) -> bool:
        return bool(self.signatures) and all(s.ok for s in self.signatures)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": str(self.path),
            "signed_file": str(self.signed_file) if self.signed_file else None,
            "format": self.format.label,
            "attached_content": _content_kind(self.attached_content) if self.attached_content is not None else None,
            "attached_content_size": len(self.attached_content) if self.attached_content is not None else None,
            "verified_at": self.verified_at.isoformat(),
            "ok": self.ok,
            "signatures": [s.to_dict() for s in self.signatures],
        }

    def save_attached_content(self, folder: Path | None = None) -> Path:
        """Write the document an attached CMS holds next to the signature (never over a file)."""
        from assistant.signing.output import write_new_file

        if self.attached_content is None:
            raise InputFileError(
                M_("{name} ne contient pas le document signé (signature détachée).", name=self.path.name),
                code=SigningCode.NO_ATTACHED_CONTENT,
            )
        content = self.attached_content
        name = self.path.name
        for suffix in (".p7m", ".p7s", ".p7b", ".pkcs7", ".cms"):
            if name.lower().endswith(suffix):
                name = name[: -len(suffix)]
                break
        if not Path(name).suffix:
            name += {"PDF": ".pdf", "ZIP": ".zip", "XML": ".xml"}.get(_content_kind(content), ".bin")
        return write_new_file((folder or self.path.parent) / name, lambda fh: _write_all(fh, content))


def _write_all(handle: BinaryIO, content: bytes) -> None:
    handle.write(content)


def _content_kind(content: bytes) -> str:
    if content.startswith(b"%PDF-"):
        return "PDF"
    if content.startswith(b"PK\x03\x04"):
        return "ZIP"
    if content.lstrip().startswith(b"<"):
        return "XML"
    return "binaire"


# --------------------------------------------------------------------------------------------
# Entry point


def verify_file(
    path: Path,
    *,
    detached_of: Path | None = None,
    trust_roots: list[x509.Certificate] | None = None,
    allow_fetching: bool = False,
    trusted_lists: Any = None,
    extra_trust_roots: list[x509.Certificate] | None = None,
) -> VerificationReport:
    """Verify a signed PDF, or a detached .p7s / .xml signature of `detached_of`.

    Without `detached_of`, a detached signature named by the convention
    ("X - 20201102144025 - Signature 1.p7s") is matched with "X" in the same folder.
    `trust_roots` are the anchors (the system's are used when None); `extra_trust_roots` are
    trusted besides them (the user's own anchors, a private CA); `allow_fetching` lets the
    validator fetch missing intermediates and revocation data over the network. `trusted_lists`
    (a trustlists.TrustedListCache) decides the qualified status; by default the local cache that
    `assistant trusted-lists update` fills, when there is one.
    """
    with Verifier(
        trust_roots=trust_roots,
        allow_fetching=allow_fetching,
        trusted_lists=trusted_lists,
        extra_trust_roots=extra_trust_roots,
    ) as verifier:
        return verifier.verify(path, detached_of=detached_of)


class Verifier:
    """Verifies many files with what they share loaded once: a bid's signatures, in one run.

    The trust anchors, their index and the trusted lists are read once; each file still gets its
    own validation (nothing one signature carries can change another's verdict), so verifying
    files one by one with `verify_file` or together with one Verifier gives the same reports.
    One Verifier serves one thread at a time (a job makes its own); close it (or use it as a
    context manager) to release its event loop.
    """

    def __init__(
        self,
        *,
        trust_roots: list[x509.Certificate] | None = None,
        allow_fetching: bool = False,
        trusted_lists: Any = None,
        extra_trust_roots: list[x509.Certificate] | None = None,
    ) -> None:
        if trusted_lists is None:
            from assistant.signing.trustlists import TrustedListCache

            trusted_lists = TrustedListCache.default()
        self.trusted_lists = trusted_lists
        self._context = _Context(trust_roots, allow_fetching, extra_trust_roots)

    def verify(self, path: Path, *, detached_of: Path | None = None) -> VerificationReport:
        """The report of one signed PDF or signature file (see `verify_file`)."""
        token = _context_lists.set(self.trusted_lists)
        try:
            report = _verify_file(path, detached_of, self._context)
        finally:
            _context_lists.reset(token)
        _explain_partial_anchors(report, self._context)
        return report

    def close(self) -> None:
        self._context.close()

    def __enter__(self) -> Verifier:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _explain_partial_anchors(report: VerificationReport, context: _Context) -> None:
    """An untrusted certificate whose issuer the user named as an anchor without its root: say
    so, and what to add (anchors.py: only self-signed anchors are roots, as for openssl)."""
    if not context.anchor_intermediates:
        return
    for sig in report.signatures:
        if sig.trusted or not sig.issuer or Remark.UNTRUSTED not in [p.code for p in sig.problems]:
            continue
        for cert in context.anchor_intermediates:
            if _crypto(cert).subject.rfc4514_string() == sig.issuer:
                sig.remark(Remark.ANCHOR_NOT_ROOT, name=common_name(_crypto(cert).subject))
                break


def _verify_file(path: Path, detached_of: Path | None, context: _Context) -> VerificationReport:
    path = Path(path)
    head = _read_head(path)
    # A DER CMS starts with a SEQUENCE tag; checked first, because an attached CMS holding a PDF
    # has "%PDF-" within its first bytes too.
    if head[:1] != b"\x30" and b"%PDF-" in head[:1024]:
        if detached_of is not None:
            raise _not_detached(path, M_("un PDF signé contient lui-même le document"))
        return _verify_pdf(path, context)
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"<"):
        return _verify_xml(path, detached_of, context)
    return _verify_cms(path, detached_of, context)


def _not_detached(path: Path, why: Message) -> InputFileError:
    return InputFileError(
        M_(
            "{name} n'est pas une signature détachée ({why}) : ne donnez pas de document signé (--detached-of).",
            name=path.name,
            why=why,
        ),
        code=SigningCode.NOT_DETACHED,
    )


def _read_head(path: Path) -> bytes:
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except FileNotFoundError as exc:
        raise InputFileError(M_("Fichier introuvable : {path}", path=path), code=Code.FILE_NOT_FOUND) from exc
    except OSError as exc:
        raise InputFileError(M_("Lecture impossible : {path}", path=path), code=SigningCode.FILE_UNREADABLE) from exc
    if not head:
        raise InputFileError(M_("Le fichier {name} est vide.", name=path.name), code=SigningCode.EMPTY_FILE)
    return head


def _not_a_signature(path: Path) -> InputFileError:
    return InputFileError(
        M_(
            "{name} n'est ni un PDF signé, ni une signature CAdES (.p7s), ni une signature XAdES (.xml).",
            name=path.name,
        ),
        code=SigningCode.NOT_A_SIGNATURE,
    )


def signed_file_for(signature: Path) -> Path | None:
    """The document a detached signature named by the convention belongs to."""
    from assistant.signing.naming import _SIGNED_NAME

    match = _SIGNED_NAME.match(signature.name)
    if not match:
        return None
    candidate = signature.with_name(match.group("base"))
    return candidate if candidate.is_file() else None


def _detached_target(path: Path, detached_of: Path | None) -> Path:
    target = detached_of or signed_file_for(path)
    if target is None or not target.is_file():
        raise InputFileError(
            M_("Document signé introuvable pour {name} : indiquez-le (--detached-of).", name=path.name),
            code=SigningCode.SIGNED_FILE_MISSING,
        )
    return target


# --------------------------------------------------------------------------------------------
# Trust and certificate facts


class _Context:
    """What every signature of a run shares: the anchors (as one trust manager) and the fetch rule.

    The trust manager indexes the anchors by name once (the system's are about 150) instead of
    once per signature; it is read-only once built. A certificate met again (the same DER) is the
    same parsed object, whose names and extensions asn1crypto has already decoded. pyHanko's
    coroutines run on one event loop. Each signature still gets its own ValidationContext
    (`validation_context`), so nothing one signature carries (its certificates, its CRLs, what a
    validator fetched for it) can help or hurt another's verdict.
    """

    MAX_SHARED_CERTIFICATES = 1024

    def __init__(
        self,
        trust_roots: list[x509.Certificate] | None,
        allow_fetching: bool,
        extra_roots: list[x509.Certificate] | None = None,
    ) -> None:
        from assistant.signing import asn1_names, pyhanko_import

        asn1_names.install()
        pyhanko_import.defer_packages()  # before anything (a timestamp reader) imports pyhanko.sign
        from assistant.signing.anchors import split_anchors

        # Only self-signed anchors are roots; a CA the user names beside (or without) its root is
        # an intermediate of every path (see anchors.py: a non-root anchor breaks CRL checks).
        roots, intermediates = split_anchors(trust_roots or [])
        extra, extra_intermediates = split_anchors(extra_roots or [])
        self.roots = [_asn1(c) for c in roots] if trust_roots is not None else None
        self.extra_roots = [_asn1(c) for c in extra]
        self.anchor_intermediates = [_asn1(c) for c in [*intermediates, *extra_intermediates]]
        self.allow_fetching = allow_fetching
        self._trust_manager: Any = None
        self._certificates: dict[bytes, asn1_x509.Certificate] = {}
        self._runner: asyncio.Runner | None = None

    def run(self, coroutine: Any) -> Any:
        """`asyncio.run`, on the run's one event loop."""
        if self._runner is None:
            self._runner = asyncio.Runner()
        return self._runner.run(coroutine)

    def close(self) -> None:
        if self._runner is not None:
            self._runner.close()
            self._runner = None

    def shared(self, certificates: list[asn1_x509.Certificate]) -> list[asn1_x509.Certificate]:
        """The run's parsed object for each certificate (by its DER, so the very same certificate)."""
        shared = []
        for cert in certificates:
            der = cert.dump()
            known = self._certificates.get(der)
            if known is None:
                if len(self._certificates) >= self.MAX_SHARED_CERTIFICATES:
                    self._certificates.clear()
                known = self._certificates[der] = cert
            shared.append(known)
        return shared

    def trust_manager(self) -> Any:
        if self._trust_manager is None:
            from pyhanko_certvalidator.registry import SimpleTrustManager

            roots = [*(self.roots if self.roots is not None else _system_roots()), *self.extra_roots]
            self._trust_manager = SimpleTrustManager.build(trust_roots=roots)
        return self._trust_manager

    def validation_context(
        self,
        other_certs: list[asn1_x509.Certificate],
        moment: dt.datetime | None = None,
        embedded: tuple[list[Any], list[Any]] = ([], []),
    ) -> Any:
        """A pyhanko-certvalidator context; `embedded` = (CRLs, OCSP responses) the signature carries.

        Embedded validation data (B-LT, B-LTA) is what makes a signature verifiable once the CA's
        CRL and OCSP servers are gone; it may postdate the signing time (retroactive_revinfo).
        """
        from pyhanko_certvalidator import ValidationContext

        kwargs: dict[str, Any] = {
            "other_certs": [*other_certs, *self.anchor_intermediates],
            "allow_fetching": self.allow_fetching,
            "revocation_mode": "soft-fail",
            "crls": embedded[0],
            "ocsps": embedded[1],
            "retroactive_revinfo": True,
        }
        if self.allow_fetching:
            from assistant.signing.pyhanko_fetchers import fetcher_backend

            # The one transport (trust, proxies, redirect rule), not pyHanko's own connections.
            kwargs["fetcher_backend"] = fetcher_backend()
        kwargs["trust_manager"] = self.trust_manager()
        if moment is not None:
            kwargs["moment"] = moment
        return ValidationContext(**kwargs)


def _system_roots() -> list[asn1_x509.Certificate]:
    """The operating system's anchors (see anchors.system_roots)."""
    from assistant.signing.anchors import system_roots

    return system_roots()


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _crypto(cert: asn1_x509.Certificate) -> x509.Certificate:
    return _crypto_of(cert.dump())


@functools.lru_cache(maxsize=256)
def _crypto_of(der: bytes) -> x509.Certificate:
    """The same (immutable) object for the same certificate: its extensions are parsed once."""
    return x509.load_der_x509_certificate(der)


def _fill_certificate_facts(report: SignatureReport, cert: asn1_x509.Certificate) -> None:
    from assistant.keystores.conformity import assess

    crypto_cert = _crypto(cert)
    report.signer_subject = crypto_cert.subject.rfc4514_string()
    report.signer = common_name(crypto_cert.subject)
    report.issuer = crypto_cert.issuer.rfc4514_string()
    report.serial = format(crypto_cert.serial_number, "x")
    report.fingerprint_sha256 = hashlib.sha256(cert.dump()).hexdigest()
    moment = report.timestamp_time or report.claimed_signing_time or dt.datetime.now(dt.UTC)
    verdict = assess(crypto_cert, now=moment)
    report.category = verdict.category.value
    report.category_label = localized(verdict.label, verdict.label_en)
    report.declares_qualified = verdict.qualified
    lists = _context_lists.get()
    if lists is not None:
        report.trusted_list = lists.qualified_status(crypto_cert, moment)
        report.qualified = bool(report.trusted_list.confirmed)
    report.valid_at_signing_time = crypto_cert.not_valid_before_utc <= moment <= crypto_cert.not_valid_after_utc
    if not report.valid_at_signing_time:
        report.remark(Remark.NOT_VALID_AT_SIGNING_TIME, moment=f"{moment:%d/%m/%Y %H:%M}")
    if not report.declares_qualified and not report.qualified:
        report.remark(Remark.NOT_QUALIFIED)
    elif not report.qualified:
        reason = report.trusted_list.reason if report.trusted_list is not None else None
        report.remark(Remark.QUALIFIED_NOT_CONFIRMED, reason=reason or "—")


def _apply_status(report: SignatureReport, status: Any, context_used: Any) -> None:
    """Facts from a pyHanko status: integrity, trust, revocation, timestamp."""
    report.intact = bool(status.intact)
    report.signature_valid = bool(status.valid)
    report.trusted = bool(status.trusted)
    if status.revoked:
        report.revocation = "revoked"
    elif report.trusted and (context_used.ocsps or context_used.crls):
        report.revocation = "good"
    else:
        report.revocation = "unknown"
    reported = getattr(status, "signer_reported_dt", None)
    if reported is not None:
        report.claimed_signing_time = reported
    ts = getattr(status, "timestamp_validity", None)
    if ts is not None:
        report.level = "B-T"
        report.timestamp_time = ts.timestamp
        report.timestamp_valid = bool(ts.intact and ts.valid and ts.trusted)
        if not report.timestamp_valid:
            report.remark(Remark.TIMESTAMP_NOT_VALIDATED)
    if not report.intact:
        report.remark(Remark.DOCUMENT_MODIFIED)
    elif not report.signature_valid:
        report.remark(Remark.SIGNATURE_VALUE_MISMATCH)
    if not report.trusted and not status.revoked:
        report.remark(Remark.UNTRUSTED)
    if report.revocation == "revoked":
        report.remark(Remark.REVOKED)
    elif report.revocation == "unknown":
        report.remark(Remark.REVOCATION_UNKNOWN)


# --------------------------------------------------------------------------------------------
# PDF


def _verify_pdf(path: Path, context: _Context) -> VerificationReport:
    from pyhanko.pdf_utils.reader import PdfFileReader

    report = VerificationReport(path, SignFormat.PADES)
    with open(path, "rb") as fh:
        try:
            reader = PdfFileReader(fh, strict=False)
            signatures = list(reader.embedded_signatures)
        except Exception as exc:  # pyHanko raises more than PdfError on a damaged file
            _log.debug("unreadable PDF %s", path.name, exc_info=True)
            raise InputFileError(
                M_("Le PDF {name} est endommagé : ses signatures ne peuvent pas être lues.", name=path.name),
                code=SigningCode.CORRUPT_PDF,
            ) from exc
        for sig in signatures:
            report.signatures.append(_verify_pdf_signature(sig, context))
    if not report.signatures:
        raise InputFileError(
            M_("Le PDF {name} ne contient aucune signature.", name=path.name),
            code=SigningCode.NO_SIGNATURE,
        )
    return report


def _unreadable(item: SignatureReport, exc: BaseException) -> SignatureReport:
    """A signature whose structure cannot be read: a verdict the user can act on, not a traceback."""
    _log.debug("unreadable signature", exc_info=exc)
    item.ades = False
    item.not_ades = Finding(NotAdes.UNREADABLE)
    item.intact = item.signature_valid = item.trusted = False
    item.remark(Remark.UNREADABLE, error=type(exc).__name__)
    return item


def _verify_pdf_signature(sig: Any, context: _Context) -> SignatureReport:
    from pyhanko.sign.validation import async_validate_pdf_signature

    item = SignatureReport(SignFormat.PADES, packaging="")
    item.field_name = str(getattr(sig, "field_name", "") or "")
    try:
        item.sub_filter = str(sig.sig_object.get("/SubFilter", "")).lstrip("/")
    except Exception:
        item.sub_filter = ""
    try:
        signed_data = sig.signed_data
        certs = list(signed_data["certificates"]) if signed_data["certificates"] else []
        others = [c.chosen for c in certs if c.name == "certificate"]
        dss_certs, dss_crls, dss_ocsps = _pdf_dss(sig.reader)
        others = [*others, *dss_certs]
        vc = context.validation_context(others, embedded=(dss_crls, dss_ocsps))
        if str(getattr(sig, "sig_object_type", "")) == "/DocTimeStamp":
            # A document timestamp (PAdES B-LTA) is judged as a timestamp: imprint, TSA, chain.
            from pyhanko.sign.validation import async_validate_pdf_timestamp

            status = context.run(async_validate_pdf_timestamp(sig, validation_context=vc))
            item.timestamp_time = getattr(status, "timestamp", None)
            if status.docmdp_ok is None:  # no DocMDP for a timestamp: what followed must be LTA updates
                import dataclasses

                from pyhanko.sign.diff_analysis import ModificationLevel

                allowed = (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES)
                status = dataclasses.replace(status, docmdp_ok=status.modification_level in allowed)
        else:
            status = context.run(
                async_validate_pdf_signature(
                    sig, vc, ts_validation_context=context.validation_context(others, embedded=(dss_crls, dss_ocsps))
                )
            )
    except Exception as exc:  # a damaged signature dictionary or CMS blob: said, not a traceback
        return _unreadable(item, exc)
    try:
        _describe_pdf_signature(item, sig, status, vc)
    except Exception as exc:
        return _unreadable(item, exc)
    return item


def _pdf_dss(reader: Any) -> tuple[list[Any], list[Any], list[Any]]:
    """(certificates, CRLs, OCSP responses) of the document's DSS (PAdES B-LT/B-LTA), the
    validation data that lets the signature be verified once the CA's servers are gone; a damaged
    DSS gives nothing (the signature is then judged without it)."""
    from asn1crypto import crl, ocsp
    from pyhanko.pdf_utils.decode_limits import DecodePurpose
    from pyhanko.sign.validation.dss import DocumentSecurityStore

    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except Exception:  # no DSS (NoDSSFoundError) or an unreadable one
        return [], [], []
    try:
        certs = list(dss.load_certs())
        crls = [crl.CertificateList.load(ref.get_object().read_data(DecodePurpose.CRL)) for ref in dss.crls]
        ocsps = [ocsp.OCSPResponse.load(ref.get_object().read_data(DecodePurpose.OCSP_RESPONSE)) for ref in dss.ocsps]
    except Exception:
        return [], [], []
    return certs, crls, ocsps


def _describe_pdf_signature(item: SignatureReport, sig: Any, status: Any, vc: Any) -> None:
    _apply_status(item, status, vc)
    coverage = getattr(status, "coverage", None)
    coverage_name = coverage.name if coverage is not None else "UNCLEAR"
    item.covers_whole_document = coverage_name == "ENTIRE_FILE"
    docmdp_ok = getattr(status, "docmdp_ok", None)
    modification = getattr(status, "modification_level", None)
    item.changes_permitted = coverage_name == "ENTIRE_FILE" or (coverage_name == "ENTIRE_REVISION" and bool(docmdp_ok))
    if coverage_name == "ENTIRE_FILE":
        item.coverage_code = Coverage.ENTIRE_FILE
    elif coverage_name == "ENTIRE_REVISION":
        if docmdp_ok:
            level_name = modification.name if modification is not None else ""
            item.coverage_code = {
                "LTA_UPDATES": Coverage.REVISION_VALIDATION_DATA,
                "FORM_FILLING": Coverage.REVISION_FORM_FILLING,
                "ANNOTATIONS": Coverage.REVISION_ANNOTATIONS,
            }.get(level_name, Coverage.REVISION_PERMITTED)
        else:
            item.coverage_code = Coverage.REVISION_NOT_PERMITTED
            item.remark(Remark.CHANGES_NOT_PERMITTED)
    else:
        item.coverage_code = Coverage.PARTIAL
        item.remark(Remark.NON_STANDARD_COVERAGE)
    _classify_pdf(item, sig)
    _fill_certificate_facts(item, status.signing_cert)


def _classify_pdf(item: SignatureReport, sig: Any) -> None:
    """PAdES (EN 319 142-1) needs SubFilter ETSI.CAdES.detached and an ESS signing-certificate(-v2)."""
    if item.sub_filter == "ETSI.RFC3161":
        item.level = "document timestamp"
        return
    if item.sub_filter != "ETSI.CAdES.detached":
        item.ades = False
        item.not_ades = (
            Finding.of(NotAdes.PDF_SUB_FILTER, sub_filter=item.sub_filter)
            if item.sub_filter
            else Finding(NotAdes.PDF_NO_SUB_FILTER)
        )
        return
    signer_info = sig.signed_data["signer_infos"][0]
    missing = _missing_cades_attribute(signer_info, pdf=True)
    if missing is not None:
        item.ades, item.not_ades = False, Finding(missing)
        return
    if _has_unsigned(signer_info, "signature_time_stamp_token"):
        item.level = "B-T"
    try:
        has_dss = "/DSS" in sig.reader.root
        has_doc_ts = any(s.sig_object.get("/SubFilter") == "/ETSI.RFC3161" for s in sig.reader.embedded_signatures)
    except Exception:
        has_dss = has_doc_ts = False
    if item.level == "B-T" and has_dss:
        item.level = "B-LTA" if has_doc_ts else "B-LT"


# --------------------------------------------------------------------------------------------
# CMS (CAdES or plain PKCS#7)


def _has_unsigned(signer_info: Any, name: str) -> bool:
    attrs = signer_info["unsigned_attrs"]
    # Not `.native`: an attribute asn1crypto does not know (an archive-time-stamp-v3) holds
    # context-tagged values its generic parser refuses.
    if isinstance(attrs, core.Void) or not attrs:
        return False
    return any(a["type"].native == name for a in attrs)


def _signed_attribute_names(signer_info: Any) -> set[str]:
    attrs = signer_info["signed_attrs"]
    if not attrs or not len(attrs):
        return set()
    return {str(a["type"].native) for a in attrs}


def _missing_cades_attribute(signer_info: Any, *, pdf: bool = False) -> NotAdes | None:
    """The first EN 319 122-1 B-B element a SignerInfo lacks (None when it has them all).

    In a PDF (EN 319 142-1) the time is the signature dictionary's /M, never a signing-time.
    """
    names = _signed_attribute_names(signer_info)
    if not names:
        return NotAdes.NO_SIGNED_ATTRIBUTES
    if "signing_certificate_v2" not in names and "signing_certificate" not in names:
        return NotAdes.NO_SIGNING_CERTIFICATE
    if "signing_time" not in names and not pdf:
        return NotAdes.NO_SIGNING_TIME
    return None


def _cms_level(signer_info: Any, signed_data: Any) -> str:
    if not _has_unsigned(signer_info, "signature_time_stamp_token"):
        return "B-B"
    has_revocation = bool(signed_data["crls"]) and len(signed_data["crls"]) > 0
    if not has_revocation:
        return "B-T"
    unsigned = signer_info["unsigned_attrs"]
    if unsigned and any(a["type"].dotted == ARCHIVE_TIME_STAMP_V3 for a in unsigned):
        return "B-LTA"
    return "B-LT"


def _load_cms(path: Path) -> Any:
    size = path.stat().st_size
    if size > MAX_ATTACHED_CMS:
        raise _not_a_signature(path)
    raw = path.read_bytes()
    if raw[:40].lstrip().startswith(b"-----BEGIN"):
        from asn1crypto import pem

        try:
            _type, _headers, raw = pem.unarmor(raw.lstrip())
        except ValueError as exc:
            raise _not_a_signature(path) from exc
    elif raw[:200].lower().lstrip().startswith((b"mime-version", b"content-type")):
        raw = _smime_body(raw, path)
    try:
        info = cms.ContentInfo.load(raw)
        if info["content_type"].native != "signed_data":
            raise ValueError("not signed data")
        signed_data = info["content"]
        # Touch what we use rather than `.native` the whole: asn1crypto would then re-encode
        # every certificate and token piece by piece on each dump (seconds per signature).
        if len(signed_data["signer_infos"]) == 0:
            raise ValueError("no signer")
        for signer_info in signed_data["signer_infos"]:
            signer_info["sid"].chosen  # noqa: B018
        signed_data["encap_content_info"]["content"]
    except Exception as exc:
        raise _not_a_signature(path) from exc
    return signed_data


def _smime_body(raw: bytes, path: Path) -> bytes:
    """The DER of an S/MIME message (`openssl cms -sign` without -outform DER)."""
    import email

    message = email.message_from_bytes(raw)
    for part in message.walk():
        if part.get_content_type() in (
            "application/pkcs7-mime",
            "application/x-pkcs7-mime",
            "application/pkcs7-signature",
            "application/x-pkcs7-signature",
        ):
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                return payload
    raise _not_a_signature(path)


def _import_cms_validation() -> None:
    """pyHanko's CMS validator, without the PDF signer its package would load (`pyhanko_import`)."""
    from assistant.signing.pyhanko_import import import_module

    import_module("pyhanko.sign.validation.generic_cms")


def _verify_cms(path: Path, detached_of: Path | None, context: _Context) -> VerificationReport:
    _import_cms_validation()
    from pyhanko.sign.validation.generic_cms import async_validate_detached_cms

    signed_data = _load_cms(path)

    content = signed_data["encap_content_info"]["content"]
    attached = not isinstance(content, core.Void)
    if attached:
        if detached_of is not None:
            raise _not_detached(path, M_("elle contient déjà le document signé"))
        content_bytes = (
            bytes(content) if isinstance(content, core.ParsableOctetString | core.OctetString) else content.dump()
        )
        report = VerificationReport(path, SignFormat.CADES, attached_content=content_bytes)
        target = None
    else:
        if path.stat().st_size > MAX_SIGNATURE_FILE:
            raise _not_a_signature(path)
        target = _detached_target(path, detached_of)
        report = VerificationReport(path, SignFormat.CADES, signed_file=target)
    try:  # parsed lazily by asn1crypto: a damaged certificate set shows here
        others = (
            context.shared([c.chosen for c in signed_data["certificates"] if c.name == "certificate"])
            if signed_data["certificates"]
            else []
        )
    except ValueError as exc:
        raise _not_a_signature(path) from exc
    for signer_info in signed_data["signer_infos"]:
        item = SignatureReport(SignFormat.CADES, packaging="attachée" if attached else "détachée")
        try:
            single = _single_signer(signed_data, signer_info)
            embedded = embedded_validation_data(signed_data)
            vc = context.validation_context(others, embedded=embedded)
        except Exception as exc:  # a structure asn1crypto cannot rebuild: a verdict, not a traceback
            report.signatures.append(_unreadable(item, exc))
            continue
        try:
            if attached:
                status = context.run(
                    async_validate_detached_cms(
                        report.attached_content or b"",
                        single,
                        signer_validation_context=vc,
                        ts_validation_context=vc,
                    )
                )
            else:
                assert target is not None
                with open(target, "rb") as fh:
                    status = context.run(
                        async_validate_detached_cms(
                            fh,
                            single,
                            signer_validation_context=vc,
                            ts_validation_context=vc,
                            chunk_size=1 << 20,
                        )
                    )
        except OSError as exc:
            raise InputFileError(
                M_("Lecture impossible : {target}", target=target), code=SigningCode.FILE_UNREADABLE
            ) from exc
        except Exception as exc:  # no matching certificate, unsupported algorithm: a verdict, not a traceback
            item.ades = False
            item.not_ades = Finding(NotAdes.UNREADABLE)
            item.problems.append(_explain(exc))
            report.signatures.append(item)
            continue
        try:
            _describe_cms_signature(item, status, vc, signer_info, signed_data)
            _check_cms_archive(
                item, signed_data, signer_info, report.attached_content, target, context, others, embedded
            )
        except OSError as exc:
            raise InputFileError(
                M_("Lecture impossible : {target}", target=target), code=SigningCode.FILE_UNREADABLE
            ) from exc
        except Exception as exc:
            item = _unreadable(item, exc)
        report.signatures.append(item)
    return report


def _describe_cms_signature(item: SignatureReport, status: Any, vc: Any, signer_info: Any, signed_data: Any) -> None:
    _apply_status(item, status, vc)
    missing = _missing_cades_attribute(signer_info)
    if missing is not None:
        item.ades, item.not_ades, item.level = False, Finding(missing), ""
    else:
        item.level = _cms_level(signer_info, signed_data)
        if item.level != "B-B" and item.timestamp_valid is False:
            item.level = "B-T"
    _fill_certificate_facts(item, status.signing_cert)


def _check_cms_archive(
    item: SignatureReport,
    signed_data: Any,
    signer_info: Any,
    attached: bytes | None,
    target: Path | None,
    context: _Context,
    others: list[asn1_x509.Certificate],
    embedded: tuple[list[Any], list[Any]],
) -> None:
    """Archive-time-stamp-v3 attributes (B-LTA), each recomputed over the content and judged."""
    if _ARCHIVE_OID_DER not in bytes(signer_info.contents or b""):
        return  # no archive timestamp, not even a damaged one: nothing to load, nothing to judge
    from assistant.signing import archive_cades

    def content_hash(algorithm: str) -> bytes:
        # An intact signature's message-digest is the content's hash: no second pass over a large file.
        if item.intact and signer_info["digest_algorithm"]["algorithm"].native == algorithm:
            for attribute in signer_info["signed_attrs"]:
                if attribute["type"].native == "message_digest":
                    return bytes(attribute["values"][0].native)
        if attached is not None:
            return hashlib.new(algorithm, attached).digest()
        assert target is not None
        hasher = hashlib.new(algorithm)
        with open(target, "rb") as fh:
            while chunk := fh.read(1 << 20):
                hasher.update(chunk)
        return hasher.digest()

    try:
        found = [
            (s.token, s.digest, s.problem) for s in archive_cades.archive_stamps(signed_data, signer_info, content_hash)
        ]
    except OSError:
        raise
    except Exception:  # a damaged attribute: said of the stamp, the signature's own facts stay
        oid = core.ObjectIdentifier(archive_cades.ARCHIVE_TIME_STAMP_V3).dump()
        found = [(None, None, "")] if oid in bytes(signer_info.contents or b"") else []
    _apply_archive(item, found, context, others, embedded)


def _apply_archive(
    item: SignatureReport,
    stamps: list[tuple[Any, bytes | None, str]],
    context: _Context,
    certs: list[asn1_x509.Certificate],
    embedded: tuple[list[Any], list[Any]],
) -> None:
    """Judge the archive timestamps; one that fails is a remark, and the level is then not B-LTA."""
    if not stamps:
        return
    from assistant.signing.verify_archive import judge

    item.archive_timestamps = judge(
        stamps,
        lambda extra, moment, token: context.validation_context(
            [*certs, *extra], moment, embedded=_with_token_data(embedded, token)
        ),
    )
    failed = [stamp for stamp in item.archive_timestamps if not stamp.valid]
    item.problems.extend(Finding.worded(Remark.ARCHIVE_TIMESTAMP_NOT_VALIDATED, stamp.problem) for stamp in failed)
    if failed and item.level == "B-LTA":
        item.level = "B-LT"


def _with_token_data(embedded: tuple[list[Any], list[Any]], token: Any) -> tuple[list[Any], list[Any]]:
    """The signature's CRLs/OCSP answers and those an archive token carries for itself (CAdES
    B-LTA keeps the TSA's in the token's SignedData.crls): what keeps the stamp verifiable once
    the TSA's revocation servers are gone."""
    own_crls, own_ocsps = embedded_validation_data(token["content"])
    return [*embedded[0], *own_crls], [*embedded[1], *own_ocsps]


def _single_signer(signed_data: Any, signer_info: Any) -> Any:
    """`signed_data` with only `signer_info`, and its content detached.

    pyHanko validates a SignedData with one SignerInfo: each is given in turn. Its certificates
    are put first when found by a cheap match (serial number, then the issuer's DER): pyHanko
    compares issuer names with asn1crypto's string preparation, milliseconds per comparison,
    for every certificate it scans. The other certificates still reach the path builder through
    the validation context. An attached content is given as if detached: the signature covers
    its octets and its content type, not the wrapper, and pyHanko then streams it like a
    detached file.
    """
    encap = signed_data["encap_content_info"]
    fields: dict[str, Any] = {
        "version": signed_data["version"],
        "digest_algorithms": signed_data["digest_algorithms"],
        # The same class as the original's (asn1crypto picks ContentInfo or EncapsulatedContentInfo by version).
        "encap_content_info": type(encap)({"content_type": encap["content_type"]}),
        "signer_infos": cms.SignerInfos([signer_info]),
    }
    if not isinstance(signed_data["crls"], core.Void):
        fields["crls"] = signed_data["crls"]
    certificates = signed_data["certificates"]
    if not isinstance(certificates, core.Void):
        fields["certificates"] = _signer_first(certificates, signer_info["sid"])
    return cms.SignedData(fields)


def _signer_first(certificates: Any, sid: Any) -> Any:
    choices = list(certificates)
    if sid.name == "issuer_and_serial_number":
        serial = sid.chosen["serial_number"].native
        issuer = sid.chosen["issuer"].dump()
        matching = [
            c
            for c in choices
            if c.name == "certificate" and c.chosen.serial_number == serial and c.chosen.issuer.dump() == issuer
        ]
        if matching:
            return cms.CertificateSet(matching)
    return certificates


ARCHIVE_TIME_STAMP_V3 = "0.4.0.1733.2.4"  # archive-time-stamp-v3 (EN 319 122-1, 5.5.3)
_ARCHIVE_OID_DER = core.ObjectIdentifier(ARCHIVE_TIME_STAMP_V3).dump()
OCSP_RESPONSE_FORMAT = "1.3.6.1.5.5.7.16.2"  # id-ri-ocsp-response (RFC 5940)


def embedded_validation_data(signed_data: Any) -> tuple[list[Any], list[Any]]:
    """CRLs and OCSP responses in SignedData.crls (where CAdES B-LT keeps them, EN 319 122-1 5.5.1)."""
    from asn1crypto import ocsp

    crls: list[Any] = []
    ocsps: list[Any] = []
    choices = signed_data["crls"]
    if isinstance(choices, core.Void) or choices is None:
        return crls, ocsps
    for choice in choices:
        try:
            if choice.name == "crl":
                crls.append(choice.chosen)
            elif choice.name == "other" and choice.chosen["other_rev_info_format"].dotted == OCSP_RESPONSE_FORMAT:
                ocsps.append(ocsp.OCSPResponse.load(choice.chosen["other_rev_info"].dump()))
        except Exception:  # noqa: S112 - unreadable validation data is not used, the rest is
            continue
    return crls, ocsps


def _explain(exc: BaseException) -> Finding:
    text = str(exc).strip()
    if "signer" in text.lower() and "cert" in text.lower():
        return Finding(Remark.SIGNER_CERTIFICATE_MISSING)
    return Finding.of(Remark.NOT_VERIFIABLE, error=type(exc).__name__)


# --------------------------------------------------------------------------------------------
# XML (XAdES or plain XML-DSig)


def _verify_xml(path: Path, detached_of: Path | None, context: _Context) -> VerificationReport:
    from assistant.signing import verify_xml

    if path.stat().st_size > MAX_SIGNATURE_FILE:
        raise _not_a_signature(path)
    try:
        root = verify_xml.parse_xml(path.read_bytes())
    except Exception as exc:
        raise _not_a_signature(path) from exc
    signatures = verify_xml.signatures_of(root)
    if not signatures:
        raise _not_a_signature(path)
    report = VerificationReport(path, SignFormat.XADES)
    for signature in signatures:
        try:
            report.signatures.append(_verify_xml_signature(root, signature, path, detached_of, context, report))
        except Exception as exc:
            report.signatures.append(_unreadable(SignatureReport(SignFormat.XADES), exc))
    return report


def _verify_xml_signature(
    root: Any, signature: Any, path: Path, detached_of: Path | None, context: _Context, report: VerificationReport
) -> SignatureReport:
    from assistant.signing import verify_xml

    facts = verify_xml.check_signature(root, signature, path, detached_of)
    item = SignatureReport(SignFormat.XADES, packaging=facts.packaging)
    item.problems.extend(facts.problems)
    item.intact = item.signature_valid = facts.valid
    item.ades, item.level = facts.ades, facts.level
    item.not_ades = Finding(facts.not_ades) if facts.not_ades is not None else None
    item.claimed_signing_time = facts.claimed_signing_time
    if facts.signing_certificate_ok is False:
        item.intact = False
    if facts.signed_file is not None:
        report.signed_file = facts.signed_file
    if facts.timestamp_token is not None and facts.timestamp_imprint_input is not None:
        from assistant.signing.timestamp import tst_info

        try:
            item.timestamp_time = tst_info(facts.timestamp_token)["gen_time"].native
            ts_certs = [c.chosen for c in facts.timestamp_token["content"]["certificates"] if c.name == "certificate"]
            item.timestamp_valid = _validate_token(
                facts.timestamp_token, facts.timestamp_imprint_input, ts_certs, context
            )
        except Exception:
            item.timestamp_valid = False
        if not item.timestamp_valid:
            item.remark(Remark.TIMESTAMP_NOT_VALIDATED)
    if facts.signer_cert is None:
        return item
    moment = item.timestamp_time if item.timestamp_valid else None
    vc = context.validation_context(list(facts.other_certs), moment, embedded=_xml_embedded(facts))
    trusted, revoked = _validate_certificate(facts.signer_cert, list(facts.other_certs), vc, context)
    item.trusted = trusted
    if revoked:
        item.revocation = "revoked"
        item.remark(Remark.REVOKED)
    elif trusted and (vc.ocsps or vc.crls):
        item.revocation = "good"
    else:
        item.revocation = "unknown"
        item.remark(Remark.REVOCATION_UNKNOWN)
    if not trusted and not revoked:
        item.remark(Remark.UNTRUSTED)
    _fill_certificate_facts(item, facts.signer_cert)
    certs = [facts.signer_cert, *facts.other_certs, *facts.embedded_certs]
    stamps = [(s.token, s.digest, s.problem) for s in facts.archive_stamps]
    _apply_archive(item, stamps, context, certs, _xml_embedded(facts))
    return item


def _xml_embedded(facts: Any) -> tuple[list[Any], list[Any]]:
    from asn1crypto import crl, ocsp

    crls: list[Any] = []
    ocsps: list[Any] = []
    for der in facts.embedded_crls:
        try:
            crls.append(crl.CertificateList.load(der))
        except ValueError:
            continue
    for der in facts.embedded_ocsps:
        try:
            ocsps.append(ocsp.OCSPResponse.load(der))
        except ValueError:
            continue
    return crls, ocsps


def _validate_certificate(
    cert: asn1_x509.Certificate, others: list[asn1_x509.Certificate], vc: Any, context: _Context
) -> tuple[bool, bool]:
    from pyhanko_certvalidator import CertificateValidator
    from pyhanko_certvalidator.errors import RevokedError

    validator = CertificateValidator(cert, intermediate_certs=others, validation_context=vc)
    try:
        context.run(validator.async_validate_usage(set()))  # type: ignore[no-untyped-call]
    except RevokedError:
        return False, True
    except Exception:
        return False, False
    return True, False


def _validate_token(
    token: cms.ContentInfo, signed: bytes, certs: list[asn1_x509.Certificate], context: _Context
) -> bool:
    """An RFC 3161 token over `signed` (its imprint, its TSA signature, the TSA's chain)."""
    _import_cms_validation()
    from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
    from pyhanko.sign.validation.status import TimestampSignatureStatus

    vc = context.validation_context(certs)
    try:
        kwargs = context.run(
            validate_tst_signed_data(token["content"], vc, lambda algorithm: hashlib.new(algorithm, signed).digest())
        )
        status = TimestampSignatureStatus(**kwargs)
    except Exception:
        return False
    return bool(status.intact and status.valid and status.trusted)
