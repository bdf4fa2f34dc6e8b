"""PAdES (B-B, B-T): a signed copy of a PDF, written beside the original.

pyHanko does the PDF work; its `Signer` interface hides where the key lives, and
`CredentialSigner` plugs our `Credential` into it, so a smart-card key signs exactly like a file
key. The signature is an incremental update: an already-signed PDF keeps its earlier signatures
valid (co-signature). The original file is only read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign import fields, signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.general import SigningError
from pyhanko_certvalidator.registry import SimpleCertificateStore

from assistant.errors import AssistantError, InputFileError
from assistant.i18n import M_
from assistant.keystores.base import Credential, SignatureMechanism
from assistant.signing.errors import SigningCode
from assistant.signing.mechanisms import choose_mechanism, cms_signature_algorithm, signature_size_estimate
from assistant.signing.stamp import VisibleSignature
from assistant.signing.timestamp import PyHankoTimeStamper, TsaClient


def _asn1(cert: object) -> asn1_x509.Certificate:
    assert isinstance(cert, x509.Certificate)
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


class CredentialSigner(signers.Signer):
    """A pyHanko signer whose raw signature comes from `Credential.sign` (the key never leaves).

    pyHanko asks for a "dry run" signature to size the PDF placeholder: we answer with zeros of
    the right length rather than use the key, so a card that wants its PIN for every signature is
    asked once per file, not twice.
    """

    def __init__(
        self,
        credential: Credential,
        mechanism: SignatureMechanism | None = None,
        chain: list[x509.Certificate] | None = None,
    ) -> None:
        from assistant.signing.chain import signing_chain

        chain = signing_chain(credential) if chain is None else chain
        self._credential = credential
        self._mechanism = choose_mechanism(credential, mechanism)
        super().__init__(
            signing_cert=_asn1(credential.certificate),
            cert_registry=SimpleCertificateStore.from_certs([_asn1(c) for c in chain]),  # type: ignore[no-untyped-call]
            signature_mechanism=cms_signature_algorithm(self._mechanism),
            embed_roots=True,
        )

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        if digest_algorithm != self._mechanism.hash.value:
            raise ValueError(f"unexpected digest algorithm {digest_algorithm}")
        if dry_run:
            return bytes(signature_size_estimate(self._credential))
        return self._credential.sign(data, self._mechanism)


def _not_a_pdf(name: str, exc: BaseException | None = None) -> InputFileError:
    return InputFileError(
        M_(
            "Le fichier {name} n'est pas un PDF valide ou il est endommagé : il ne peut pas être signé en PAdES (choisissez CAdES ou XAdES pour le signer tel quel).",
            name=name,
        ),
        code=SigningCode.CORRUPT_PDF,
    )


def open_pdf(source: BinaryIO, name: str) -> IncrementalPdfFileWriter:
    """An incremental writer over the source, refusing what we cannot sign correctly."""
    head = source.read(1024)
    source.seek(0)
    if b"%PDF-" not in head:
        raise _not_a_pdf(name)
    try:
        writer = IncrementalPdfFileWriter(source, strict=False)
    except (PdfError, ValueError, KeyError, IndexError, TypeError, OSError) as exc:
        raise _not_a_pdf(name, exc) from exc
    if writer.prev.encrypted:
        raise InputFileError(
            M_(
                "Le PDF {name} est protégé par un mot de passe ou chiffré : retirez la protection puis signez-le, ou signez-le en CAdES ou XAdES.",
                name=name,
            ),
            code=SigningCode.ENCRYPTED_PDF,
        )
    return writer


def existing_signature_count(writer: IncrementalPdfFileWriter) -> int:
    return sum(1 for _ in fields.enumerate_sig_fields(writer.prev, filled_status=True))


def _free_field_name(writer: IncrementalPdfFileWriter) -> str:
    taken = {name for name, _value, _ref in fields.enumerate_sig_fields(writer.prev)}
    number = 1
    while f"Signature{number}" in taken:
        number += 1
    return f"Signature{number}"


def count_signatures(path: Path) -> int:
    """Signatures already inside a PDF (0 for an unreadable one: the signing step will say why)."""
    try:
        with open(path, "rb") as fh:
            return existing_signature_count(open_pdf(fh, path.name))
    except (InputFileError, OSError, PdfError):
        return 0


def sign_pdf(
    credential: Credential,
    source: BinaryIO,
    output: BinaryIO,
    name: str,
    *,
    mechanism: SignatureMechanism | None = None,
    tsa: TsaClient | PyHankoTimeStamper | None = None,
    chain: list[x509.Certificate] | None = None,
    level: str = "B-B",
    trust_roots: Sequence[x509.Certificate] | None = None,
    visible: VisibleSignature | None = None,
) -> None:
    """Write the signed PDF to `output` (the caller publishes it only if this returns).

    Pass a `PyHankoTimeStamper` to share it across a batch: pyHanko sizes the signature with a
    "dummy" timestamp that the timestamper caches, one TSA request per batch instead of per file.

    B-LT embeds the chain and its revocation data (CRL/OCSP fetched from the addresses in the
    certificates) in the document security store; B-LTA adds a document timestamp over it.
    Both need `trust_roots` (the chain must end somewhere known) and fail rather than embed
    nothing when revocation data cannot be fetched.

    `visible` draws a stamp (name, date, optional scanned signature) in a new field at the chosen
    place; without it the signature is invisible, as before.
    """
    writer = open_pdf(source, name)
    if _forbids_changes(writer):
        raise InputFileError(
            M_(
                "Le PDF {name} a été certifié par son auteur sans autoriser de modification : il n'accepte plus de signature PAdES (signez-le en CAdES ou XAdES).",
                name=name,
            ),
            code=SigningCode.PDF_LOCKED,
        )
    signer = CredentialSigner(credential, mechanism, chain)
    long_term = level in ("B-LT", "B-LTA")
    field_name = _free_field_name(writer)
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm=signer._mechanism.hash.value,
        subfilter=SigSeedSubFilter.PADES,
        embed_validation_info=long_term,
        use_pades_lta=level == "B-LTA",
        validation_context=_long_term_context(trust_roots, signer) if long_term else None,
    )
    timestamper = PyHankoTimeStamper(tsa) if isinstance(tsa, TsaClient) else tsa
    appearance: dict[str, Any] = {}
    if visible is not None:
        from assistant.signing import stamp

        spec = stamp.field_spec(writer, visible, field_name)
        appearance = {
            "stamp_style": stamp.stamp_style(visible, spec.box),
            "new_field_spec": spec,
        }
    pdf_signer = signers.PdfSigner(meta, signer=signer, timestamper=timestamper, **appearance)
    text = stamp_text_params(visible, credential) if visible is not None else None
    try:
        asyncio.run(pdf_signer.async_sign_pdf(writer, output=output, appearance_text_params=text))
    except PdfError as exc:
        raise _not_a_pdf(name, exc) from exc
    except SigningError as exc:
        if long_term and "validated" in str(exc):
            raise AssistantError(
                M_(
                    "Le niveau {level} n'a pas pu être atteint pour {name} : la chaîne du certificat ou ses informations de révocation (CRL/OCSP) n'ont pas pu être obtenues. Vérifiez la connexion, les autorités de confiance, ou signez en B-T.",
                    level=level,
                    name=name,
                ),
                code=SigningCode.LONG_TERM_UNAVAILABLE,
            ) from exc
        raise InputFileError(
            M_(
                "Le PDF {name} ne peut pas être signé en PAdES : {exc}. Signez-le en CAdES ou XAdES.",
                name=name,
                exc=exc,
            ),
            code=SigningCode.PDF_NOT_SIGNABLE,
        ) from exc


def stamp_text_params(visible: VisibleSignature, credential: Credential) -> dict[str, str]:
    from assistant.keystores.names import common_name
    from assistant.signing import stamp

    return stamp.text_params(visible, common_name(credential.certificate.subject))


def _long_term_context(trust_roots: Sequence[x509.Certificate] | None, signer: CredentialSigner) -> Any:
    from pyhanko_certvalidator import ValidationContext

    from assistant.signing.pyhanko_fetchers import fetcher_backend

    kwargs: dict[str, Any] = {
        "allow_fetching": True,
        # The one transport (trust, proxies, redirect rule), not pyHanko's own connections.
        "fetcher_backend": fetcher_backend(),
        "revocation_mode": "hard-fail",
        "other_certs": list(signer.cert_registry),
    }
    if trust_roots is not None:
        from assistant.signing.anchors import split_anchors

        roots, intermediates = split_anchors(trust_roots)  # a named CA is an intermediate
        kwargs["trust_roots"] = [_asn1(c) for c in roots]
        kwargs["other_certs"].extend(_asn1(c) for c in intermediates)
    return ValidationContext(**kwargs)


def _forbids_changes(writer: IncrementalPdfFileWriter) -> bool:
    """A certification signature with DocMDP level 1 ("no changes") closes the document."""
    from pyhanko.sign.validation import read_certification_data

    try:
        data = read_certification_data(writer.prev)
    except (PdfError, KeyError, ValueError, TypeError):
        return False
    return data is not None and data.permission == fields.MDPPerm.NO_CHANGES
