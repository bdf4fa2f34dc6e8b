"""Signature verification report: what a buyer needs to accept or reject a signed bid.

For each signature: who signed (certificate subject and issuer), the certificate's category
(qualified or not, as its QCStatements and policies declare, judged at signing time), the format
and level, whether the document is intact, whether the certificate chains to a trusted authority,
whether it was within its validity at signing time (the timestamp's time when there is one, the
signer's claimed time otherwise), and the revocation status as far as it could be known.

PAdES and CAdES are checked by pyHanko's validator (the same code the tests use as an external
judge); XAdES is checked here (XML-DSig references, SignedProperties, SigningCertificateV2, the
signature value), then its certificate goes through pyhanko-certvalidator like the others.
Verification never writes anything and never resolves a reference outside the signature's folder.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from assistant.errors import Code, InputFileError
from assistant.keystores.base import HashAlgorithm
from assistant.signing.errors import SigningCode
from assistant.signing.formats import SignFormat
from assistant.signing.xades import DS, XADES, c14n

MAX_SIGNATURE_FILE = 64 << 20  # a detached .p7s / .xml is a few KB; refuse absurd sizes


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
    qualified: bool = False
    claimed_signing_time: dt.datetime | None = None
    timestamp_time: dt.datetime | None = None
    timestamp_valid: bool | None = None
    intact: bool = False  # the signed document is unchanged
    signature_valid: bool = False  # the signature value checks with the certificate's key
    trusted: bool = False  # the certificate chains to a trust anchor
    valid_at_signing_time: bool = False
    revocation: str = "unknown"  # "good" | "revoked" | "unknown"
    covers_whole_document: bool | None = None  # PAdES only
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            self.intact
            and self.signature_valid
            and self.trusted
            and self.valid_at_signing_time
            and self.revocation != "revoked"
            and self.timestamp_valid is not False
        )

    @property
    def verdict_fr(self) -> str:
        if not (self.intact and self.signature_valid):
            return "Signature invalide : le document a été modifié ou la signature est altérée."
        if self.revocation == "revoked":
            return "Signature invalide : le certificat du signataire est révoqué."
        if not self.ok:
            return "Signature intègre, mais le certificat n'a pas pu être validé (voir les remarques)."
        return "Signature valide."

    def to_dict(self) -> dict[str, Any]:
        def iso(value: dt.datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "format": self.format.label,
            "level": self.level,
            "signer": self.signer,
            "signer_subject": self.signer_subject,
            "issuer": self.issuer,
            "serial": self.serial,
            "fingerprint_sha256": self.fingerprint_sha256,
            "certificate_category": self.category,
            "certificate_label": self.category_label,
            "qualified": self.qualified,
            "claimed_signing_time": iso(self.claimed_signing_time),
            "timestamp_time": iso(self.timestamp_time),
            "timestamp_valid": self.timestamp_valid,
            "intact": self.intact,
            "signature_valid": self.signature_valid,
            "trusted": self.trusted,
            "valid_at_signing_time": self.valid_at_signing_time,
            "revocation": self.revocation,
            "covers_whole_document": self.covers_whole_document,
            "ok": self.ok,
            "verdict": self.verdict_fr,
            "problems": list(self.problems),
        }


@dataclass
class VerificationReport:
    path: Path
    format: SignFormat
    signed_file: Path | None = None
    signatures: list[SignatureReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.signatures) and all(s.ok for s in self.signatures)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": str(self.path),
            "signed_file": str(self.signed_file) if self.signed_file else None,
            "format": self.format.label,
            "ok": self.ok,
            "signatures": [s.to_dict() for s in self.signatures],
        }


# --------------------------------------------------------------------------------------------
# Entry point


def verify_file(
    path: Path,
    *,
    detached_of: Path | None = None,
    trust_roots: list[x509.Certificate] | None = None,
    allow_fetching: bool = False,
) -> VerificationReport:
    """Verify a signed PDF, or a detached .p7s / .xml signature of `detached_of`.

    Without `detached_of`, a detached signature named by the convention
    ("X - 20201102144025 - Signature 1.p7s") is matched with "X" in the same folder.
    `trust_roots` are the anchors (the system's are used when None); `allow_fetching` lets the
    validator fetch missing intermediates and revocation data over the network.
    """
    path = Path(path)
    head = _read_head(path)
    context = _Context(trust_roots, allow_fetching)
    if b"%PDF-" in head[:1024]:
        return _verify_pdf(path, context)
    stripped = head.lstrip()
    if stripped.startswith(b"<"):
        return _verify_xades(path, detached_of, context)
    return _verify_cades(path, detached_of, context)


def _read_head(path: Path) -> bytes:
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except FileNotFoundError as exc:
        raise InputFileError(f"Fichier introuvable : {path}", f"File not found: {path}", code=Code.FILE_NOT_FOUND) from exc
    except OSError as exc:
        raise InputFileError(f"Lecture impossible : {path}", f"Cannot read: {path}", code=SigningCode.FILE_UNREADABLE) from exc
    if not head:
        raise InputFileError(f"Le fichier {path.name} est vide.", f"{path.name} is empty.", code=SigningCode.EMPTY_FILE)
    return head


def _not_a_signature(path: Path) -> InputFileError:
    return InputFileError(
        f"{path.name} n'est ni un PDF signé, ni une signature CAdES (.p7s), ni une signature XAdES (.xml).",
        f"{path.name} is neither a signed PDF, nor a CAdES (.p7s) nor a XAdES (.xml) signature.",
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
            f"Document signé introuvable pour {path.name} : indiquez-le (--detached-of).",
            f"Signed document not found for {path.name}: name it (--detached-of).",
            code=SigningCode.SIGNED_FILE_MISSING,
        )
    return target


# --------------------------------------------------------------------------------------------
# Trust and certificate facts


class _Context:
    def __init__(self, trust_roots: list[x509.Certificate] | None, allow_fetching: bool) -> None:
        self.roots = [_asn1(c) for c in trust_roots] if trust_roots is not None else None
        self.allow_fetching = allow_fetching

    def validation_context(self, other_certs: list[asn1_x509.Certificate], moment: dt.datetime | None = None) -> Any:
        from pyhanko_certvalidator import ValidationContext

        kwargs: dict[str, Any] = {
            "other_certs": other_certs,
            "allow_fetching": self.allow_fetching,
            "revocation_mode": "soft-fail",
        }
        if self.allow_fetching:
            from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend

            # requests rather than the default aiohttp: its session would outlive our asyncio.run.
            kwargs["fetcher_backend"] = RequestsFetcherBackend()
        kwargs["trust_roots"] = self.roots if self.roots is not None else _system_roots()
        if moment is not None:
            kwargs["moment"] = moment
        return ValidationContext(**kwargs)


def _system_roots() -> list[asn1_x509.Certificate]:
    """The operating system's anchors, given explicitly (pyHanko's implicit use is deprecated).

    oscrypto's trust_list reads them (its crypto backend does not load against OpenSSL 3, its
    trust list does) and caches them; an anchor the OS distrusts for some purpose is left out.
    """
    from oscrypto import trust_list

    return [cert for cert, _trusted_for, rejected_for in trust_list.get_list() if not rejected_for]


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _crypto(cert: asn1_x509.Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(cert.dump())


def _fill_certificate_facts(report: SignatureReport, cert: asn1_x509.Certificate) -> None:
    from assistant.keystores.conformity import assess

    crypto_cert = _crypto(cert)
    report.signer_subject = crypto_cert.subject.rfc4514_string()
    cns = crypto_cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    report.signer = str(cns[0].value) if cns else report.signer_subject
    report.issuer = crypto_cert.issuer.rfc4514_string()
    report.serial = format(crypto_cert.serial_number, "x")
    report.fingerprint_sha256 = hashlib.sha256(cert.dump()).hexdigest()
    moment = report.timestamp_time or report.claimed_signing_time or dt.datetime.now(dt.UTC)
    verdict = assess(crypto_cert, now=moment)
    report.category = verdict.category.value
    report.category_label = verdict.label
    report.qualified = verdict.qualified
    report.valid_at_signing_time = crypto_cert.not_valid_before_utc <= moment <= crypto_cert.not_valid_after_utc
    if not report.valid_at_signing_time:
        report.problems.append(
            f"Le certificat n'était pas en cours de validité au moment de la signature ({moment:%d/%m/%Y %H:%M} UTC)."
        )
    if not report.qualified:
        report.problems.append("Le certificat ne se déclare pas qualifié (eIDAS) : signature non conforme pour un marché public.")


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
            report.problems.append("L'horodatage de la signature n'a pas pu être validé.")
    if not report.intact:
        report.problems.append("Le document a été modifié depuis sa signature.")
    elif not report.signature_valid:
        report.problems.append("La valeur de la signature ne correspond pas au certificat.")
    if not report.trusted and not status.revoked:
        report.problems.append("Le certificat ne remonte pas à une autorité de confiance connue de ce poste.")
    if report.revocation == "revoked":
        report.problems.append("Le certificat du signataire est révoqué.")
    elif report.revocation == "unknown":
        report.problems.append("L'état de révocation du certificat n'a pas pu être vérifié (pas d'information disponible).")


# --------------------------------------------------------------------------------------------
# PAdES


def _verify_pdf(path: Path, context: _Context) -> VerificationReport:
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature

    report = VerificationReport(path, SignFormat.PADES)
    try:
        with open(path, "rb") as fh:
            reader = PdfFileReader(fh, strict=False)
            signatures = list(reader.embedded_signatures)
            for sig in signatures:
                item = SignatureReport(SignFormat.PADES)
                certs = list(sig.signed_data["certificates"]) if sig.signed_data["certificates"] else []
                others = [c.chosen for c in certs if c.name == "certificate"]
                vc = context.validation_context(others)
                ts_vc = context.validation_context(others)
                status = asyncio.run(async_validate_pdf_signature(sig, vc, ts_validation_context=ts_vc))
                _apply_status(item, status, vc)
                coverage = getattr(status, "coverage", None)
                item.covers_whole_document = coverage is not None and coverage.name in ("ENTIRE_FILE", "ENTIRE_REVISION")
                _fill_certificate_facts(item, status.signing_cert)
                report.signatures.append(item)
    except PdfError as exc:
        raise InputFileError(
            f"Le PDF {path.name} est endommagé : ses signatures ne peuvent pas être lues.",
            f"The PDF {path.name} is damaged: its signatures cannot be read.",
            code=SigningCode.CORRUPT_PDF,
        ) from exc
    if not report.signatures:
        raise InputFileError(f"Le PDF {path.name} ne contient aucune signature.", f"{path.name} contains no signature.",
                             code=SigningCode.NO_SIGNATURE)  # fmt: skip
    return report


# --------------------------------------------------------------------------------------------
# CAdES


def _verify_cades(path: Path, detached_of: Path | None, context: _Context) -> VerificationReport:
    from pyhanko.sign.validation.generic_cms import async_validate_detached_cms

    if path.stat().st_size > MAX_SIGNATURE_FILE:
        raise _not_a_signature(path)
    raw = path.read_bytes()
    if raw[:27].startswith(b"-----BEGIN"):
        from asn1crypto import pem

        _type, _headers, raw = pem.unarmor(raw)
    try:
        info = cms.ContentInfo.load(raw)
        if info["content_type"].native != "signed_data":
            raise ValueError("not signed data")
        signed_data = info["content"]
        # Touch what we use rather than `.native` the whole: asn1crypto would then re-encode
        # every certificate and token piece by piece on each dump (seconds per signature).
        if len(signed_data["signer_infos"]) == 0:
            raise ValueError("no signer")
        signed_data["signer_infos"][0]["sid"].chosen  # noqa: B018
    except Exception as exc:
        raise _not_a_signature(path) from exc
    target = _detached_target(path, detached_of)
    report = VerificationReport(path, SignFormat.CADES, signed_file=target)
    others = [c.chosen for c in signed_data["certificates"] if c.name == "certificate"] if signed_data["certificates"] else []
    for _ in signed_data["signer_infos"]:
        item = SignatureReport(SignFormat.CADES)
        vc = context.validation_context(others)
        with open(target, "rb") as fh:
            status = asyncio.run(
                async_validate_detached_cms(
                    fh,
                    signed_data,
                    signer_validation_context=vc,
                    ts_validation_context=context.validation_context(others),
                    chunk_size=1 << 20,
                )
            )
        _apply_status(item, status, vc)
        _fill_certificate_facts(item, status.signing_cert)
        report.signatures.append(item)
        break  # pyHanko validates the first SignerInfo; co-signatures are separate files here
    return report


# --------------------------------------------------------------------------------------------
# XAdES


def _verify_xades(path: Path, detached_of: Path | None, context: _Context) -> VerificationReport:
    from lxml import etree

    if path.stat().st_size > MAX_SIGNATURE_FILE:
        raise _not_a_signature(path)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=False)
    try:
        root = etree.parse(str(path), parser).getroot()
    except etree.XMLSyntaxError as exc:
        raise _not_a_signature(path) from exc
    signatures = [root] if root.tag == f"{{{DS}}}Signature" else root.findall(f".//{{{DS}}}Signature")
    if not signatures:
        raise _not_a_signature(path)
    report = VerificationReport(path, SignFormat.XADES)
    for signature in signatures:
        item = SignatureReport(SignFormat.XADES)
        report.signatures.append(item)
        _check_xades_signature(signature, path, detached_of, item, report, context)
    return report


def _check_xades_signature(
    signature: Any,
    path: Path,
    detached_of: Path | None,
    item: SignatureReport,
    report: VerificationReport,
    context: _Context,
) -> None:
    """One linear checklist: references, signed properties, value, timestamp, certificate."""
    from assistant.signing.mechanisms import XMLDSIG_DIGEST
    from assistant.signing.timestamp import tst_info

    digest_by_uri = {uri: alg for alg, uri in XMLDSIG_DIGEST.items()}
    signed_info = signature.find(f"{{{DS}}}SignedInfo")
    value_node = signature.find(f"{{{DS}}}SignatureValue")
    certs_b64 = signature.findall(f"{{{DS}}}KeyInfo/{{{DS}}}X509Data/{{{DS}}}X509Certificate")
    if signed_info is None or value_node is None or not certs_b64 or not value_node.text:
        item.problems.append("Signature XML incomplète (SignedInfo, SignatureValue ou certificat absent).")
        return
    certs = [asn1_x509.Certificate.load(base64.b64decode(c.text or "")) for c in certs_b64]
    signer_cert = certs[0]

    # -- references ------------------------------------------------------------------------
    all_intact = True
    saw_document = False
    props_node = None
    for ref in signed_info.findall(f"{{{DS}}}Reference"):
        uri = ref.get("URI", "")
        method = ref.find(f"{{{DS}}}DigestMethod")
        expected_node = ref.find(f"{{{DS}}}DigestValue")
        algorithm = digest_by_uri.get(method.get("Algorithm", "") if method is not None else "")
        if algorithm is None or expected_node is None or not expected_node.text:
            item.problems.append(f"Référence « {uri} » : algorithme d'empreinte non pris en charge.")
            all_intact = False
            continue
        expected = base64.b64decode(expected_node.text)
        if uri.startswith("#"):
            wanted = uri[1:]
            matches = [n for n in signature.iter() if n.get("Id") == wanted]
            if len(matches) != 1:
                item.problems.append(f"Référence interne « {uri} » introuvable ou ambiguë.")
                all_intact = False
                continue
            node = matches[0]
            if node.tag == f"{{{XADES}}}SignedProperties":
                props_node = node
            actual = hashlib.new(algorithm.value, c14n(node)).digest()
        else:
            target = _resolve_reference(uri, path, detached_of)
            if target is None:
                item.problems.append(f"Document signé « {unquote(uri)} » introuvable à côté de la signature.")
                all_intact = False
                continue
            from assistant.signing.digest import hash_file

            saw_document = True
            report.signed_file = target
            actual = hash_file(target, algorithm).digest
        if actual != expected:
            all_intact = False
    if not saw_document:
        item.problems.append("La signature ne désigne aucun document.")
        all_intact = False
    item.intact = all_intact

    # -- signed properties -------------------------------------------------------------------
    if props_node is None:
        item.problems.append("Propriétés XAdES signées absentes : ce n'est pas une signature XAdES.")
    else:
        time_node = props_node.find(f".//{{{XADES}}}SigningTime")
        if time_node is not None and time_node.text:
            try:
                item.claimed_signing_time = dt.datetime.fromisoformat(time_node.text.replace("Z", "+00:00"))
            except ValueError:
                item.problems.append("Heure de signature illisible.")
        cert_digest = props_node.find(f".//{{{XADES}}}CertDigest/{{{DS}}}DigestValue")
        if cert_digest is None or not cert_digest.text or base64.b64decode(cert_digest.text) != hashlib.sha256(
            signer_cert.dump()
        ).digest():
            item.problems.append("Le certificat signé (SigningCertificateV2) ne correspond pas au certificat joint.")
            item.intact = False

    # -- signature value ---------------------------------------------------------------------
    method_node = signed_info.find(f"{{{DS}}}SignatureMethod")
    item.signature_valid = _check_xml_signature_value(
        _crypto(signer_cert), method_node.get("Algorithm", "") if method_node is not None else "",
        c14n(signed_info), base64.b64decode(value_node.text),
    )  # fmt: skip
    if not item.signature_valid:
        item.problems.append("La valeur de la signature ne correspond pas au certificat.")

    # -- timestamp ---------------------------------------------------------------------------
    stamp = signature.find(f".//{{{XADES}}}SignatureTimeStamp/{{{XADES}}}EncapsulatedTimeStamp")
    if stamp is not None and stamp.text:
        item.level = "B-T"
        try:
            token = cms.ContentInfo.load(base64.b64decode(stamp.text))
            info = tst_info(token)
            item.timestamp_time = info["gen_time"].native
            ts_certs = [c.chosen for c in token["content"]["certificates"] if c.name == "certificate"]
            item.timestamp_valid = _validate_token(token, c14n(value_node), ts_certs, context)
        except Exception:
            item.timestamp_valid = False
        if not item.timestamp_valid:
            item.problems.append("L'horodatage de la signature n'a pas pu être validé.")

    # -- certificate path --------------------------------------------------------------------
    moment = item.timestamp_time if item.timestamp_valid else None
    vc = context.validation_context(certs[1:], moment)
    trusted, revoked = _validate_certificate(signer_cert, certs[1:], vc)
    item.trusted = trusted
    if revoked:
        item.revocation = "revoked"
        item.problems.append("Le certificat du signataire est révoqué.")
    elif trusted and (vc.ocsps or vc.crls):
        item.revocation = "good"
    else:
        item.revocation = "unknown"
        item.problems.append("L'état de révocation du certificat n'a pas pu être vérifié (pas d'information disponible).")
    if not trusted and not revoked:
        item.problems.append("Le certificat ne remonte pas à une autorité de confiance connue de ce poste.")
    _fill_certificate_facts(item, signer_cert)


def _resolve_reference(uri: str, signature_path: Path, detached_of: Path | None) -> Path | None:
    """Only a file beside the signature (or the one the user named), never a path or a URL.

    A signature may come from a web page (remote verification job): letting it name "../x" or
    "/etc/x" would let the page learn whether a local file has the content it guesses.
    """
    if detached_of is not None:
        return detached_of if detached_of.is_file() else None
    name = unquote(uri)
    if not name or name in (".", "..") or any(c in name for c in "/\\:\0"):
        return None
    candidate = signature_path.parent / name
    if candidate.is_symlink() or not candidate.is_file():
        return None
    return candidate


def _check_xml_signature_value(cert: x509.Certificate, method: str, signed: bytes, value: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    hash_name = method.rsplit("-", 1)[-1]
    try:
        algorithm = HashAlgorithm(hash_name)
    except ValueError:
        return False
    key = cert.public_key()
    try:
        if method.endswith(f"#ecdsa-{hash_name}") and isinstance(key, ec.EllipticCurvePublicKey):
            half = len(value) // 2
            der = encode_dss_signature(int.from_bytes(value[:half], "big"), int.from_bytes(value[half:], "big"))
            key.verify(der, signed, ec.ECDSA(algorithm.crypto_hash()))
            return True
        if method.endswith(f"#rsa-{hash_name}") and isinstance(key, rsa.RSAPublicKey):
            key.verify(value, signed, padding.PKCS1v15(), algorithm.crypto_hash())
            return True
    except InvalidSignature:
        return False
    return False


def _validate_certificate(cert: asn1_x509.Certificate, others: list[asn1_x509.Certificate], vc: Any) -> tuple[bool, bool]:
    from pyhanko_certvalidator import CertificateValidator
    from pyhanko_certvalidator.errors import PathValidationError, RevokedError

    validator = CertificateValidator(cert, intermediate_certs=others, validation_context=vc)
    try:
        asyncio.run(validator.async_validate_usage(set()))  # type: ignore[no-untyped-call]
    except RevokedError:
        return False, True
    except (PathValidationError, Exception):
        return False, False
    return True, False


def _validate_token(token: cms.ContentInfo, signed: bytes, certs: list[asn1_x509.Certificate], context: _Context) -> bool:
    """An RFC 3161 token over `signed` (its imprint, its TSA signature, the TSA's chain)."""
    from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
    from pyhanko.sign.validation.status import TimestampSignatureStatus

    vc = context.validation_context(certs)
    try:
        kwargs = asyncio.run(
            validate_tst_signed_data(token["content"], vc, lambda algorithm: hashlib.new(algorithm, signed).digest())
        )
        status = TimestampSignatureStatus(**kwargs)
    except Exception:
        return False
    return bool(status.intact and status.valid and status.trusted)
