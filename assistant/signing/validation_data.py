"""Validation data for long-term signatures (B-LT): the chains and their CRL/OCSP answers.

At signing time, the signer's certificate (and the timestamp authority's) are validated with
revocation checking required ("hard-fail"), fetching what is missing; what the validator used
(certificates of the paths, CRLs, OCSP responses) is then embedded in the signature, so that it
can be verified once the CA's servers are gone: in SignedData.certificates/crls for CAdES
(EN 319 122-1 5.5.1), in xades:CertificateValues/RevocationValues for XAdES (EN 319 132-1 5.5.1).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from assistant.errors import AssistantError
from assistant.i18n import M_
from assistant.signing.errors import SigningCode


@dataclass(frozen=True)
class ValidationData:
    certificates: tuple[asn1_x509.Certificate, ...]
    crls: tuple[Any, ...]  # asn1crypto crl.CertificateList
    ocsps: tuple[Any, ...]  # asn1crypto ocsp.OCSPResponse


def _asn1(cert: x509.Certificate | asn1_x509.Certificate) -> asn1_x509.Certificate:
    if isinstance(cert, asn1_x509.Certificate):
        return cert
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def collect(
    certificates: Sequence[x509.Certificate | asn1_x509.Certificate],
    intermediates: Sequence[x509.Certificate | asn1_x509.Certificate],
    trust_roots: Sequence[x509.Certificate] | None,
    level: str,
    name: str,
) -> ValidationData:
    """Validate each of `certificates` now, revocation required; return what the checks used."""
    from pyhanko_certvalidator import CertificateValidator, ValidationContext

    from assistant.signing.anchors import split_anchors
    from assistant.signing.pyhanko_fetchers import fetcher_backend

    roots, anchor_intermediates = split_anchors(trust_roots or [])  # a named CA is an intermediate
    others = [_asn1(c) for c in [*intermediates, *anchor_intermediates]]
    kwargs: dict[str, Any] = {
        "allow_fetching": True,
        # CRL, OCSP and issuer fetches go through the assistant's one transport.
        "fetcher_backend": fetcher_backend(),
        "revocation_mode": "hard-fail",
        "other_certs": others,
    }
    if trust_roots is not None:
        kwargs["trust_roots"] = [_asn1(c) for c in roots]
    else:
        from assistant.signing.anchors import system_roots

        kwargs["trust_roots"] = system_roots()
    context = ValidationContext(**kwargs)
    path_certs: list[asn1_x509.Certificate] = []
    for cert in certificates:
        validator = CertificateValidator(_asn1(cert), intermediate_certs=others, validation_context=context)
        try:
            path = asyncio.run(validator.async_validate_usage(set()))  # type: ignore[no-untyped-call]
        except Exception as exc:
            raise AssistantError(
                M_(
                    "Le niveau {level} n'a pas pu être atteint pour {name} : la chaîne du certificat ou ses informations de révocation (CRL/OCSP) n'ont pas pu être obtenues, ou le certificat est révoqué. Vérifiez la connexion, les autorités de confiance, ou signez en B-T.",
                    level=level,
                    name=name,
                ),
                code=SigningCode.LONG_TERM_UNAVAILABLE,
            ) from exc
        path_certs.extend(path)
    unique: dict[bytes, asn1_x509.Certificate] = {}
    for cert in path_certs:
        unique.setdefault(cert.sha256, cert)
    return ValidationData(tuple(unique.values()), tuple(context.crls), tuple(context.ocsps))


def timestamp_signer(token: Any) -> asn1_x509.Certificate | None:
    """The TSA's certificate in a timestamp token (the one its SignerInfo names)."""
    signed_data = token["content"]
    sid = signed_data["signer_infos"][0]["sid"]
    for choice in signed_data["certificates"]:
        cert = choice.chosen
        if sid.name == "issuer_and_serial_number":
            if cert.issuer == sid.chosen["issuer"] and cert.serial_number == sid.chosen["serial_number"].native:
                return cert  # type: ignore[no-any-return]
        elif cert.key_identifier == sid.chosen.native:
            return cert  # type: ignore[no-any-return]
    return None


def for_timestamp(
    token: Any,
    intermediates: Sequence[x509.Certificate | asn1_x509.Certificate],
    trust_roots: Sequence[x509.Certificate] | None,
    level: str,
    name: str,
) -> ValidationData:
    """A timestamp's own validation data (its TSA's chain and revocation, now): B-LTA stores it
    with the archive timestamp so that the stamp outlives the TSA's revocation servers."""
    tsa_certs = [c.chosen for c in token["content"]["certificates"] if c.name == "certificate"]
    signer = timestamp_signer(token)
    return collect([signer] if signer is not None else [], [*intermediates, *tsa_certs], trust_roots, level, name)
