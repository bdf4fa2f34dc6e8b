"""Detached CAdES-BES (and B-T): a DER CMS SignedData `.p7s` over any file.

Built with asn1crypto from the file's streamed digest, so the file is read once whatever its size.
Signed attributes are those of CAdES-BES / ETSI EN 319 122-1 baseline B: content-type,
message-digest, signing-time and signingCertificateV2 (which binds the signer's certificate to the
signature, so it cannot be swapped for another certificate of the same key). The only private-key
operation is `Credential.sign` over the DER of the signed attributes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable

from asn1crypto import cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from assistant.keystores.base import Credential, SignatureMechanism
from assistant.signing.mechanisms import choose_mechanism, cms_signature_algorithm
from assistant.signing.validation_data import ValidationData

#: Returns an RFC 3161 token (a CMS ContentInfo) for a SHA-256 digest.
Timestamper = Callable[[bytes], cms.ContentInfo]


def _asn1_cert(cert: object) -> asn1_x509.Certificate:
    assert isinstance(cert, x509.Certificate)
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def signing_certificate_v2(cert: asn1_x509.Certificate) -> tsp.SigningCertificateV2:
    """ESS signingCertificateV2 with SHA-256 and the issuer/serial of the certificate."""
    return tsp.SigningCertificateV2(
        {
            "certs": [
                {
                    "hash_algorithm": {"algorithm": "sha256"},
                    "cert_hash": hashlib.sha256(cert.dump()).digest(),
                    "issuer_serial": {
                        "issuer": [asn1_x509.GeneralName({"directory_name": cert.issuer})],
                        "serial_number": cert.serial_number,
                    },
                }
            ]
        }
    )


def _sorted_set(attributes: list[cms.CMSAttribute]) -> cms.CMSAttributes:
    """DER orders a SET OF by encoding; OpenSSL re-encodes signed attributes before verifying."""
    return cms.CMSAttributes(sorted(attributes, key=lambda attr: attr.dump()))


def build_signed_attributes(
    digest: bytes, hash_name: str, cert: asn1_x509.Certificate, signing_time: dt.datetime
) -> cms.CMSAttributes:
    return _sorted_set(
        [
            cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
            cms.CMSAttribute({"type": "message_digest", "values": [digest]}),
            cms.CMSAttribute({"type": "signing_time", "values": [cms.Time({"utc_time": signing_time})]}),
            cms.CMSAttribute({"type": "signing_certificate_v2", "values": [signing_certificate_v2(cert)]}),
        ]
    )


def sign_digest_cades(
    credential: Credential,
    digest: bytes,
    *,
    mechanism: SignatureMechanism | None = None,
    signing_time: dt.datetime | None = None,
    timestamper: Timestamper | None = None,
    chain: list[x509.Certificate] | None = None,
) -> bytes:
    """Return the DER of a detached CAdES signature over content whose digest is `digest`.

    `digest` must be of `mechanism.hash` (SHA-256 by default). With a `timestamper`, the
    signature-time-stamp unsigned attribute (level B-T) is added over the signature value.
    """
    mech = choose_mechanism(credential, mechanism)
    if len(digest) != mech.hash.digest_size:
        raise ValueError("digest length does not match the signature hash")
    hash_name = mech.hash.value
    signing_time = (signing_time or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    cert = _asn1_cert(credential.certificate)
    signed_attrs = build_signed_attributes(digest, hash_name, cert, signing_time)
    signature = credential.sign(signed_attrs.dump(), mech)

    signer_info: dict[str, object] = {
        "version": "v1",
        "sid": cms.SignerIdentifier(
            {"issuer_and_serial_number": {"issuer": cert.issuer, "serial_number": cert.serial_number}}
        ),
        "digest_algorithm": {"algorithm": hash_name},
        "signed_attrs": signed_attrs,
        "signature_algorithm": cms_signature_algorithm(mech),
        "signature": signature,
    }
    if timestamper is not None:
        token = timestamper(hashlib.sha256(signature).digest())
        signer_info["unsigned_attrs"] = cms.CMSAttributes(
            [cms.CMSAttribute({"type": "signature_time_stamp_token", "values": [token]})]
        )

    if chain is None:
        from assistant.signing.chain import signing_chain

        chain = signing_chain(credential)
    certificates = [cert] + [_asn1_cert(c) for c in chain]
    signed_data = cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [{"algorithm": hash_name}],
            "encap_content_info": {"content_type": "data"},
            "certificates": [cms.CertificateChoices({"certificate": c}) for c in _unique(certificates)],
            "signer_infos": [cms.SignerInfo(signer_info)],
        }
    )
    return bytes(cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump())


def _unique(certs: list[asn1_x509.Certificate]) -> list[asn1_x509.Certificate]:
    seen: set[bytes] = set()
    out: list[asn1_x509.Certificate] = []
    for cert in certs:
        key = cert.sha256
        if key not in seen:
            seen.add(key)
            out.append(cert)
    return out


def timestamp_token_of(der: bytes) -> cms.ContentInfo | None:
    """The signature-time-stamp token of a CAdES signature, if any (for verification and tests)."""
    info = cms.ContentInfo.load(der)
    signer = info["content"]["signer_infos"][0]
    unsigned = signer["unsigned_attrs"]
    if isinstance(unsigned, core.Void):
        return None
    for attr in unsigned:
        if attr["type"].native == "signature_time_stamp_token":
            token = attr["values"][0]
            assert isinstance(token, cms.ContentInfo)
            return token
    return None


OCSP_RESPONSE_FORMAT = "1.3.6.1.5.5.7.16.2"  # id-ri-ocsp-response (RFC 5940)


def add_validation_data(der: bytes, data: ValidationData) -> bytes:
    """A B-T CAdES made B-LT: the paths' certificates and their CRL/OCSP answers in SignedData.

    SignedData.certificates and .crls are outside what the signature covers, as EN 319 122-1
    5.5.1 intends: adding them does not touch the signature value or its timestamp.
    """
    info = cms.ContentInfo.load(der)
    signed_data = info["content"]
    existing = [c.chosen for c in signed_data["certificates"] if c.name == "certificate"]
    certificates = _unique([*existing, *data.certificates])
    revocation: list[cms.RevocationInfoChoice] = [cms.RevocationInfoChoice({"crl": crl}) for crl in data.crls]
    for response in data.ocsps:
        other = cms.OtherRevocationInfoFormat(
            {"other_rev_info_format": OCSP_RESPONSE_FORMAT, "other_rev_info": response}
        )
        revocation.append(cms.RevocationInfoChoice({"other": other}))
    fields = {
        "version": signed_data["version"],
        "digest_algorithms": signed_data["digest_algorithms"],
        "encap_content_info": signed_data["encap_content_info"],
        "certificates": [cms.CertificateChoices({"certificate": c}) for c in certificates],
        "crls": cms.RevocationInfoChoices(revocation),
        "signer_infos": signed_data["signer_infos"],
    }
    return bytes(cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData(fields)}).dump())
