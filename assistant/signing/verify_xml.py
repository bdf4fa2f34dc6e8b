"""XML signatures (XML-DSig and XAdES) checked by libxmlsec1, the engine of the xmlsec1 tool.

The `xmlsec` binding runs libxmlsec1 over the parsed document: every CanonicalizationMethod and
Transform it names (inclusive/exclusive C14N 1.0, C14N 1.1, enveloped-signature, XPath, base64…),
every Reference's digest with the algorithm it names, then the SignatureValue with the key of
each embedded certificate until one matches (that one is the signer). Only the XAdES layer is
read here: which reference covers the SignedProperties, the SigningCertificate (v1) or
SigningCertificateV2 digest recomputed with the DigestMethod it names, SigningTime, and the
unsigned properties that make the level (SignatureTimeStamp, CertificateValues/RevocationValues,
ArchiveTimeStamp).

A detached reference may only reach the one file the user named, or a plain file name in the
signature's own folder: libxmlsec1's input callbacks are replaced, for the time of a check, by
ours, which open nothing else (no path, no URL, no symlink). The callbacks are process-wide, so
checks are serialised by a lock.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import unquote

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509

from assistant.signing.c14n import C14N
from assistant.signing.findings import Finding, NotAdes, Remark

DS = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"
XADES141 = "http://uri.etsi.org/01903/v1.4.1#"
SIGNED_PROPERTIES_TYPES = (
    "http://uri.etsi.org/01903#SignedProperties",
    "http://uri.etsi.org/01903/v1.3.2#SignedProperties",
)

#: DigestMethod URIs (XML-DSig, RFC 6931) → hashlib names.
DIGESTS = {
    "http://www.w3.org/2000/09/xmldsig#sha1": "sha1",
    "http://www.w3.org/2001/04/xmldsig-more#sha224": "sha224",
    "http://www.w3.org/2001/04/xmlenc#sha256": "sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384": "sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512": "sha512",
    "http://www.w3.org/2007/05/xmldsig-more#sha3-256": "sha3_256",
    "http://www.w3.org/2007/05/xmldsig-more#sha3-512": "sha3_512",
}

_IO_LOCK = threading.Lock()
_ID_ATTRIBUTES = ("Id", "ID", "id")


def _ds(tag: str) -> str:
    return f"{{{DS}}}{tag}"


def _xa(tag: str) -> str:
    return f"{{{XADES}}}{tag}"


@dataclass(frozen=True)
class XmlFacts:
    """What the XML layer established about one ds:Signature; the caller adds trust and category."""

    signer_cert: asn1_x509.Certificate | None
    other_certs: tuple[asn1_x509.Certificate, ...]
    valid: bool  # libxmlsec1 verified every reference and the signature value
    packaging: str  # "détachée" | "enveloppée" | "enveloppante"
    signed_file: Path | None
    missing_file: str | None  # a detached reference whose file could not be reached
    ades: bool
    not_ades: NotAdes | None  # the missing baseline element when not XAdES
    level: str  # B-B | B-T | B-LT | B-LTA ("" when not XAdES)
    claimed_signing_time: dt.datetime | None
    signing_certificate_ok: bool | None  # None when there is no SigningCertificate(V2)
    timestamp_token: cms.ContentInfo | None
    timestamp_imprint_input: bytes | None  # the canonicalised SignatureValue the token covers
    embedded_crls: tuple[bytes, ...]
    embedded_ocsps: tuple[bytes, ...]
    problems: tuple[Finding, ...]
    #: archive_xades.ArchiveStamp of each ArchiveTimeStamp, its imprint recomputed (B-LTA)
    archive_stamps: tuple[Any, ...] = ()
    #: the certificates of xades:CertificateValues (B-LT), for the timestamps' chains
    embedded_certs: tuple[asn1_x509.Certificate, ...] = ()


def parse_xml(data: bytes) -> Any:
    """The document, parsed without DTD entities, network or huge-tree expansion."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
    return etree.fromstring(data, parser)


def signatures_of(root: Any) -> list[Any]:
    return [root] if root.tag == _ds("Signature") else list(root.iter(_ds("Signature")))


def check_signature(root: Any, signature: Any, signature_path: Path, detached_of: Path | None) -> XmlFacts:
    """Every check of one ds:Signature of the document `root` (read from `signature_path`)."""
    problems: list[Finding] = []
    certs = _embedded_certs(signature)
    signed_info = signature.find(_ds("SignedInfo"))
    references = signed_info.findall(_ds("Reference")) if signed_info is not None else []
    packaging, detached_uris = _packaging(root, signature, references)
    allowed: dict[str, Path] = {}
    missing: str | None = None
    signed_file: Path | None = None
    for uri in detached_uris:
        target = resolve_reference(uri, signature_path, detached_of if len(detached_uris) == 1 else None)
        if target is None:
            missing = unquote(uri)
            problems.append(Finding.of(Remark.SIGNED_DOCUMENT_MISSING, name=missing))
        else:
            allowed[uri] = allowed[unquote(uri)] = target
            signed_file = signed_file or target
    if not references:
        problems.append(Finding(Remark.XML_NO_REFERENCE))
    if not certs:
        problems.append(Finding(Remark.XML_NO_CERTIFICATE))

    signer: asn1_x509.Certificate | None = None
    valid = False
    if references and certs and missing is None:
        register_ids(root)
        for cert in certs:
            if _xmlsec_verify(signature, cert, allowed):
                signer, valid = cert, True
                break
        if not valid:
            problems.append(Finding(Remark.XML_SIGNATURE_INVALID))
    if signer is None and certs:
        signer = certs[0]
    others = tuple(c for c in certs if c is not signer)

    # -- XAdES -------------------------------------------------------------------------------
    props, props_signed = _signed_properties(signature, references)
    ades, reason = True, None
    sign_time: dt.datetime | None = None
    cert_ok: bool | None = None
    if props is None:
        ades, reason = False, NotAdes.XADES_NO_SIGNED_PROPERTIES
    elif not props_signed:
        ades, reason = False, NotAdes.XADES_SIGNED_PROPERTIES_NOT_SIGNED
    else:
        sign_time = _signing_time(props, problems)
        cert_node = props.find(f".//{_xa('SigningCertificateV2')}")
        if cert_node is None:
            cert_node = props.find(f".//{_xa('SigningCertificate')}")
        if cert_node is None:
            ades, reason = False, NotAdes.XADES_NO_SIGNING_CERTIFICATE
        elif signer is not None:
            cert_ok = _signing_certificate_matches(cert_node, signer, problems)
        if ades and sign_time is None:
            ades, reason = False, NotAdes.XADES_NO_SIGNING_TIME
    token, imprint_input = _signature_timestamp(signature, problems)
    crls, ocsps = _revocation_values(signature)
    level = ""
    if ades:
        level = "B-B"
        if token is not None:
            level = "B-T"
            if signature.find(f".//{_xa('CertificateValues')}") is not None and (crls or ocsps):
                level = "B-LT"
                if signature.find(f".//{{{XADES141}}}ArchiveTimeStamp") is not None:
                    level = "B-LTA"
    stamps: tuple[Any, ...] = ()
    if any(True for _ in signature.iter(f"{{{XADES141}}}ArchiveTimeStamp", _xa("ArchiveTimeStamp"))):
        from assistant.signing.archive_xades import ArchiveStamp, archive_stamps

        try:
            stamps = tuple(archive_stamps(root, signature, allowed))
        except Exception:  # a damaged stamp: said of the stamp, the signature's own facts stay
            stamps = (ArchiveStamp(None, None, ""),)
    return XmlFacts(
        signer_cert=signer,
        other_certs=others,
        valid=valid,
        packaging=packaging,
        signed_file=signed_file,
        missing_file=missing,
        ades=ades,
        not_ades=reason,
        level=level,
        claimed_signing_time=sign_time,
        signing_certificate_ok=cert_ok,
        timestamp_token=token,
        timestamp_imprint_input=imprint_input,
        embedded_crls=crls,
        embedded_ocsps=ocsps,
        problems=tuple(problems),
        archive_stamps=stamps,
        embedded_certs=_certificate_values(signature),
    )


# --------------------------------------------------------------------------------------------
# libxmlsec1


def _xmlsec_verify(signature: Any, cert: asn1_x509.Certificate, allowed: dict[str, Path]) -> bool:
    import xmlsec

    try:
        key = xmlsec.Key.from_memory(cert.dump(), xmlsec.constants.KeyDataFormatCertDer)
    except xmlsec.Error:
        return False
    ctx = xmlsec.SignatureContext()
    ctx.key = key
    with only_files(allowed):
        try:
            ctx.verify(signature)
        except xmlsec.Error:
            return False
    return True


@contextmanager
def only_files(allowed: dict[str, Path]) -> Iterator[None]:
    """libxmlsec1 may open the allowed detached files, and nothing else, while inside."""
    import xmlsec

    def match(name: bytes) -> bool:
        return True  # every external URI comes to us, so that the defaults never open one

    def open_(name: bytes) -> BinaryIO | None:
        text = name.decode("utf-8", "replace")
        target = allowed.get(text) or allowed.get(unquote(text))
        if target is None:
            return None  # libxmlsec1 then fails the reference
        return open(target, "rb")

    def read(handle: BinaryIO | None, buffer: memoryview) -> int:
        if handle is None:
            return -1
        return handle.readinto(buffer) or 0  # type: ignore[attr-defined]

    def close(handle: BinaryIO | None) -> None:
        if handle is not None:
            handle.close()

    with _IO_LOCK:
        xmlsec.cleanup_callbacks()
        xmlsec.register_callbacks(match, open_, read, close)
        try:
            yield
        finally:
            xmlsec.cleanup_callbacks()
            xmlsec.register_callbacks(match, lambda _n: None, read, close)


def register_ids(root: Any) -> None:
    """Declare Id attributes as XML IDs so that URI="#…" references resolve (as xmlsec1 --id-attr)."""
    import xmlsec

    ctx = xmlsec.SignatureContext()
    seen: set[str] = set()
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        for attribute in _ID_ATTRIBUTES:
            value = node.get(attribute)
            if value is None:
                continue
            if value in seen:
                continue  # a duplicate Id: libxmlsec1 then refuses the ambiguous reference
            seen.add(value)
            with suppress(xmlsec.Error):
                ctx.register_id(node, attribute)


# --------------------------------------------------------------------------------------------
# Structure


def _embedded_certs(signature: Any) -> list[asn1_x509.Certificate]:
    certs: list[asn1_x509.Certificate] = []
    for node in signature.findall(f"{_ds('KeyInfo')}/{_ds('X509Data')}/{_ds('X509Certificate')}"):
        try:
            cert = asn1_x509.Certificate.load(base64.b64decode("".join((node.text or "").split()), validate=True))
            cert.native  # noqa: B018 - parse it now so that a broken one is skipped here
        except Exception:  # noqa: S112 - an unreadable certificate is not the signer's; the others are tried
            continue
        certs.append(cert)
    return certs


def _certificate_values(signature: Any) -> tuple[asn1_x509.Certificate, ...]:
    certs: list[asn1_x509.Certificate] = []
    for node in signature.iter(_xa("EncapsulatedX509Certificate")):
        try:
            cert = asn1_x509.Certificate.load(base64.b64decode("".join((node.text or "").split()), validate=True))
            cert.native  # noqa: B018 - parse it now so that a broken one is skipped here
        except Exception:  # noqa: S112 - an unreadable certificate is left out; the others serve
            continue
        certs.append(cert)
    return tuple(certs)


def _packaging(root: Any, signature: Any, references: list[Any]) -> tuple[str, list[str]]:
    """How the signature holds what it signs, and the external URIs it names."""
    detached: list[str] = []
    enveloped = False
    enveloping = False
    for ref in references:
        uri = ref.get("URI")
        if uri is None or uri == "" or uri.startswith("#xpointer("):
            enveloped = True
            continue
        if uri.startswith("#"):
            wanted = uri[1:]
            target = next((n for n in root.iter() if isinstance(n.tag, str) and wanted in _ids(n)), None)
            if target is None or _is_signed_properties(target):
                continue
            if _inside(target, signature):
                enveloping = True
            else:
                enveloped = True
            continue
        detached.append(uri)
    if detached:
        return "détachée", detached
    if enveloped:
        return "enveloppée", detached
    if enveloping:
        return "enveloppante", detached
    return "enveloppée", detached


def _ids(node: Any) -> tuple[str, ...]:
    return tuple(v for a in _ID_ATTRIBUTES if (v := node.get(a)) is not None)


def _inside(node: Any, ancestor: Any) -> bool:
    while node is not None:
        if node is ancestor:
            return True
        node = node.getparent()
    return False


def _is_signed_properties(node: Any) -> bool:
    return bool(node.tag == _xa("SignedProperties"))


def _signed_properties(signature: Any, references: list[Any]) -> tuple[Any | None, bool]:
    """The xades:SignedProperties of this signature, and whether a signed reference covers it."""
    props = None
    for qualifying in signature.iter(_xa("QualifyingProperties")):
        target = (qualifying.get("Target") or "").lstrip("#")
        if target and target not in _ids(signature):
            continue
        props = qualifying.find(_xa("SignedProperties"))
        if props is not None:
            break
    if props is None:
        return None, False
    ids = set(_ids(props))
    covered = any((ref.get("URI") or "")[1:] in ids for ref in references if (ref.get("URI") or "").startswith("#"))
    return props, covered


def _signing_time(props: Any, problems: list[Finding]) -> dt.datetime | None:
    node = props.find(f".//{_xa('SigningTime')}")
    if node is None or not node.text:
        return None
    try:
        value = dt.datetime.fromisoformat(node.text.strip().replace("Z", "+00:00"))
    except ValueError:
        problems.append(Finding(Remark.SIGNING_TIME_UNREADABLE))
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _signing_certificate_matches(node: Any, signer: asn1_x509.Certificate, problems: list[Finding]) -> bool:
    """Some Cert of SigningCertificate(V2) names the signer's certificate by the digest it declares."""
    der = signer.dump()
    for cert in node.findall(_xa("Cert")):
        method = cert.find(f"{_xa('CertDigest')}/{_ds('DigestMethod')}")
        value = cert.find(f"{_xa('CertDigest')}/{_ds('DigestValue')}")
        if method is None or value is None or not value.text:
            continue
        name = DIGESTS.get(method.get("Algorithm", ""))
        if name is None:
            problems.append(Finding.of(Remark.CERTIFICATE_DIGEST_UNSUPPORTED, algorithm=method.get("Algorithm")))
            return False
        try:
            expected = base64.b64decode("".join(value.text.split()))
        except ValueError:
            continue
        if hashlib.new(name, der).digest() == expected:
            return True
    problems.append(Finding(Remark.SIGNING_CERTIFICATE_MISMATCH))
    return False


def _signature_timestamp(signature: Any, problems: list[Finding]) -> tuple[cms.ContentInfo | None, bytes | None]:
    from lxml import etree

    stamp = signature.find(f".//{_xa('SignatureTimeStamp')}")
    if stamp is None:
        return None, None
    encapsulated = stamp.find(_xa("EncapsulatedTimeStamp"))
    value = signature.find(_ds("SignatureValue"))
    try:
        assert encapsulated is not None and encapsulated.text and value is not None
        token = cms.ContentInfo.load(base64.b64decode("".join(encapsulated.text.split())))
        token["content"]["encap_content_info"]
    except Exception:
        problems.append(Finding(Remark.TIMESTAMP_UNREADABLE))
        return None, None
    method = stamp.find(_ds("CanonicalizationMethod"))
    uri = method.get("Algorithm", "") if method is not None else "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
    exclusive, comments = C14N.get(uri, (False, False))
    data = bytes(etree.tostring(value, method="c14n", exclusive=exclusive, with_comments=comments))
    return token, data


def _revocation_values(signature: Any) -> tuple[tuple[bytes, ...], tuple[bytes, ...]]:
    def values(tag: str) -> tuple[bytes, ...]:
        out = []
        for node in signature.iter(_xa(tag)):
            try:
                out.append(base64.b64decode("".join((node.text or "").split())))
            except ValueError:
                continue
        return tuple(out)

    return values("EncapsulatedCRLValue"), values("EncapsulatedOCSPValue")


def resolve_reference(uri: str, signature_path: Path, detached_of: Path | None) -> Path | None:
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
