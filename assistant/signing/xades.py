"""Detached XAdES-BES (and XAdES-T) over any file, the way French platforms expect it.

The XML-DSig is built here with lxml rather than with a library: libraries that sign XML want the
private key as bytes, and a smart card never gives it. Only `Credential.sign` touches the key.

Layout (ETSI EN 319 132-1 baseline B): one Reference to the file by its name (URI relative to the
signature, which is written in the same folder), its digest computed by our streamed hasher (a
generic library would try to parse the file as XML), one Reference to the SignedProperties
(SigningTime, SigningCertificateV2, DataObjectFormat), exclusive canonicalisation throughout, and
the certificate chain in KeyInfo/X509Data. Level T adds a SignatureTimeStamp over the
canonicalised SignatureValue in UnsignedSignatureProperties.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import uuid
from collections.abc import Callable
from urllib.parse import quote

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree

from assistant.i18n import M_
from assistant.keystores.base import Credential, HashAlgorithm, SignatureMechanism, SignatureScheme
from assistant.signing.errors import SigningCode
from assistant.signing.mechanisms import (
    XMLDSIG_DIGEST,
    choose_mechanism,
    ecdsa_raw_from_der,
    xmldsig_signature_method,
)
from assistant.signing.validation_data import ValidationData

DS = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
SIGNED_PROPERTIES_TYPE = "http://uri.etsi.org/01903#SignedProperties"
NSMAP = {"ds": DS, "xades": XADES}

#: Returns an RFC 3161 token (a CMS ContentInfo) for a SHA-256 digest.
Timestamper = Callable[[bytes], cms.ContentInfo]


def _ds(tag: str) -> str:
    return f"{{{DS}}}{tag}"


def _xa(tag: str) -> str:
    return f"{{{XADES}}}{tag}"


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrib: str) -> etree._Element:
    element = etree.SubElement(parent, tag, attrib)
    if text is not None:
        element.text = text
    return element


def c14n(element: etree._Element) -> bytes:
    """Exclusive XML canonicalisation (without comments) of one element."""
    return bytes(etree.tostring(element, method="c14n", exclusive=True, with_comments=False))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def reference_uri(file_name: str) -> str:
    """The file name (or relative path) as a URI: spaces, accents and quotes are percent-encoded."""
    return quote(file_name, safe="/")


def _issuer_serial_v2(cert: asn1_x509.Certificate) -> str:
    from asn1crypto import tsp

    issuer_serial = tsp.IssuerSerial(
        {"issuer": [asn1_x509.GeneralName({"directory_name": cert.issuer})], "serial_number": cert.serial_number}
    )
    return _b64(issuer_serial.dump())


def sign_digest_xades(
    credential: Credential,
    file_name: str,
    digest: bytes,
    *,
    mechanism: SignatureMechanism | None = None,
    signing_time: dt.datetime | None = None,
    timestamper: Timestamper | None = None,
    mime_type: str = "application/octet-stream",
    chain: list[x509.Certificate] | None = None,
) -> bytes:
    """Return the XML bytes of a detached XAdES signature of the file `file_name` (SHA-256 `digest`)."""
    mech = choose_mechanism(credential, mechanism)
    if mech.scheme is SignatureScheme.RSA_PSS:
        # The URI exists (RFC 6931) but common verifiers (xmlsec1 1.2, many platform validators)
        # reject it: a signature nobody can check is worse than a clear refusal.
        from assistant.errors import UsageError

        raise UsageError(
            M_("RSA-PSS n'est pas accepté par les vérificateurs XAdES courants : signez en PKCS#1 v1.5 ou en CAdES."),
            code=SigningCode.PSS_NOT_FOR_XADES,
        )
    if mech.hash not in XMLDSIG_DIGEST:
        raise ValueError("unsupported hash for XML-DSig")
    if len(digest) != mech.hash.digest_size:
        raise ValueError("digest length does not match the signature hash")
    digest_uri = XMLDSIG_DIGEST[mech.hash]
    signing_time = (signing_time or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    cert_der = credential.certificate.public_bytes(serialization.Encoding.DER)
    asn1_cert = asn1_x509.Certificate.load(cert_der)
    ident = uuid.uuid4().hex
    sig_id, props_id, ref_id, value_id = f"sig-{ident}", f"xades-{ident}", f"ref-{ident}", f"value-{ident}"

    signature = etree.Element(_ds("Signature"), nsmap={"ds": DS}, Id=sig_id)
    signed_info = _sub(signature, _ds("SignedInfo"))
    _sub(signed_info, _ds("CanonicalizationMethod"), Algorithm=EXC_C14N)
    _sub(signed_info, _ds("SignatureMethod"), Algorithm=xmldsig_signature_method(mech))
    file_ref = _sub(signed_info, _ds("Reference"), Id=ref_id, URI=reference_uri(file_name))
    _sub(file_ref, _ds("DigestMethod"), Algorithm=digest_uri)
    _sub(file_ref, _ds("DigestValue"), _b64(digest))
    props_ref = _sub(signed_info, _ds("Reference"), Type=SIGNED_PROPERTIES_TYPE, URI=f"#{props_id}")
    transforms = _sub(props_ref, _ds("Transforms"))
    _sub(transforms, _ds("Transform"), Algorithm=EXC_C14N)
    _sub(props_ref, _ds("DigestMethod"), Algorithm=digest_uri)
    props_digest = _sub(props_ref, _ds("DigestValue"))
    signature_value = _sub(signature, _ds("SignatureValue"), Id=value_id)

    key_info = _sub(signature, _ds("KeyInfo"))
    x509_data = _sub(key_info, _ds("X509Data"))
    if chain is None:
        from assistant.signing.chain import signing_chain

        chain = signing_chain(credential)
    for cert in [credential.certificate, *chain]:
        _sub(x509_data, _ds("X509Certificate"), _b64(cert.public_bytes(serialization.Encoding.DER)))

    obj = _sub(signature, _ds("Object"))
    qualifying = etree.SubElement(obj, _xa("QualifyingProperties"), {"Target": f"#{sig_id}"}, nsmap={"xades": XADES})
    signed_props = _sub(qualifying, _xa("SignedProperties"), Id=props_id)
    sig_props = _sub(signed_props, _xa("SignedSignatureProperties"))
    _sub(sig_props, _xa("SigningTime"), signing_time.strftime("%Y-%m-%dT%H:%M:%SZ"))
    cert_v2 = _sub(_sub(sig_props, _xa("SigningCertificateV2")), _xa("Cert"))
    cert_digest = _sub(cert_v2, _xa("CertDigest"))
    _sub(cert_digest, _ds("DigestMethod"), Algorithm=XMLDSIG_DIGEST[HashAlgorithm.SHA256])
    _sub(cert_digest, _ds("DigestValue"), _b64(hashlib.sha256(cert_der).digest()))
    _sub(cert_v2, _xa("IssuerSerialV2"), _issuer_serial_v2(asn1_cert))
    data_props = _sub(signed_props, _xa("SignedDataObjectProperties"))
    data_format = _sub(data_props, _xa("DataObjectFormat"), ObjectReference=f"#{ref_id}")
    _sub(data_format, _xa("MimeType"), mime_type)

    # Digest and signature are computed on the tree re-read from its own serialisation, so that
    # what we hash is exactly what a verifier will canonicalise.
    document = etree.fromstring(etree.tostring(signature))
    props_node = document.find(f".//{_xa('SignedProperties')}")
    assert props_node is not None
    props_value = hashlib.new(mech.hash.value, c14n(props_node)).digest()
    props_digest.text = _b64(props_value)
    document = etree.fromstring(etree.tostring(signature))
    signed_info_node = document.find(_ds("SignedInfo"))
    assert signed_info_node is not None
    raw = credential.sign(c14n(signed_info_node), mech)
    if mech.scheme is SignatureScheme.ECDSA:
        raw = ecdsa_raw_from_der(raw, credential.key_size)
    signature_value.text = _b64(raw)

    if timestamper is not None:
        document = etree.fromstring(etree.tostring(signature))
        value_node = document.find(_ds("SignatureValue"))
        assert value_node is not None
        token = timestamper(hashlib.sha256(c14n(value_node)).digest())
        unsigned = _sub(_sub(qualifying, _xa("UnsignedProperties")), _xa("UnsignedSignatureProperties"))
        stamp = _sub(unsigned, _xa("SignatureTimeStamp"), Id=f"ts-{ident}")
        _sub(stamp, _ds("CanonicalizationMethod"), Algorithm=EXC_C14N)
        _sub(stamp, _xa("EncapsulatedTimeStamp"), _b64(token.dump()))

    return bytes(etree.tostring(signature, xml_declaration=True, encoding="UTF-8"))


def add_validation_data(xml: bytes, data: ValidationData) -> bytes:
    """A B-T XAdES made B-LT: xades:CertificateValues and xades:RevocationValues (EN 319 132-1 5.5.1).

    They go into UnsignedSignatureProperties after the SignatureTimeStamp; the signed part and
    the timestamp are untouched (the document is re-serialised, not re-canonicalised).
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.fromstring(xml, parser)
    unsigned = root.find(f".//{_xa('UnsignedSignatureProperties')}")
    if unsigned is None:
        raise ValueError("B-LT needs a B-T signature (SignatureTimeStamp) first")
    fill_validation_data(unsigned, data)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def fill_validation_data(parent: etree._Element, data: ValidationData) -> None:
    """xades:CertificateValues and xades:RevocationValues appended to `parent` (the unsigned
    signature properties for B-LT, an xades141:TimeStampValidationData for a timestamp's own)."""
    values = _sub(parent, _xa("CertificateValues"))
    for cert in data.certificates:
        _sub(values, _xa("EncapsulatedX509Certificate"), _b64(cert.dump()))
    revocation = _sub(parent, _xa("RevocationValues"))
    if data.crls:
        crl_values = _sub(revocation, _xa("CRLValues"))
        for crl in data.crls:
            _sub(crl_values, _xa("EncapsulatedCRLValue"), _b64(crl.dump()))
    if data.ocsps:
        ocsp_values = _sub(revocation, _xa("OCSPValues"))
        for response in data.ocsps:
            _sub(ocsp_values, _xa("EncapsulatedOCSPValue"), _b64(response.dump()))
