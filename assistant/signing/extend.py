"""Renewing a B-LTA: a new archive timestamp over a signature that has one already (CAdES and
XAdES by our archive code; PAdES by pyHanko's document timestamp chain update).

An archive timestamp keeps a signature provable while its algorithms and its authorities' servers
last; before its own TSA certificate expires or its algorithms weaken, a new one is laid over the
whole (EN 319 122-1 5.5.3, EN 319 132-1 5.5.2: each archive timestamp covers the earlier ones and
their validation data). Verification then judges the older stamp at the time of the newer one.

The signature is verified first (with the user's anchors, without fetching): a signature that does
not verify, or whose archive timestamps do not, is not renewed — a new stamp would only prove that
a broken file existed. The result is a new file beside the original, which is left untouched.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

from cryptography import x509

from assistant.errors import AssistantError, InputFileError
from assistant.i18n import M_
from assistant.signing.errors import SigningCode
from assistant.signing.formats import SignFormat

__all__ = ["extend_archive"]

MAX_SIGNATURE = 64 << 20  # the signature file itself (a detached document is hashed by streaming)


def extend_archive(
    signature: Path,
    tsa_url: str,
    *,
    detached_of: Path | None = None,
    trust_roots: Sequence[x509.Certificate] | None = None,
    extra_trust_roots: Sequence[x509.Certificate] | None = None,
) -> Path:
    """Add an archive timestamp to the B-LTA `signature`; return the new file (written beside it)."""
    from assistant.signing.output import write_new_file
    from assistant.signing.timestamp import TsaClient
    from assistant.signing.verify import verify_file

    tsa = TsaClient(tsa_url)  # checks the URL before any work
    report = verify_file(
        signature,
        detached_of=detached_of,
        trust_roots=list(trust_roots) if trust_roots is not None else None,
        extra_trust_roots=list(extra_trust_roots) if extra_trust_roots else None,
    )
    if report.format is SignFormat.PADES:
        return _extend_pades(signature, report, tsa, trust_roots)
    if len(report.signatures) != 1 or report.format not in (SignFormat.CADES, SignFormat.XADES):
        raise _refused(signature, M_("seules les signatures CAdES et XAdES à un signataire peuvent être prolongées"))
    sig = report.signatures[0]
    if not sig.archive_timestamps:
        raise _refused(signature, M_("elle n'a pas d'horodatage d'archive (signez-la en B-LTA)"))
    if not sig.ok or not all(stamp.valid for stamp in sig.archive_timestamps):
        raise _refused(signature, M_("elle ne se vérifie pas (voyez le rapport de vérification)"))
    data = signature.read_bytes()
    # The document as verification found it (the one named, or the one beside the signature).
    document = report.signed_file or detached_of
    if report.format is SignFormat.CADES:
        blob = _extend_cades(data, signature, document, tsa, trust_roots)
    else:
        blob = _extend_xades(data, signature, document, tsa, trust_roots)

    def write(out: BinaryIO) -> None:
        out.write(blob)

    return write_new_file(signature, write)


def _refused(path: Path, why: Any) -> InputFileError:
    return InputFileError(
        M_("Impossible d'ajouter un horodatage d'archive à {name} : {why}.", name=path.name, why=why),
        code=SigningCode.NOT_ARCHIVABLE,
    )


def _validation_for(trust_roots: Sequence[x509.Certificate] | None, name: str) -> Any:
    from assistant.signing import validation_data

    return lambda token: validation_data.for_timestamp(token, [], trust_roots, "B-LTA", name)


def _extend_cades(
    data: bytes, path: Path, detached_of: Path | None, tsa: Any, trust_roots: Sequence[x509.Certificate] | None
) -> bytes:
    from asn1crypto import cms

    from assistant.signing import archive_cades

    info = cms.ContentInfo.load(data)
    content = info["content"]["encap_content_info"]["content"]

    def content_hash(algorithm: str) -> bytes:
        if content.native is not None:
            return hashlib.new(algorithm, content.native).digest()
        if detached_of is None:
            raise _refused(path, M_("le document signé est introuvable (indiquez-le avec --detached-of)"))
        hasher = hashlib.new(algorithm)
        with open(detached_of, "rb") as fh:
            while chunk := fh.read(1 << 20):
                hasher.update(chunk)
        return hasher.digest()

    return archive_cades.add_archive_timestamp(
        info.dump(), content_hash, tsa, validation_for=_validation_for(trust_roots, path.name)
    )


def _extend_xades(
    data: bytes, path: Path, detached_of: Path | None, tsa: Any, trust_roots: Sequence[x509.Certificate] | None
) -> bytes:
    from urllib.parse import unquote

    from lxml import etree

    from assistant.signing import archive_xades
    from assistant.signing.verify_xml import _ds, _packaging, resolve_reference

    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    signature = root if root.tag == _ds("Signature") else next(root.iter(_ds("Signature")))
    signed_info = signature.find(_ds("SignedInfo"))
    references = signed_info.findall(_ds("Reference")) if signed_info is not None else []
    _packaging_kind, uris = _packaging(root, signature, references)
    files: dict[str, Path] = {}
    for uri in uris:
        target = resolve_reference(uri, path, detached_of if len(uris) == 1 else None)
        if target is None:
            raise _refused(path, M_("le document signé est introuvable (indiquez-le avec --detached-of)"))
        files[uri] = files[unquote(uri)] = target
    return archive_xades.add_archive_timestamp(data, files, tsa, validation_for=_validation_for(trust_roots, path.name))


def _extend_pades(path: Path, report: Any, tsa: Any, trust_roots: Sequence[x509.Certificate] | None) -> Path:
    """PAdES: pyHanko validates the last document timestamp, stores its validation data in the DSS
    and adds a new document timestamp, as an incremental update (the signed revisions untouched)."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.signers.pdf_signer import PdfTimeStamper
    from pyhanko_certvalidator import ValidationContext

    from assistant.signing.anchors import split_anchors, system_roots
    from assistant.signing.output import write_new_file
    from assistant.signing.pyhanko_fetchers import fetcher_backend
    from assistant.signing.timestamp import PyHankoTimeStamper
    from assistant.signing.validation_data import _asn1

    signatures = [s for s in report.signatures if s.sub_filter != "ETSI.RFC3161"]  # not the stamps
    if not signatures or any(s.level != "B-LTA" for s in signatures):
        raise _refused(path, M_("elle n'a pas d'horodatage d'archive (signez-la en B-LTA)"))
    # The signatures themselves; the last document timestamp is validated by pyHanko below.
    if not all(s.ok for s in signatures):
        raise _refused(path, M_("elle ne se vérifie pas (voyez le rapport de vérification)"))
    roots, intermediates = split_anchors(list(trust_roots)) if trust_roots is not None else ([], [])
    context = ValidationContext(
        trust_roots=[_asn1(c) for c in roots] if trust_roots is not None else system_roots(),
        other_certs=[_asn1(c) for c in intermediates],
        allow_fetching=True,
        fetcher_backend=fetcher_backend(),
        revocation_mode="hard-fail",
    )

    def write(out: BinaryIO) -> None:
        with open(path, "rb") as source:
            reader = PdfFileReader(source)
            PdfTimeStamper(PyHankoTimeStamper(tsa)).update_archival_timestamp_chain(
                reader, context, in_place=False, output=out
            )

    try:
        return write_new_file(path, write)
    except Exception as exc:
        if isinstance(exc, AssistantError):
            raise
        raise _refused(
            path, M_("le dernier horodatage de document ou ses données de révocation n'ont pas pu être validés")
        ) from exc
