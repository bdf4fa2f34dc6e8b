"""B-LTA: the archive timestamp carries its own validation data (the TSA's chain and CRL), so it
stays verifiable once the TSA's revocation server is gone too.

CAdES keeps it in the archive token's SignedData.certificates/.crls, XAdES in an
xades141:TimeStampValidationData right after the xades141:ArchiveTimeStamp it names (URI).

Real parts: a TSA (`openssl ts -reply`) whose certificate names a CRL served on 127.0.0.1, the
signer's CRL from the same CA, `assistant verify` offline (no fetch happens), and pyhanko-certvalidator
in hard-fail mode, not allowed to fetch, as the reference: the archive token is trusted with the
data it carries and refused without it.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import cms, crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from lxml import etree

from assistant.signing import SignFormat, sign_files
from assistant.signing.verify import embedded_validation_data, verify_file
from tests import pki
from tests.signing.conftest import CrlPki, Tsa, serve_tsa, tsa_certificate

XADES = "http://uri.etsi.org/01903/v1.3.2#"
XADES141 = "http://uri.etsi.org/01903/v1.4.1#"
ARCHIVE_V3 = "0.4.0.1733.2.4"


@pytest.fixture
def tsa_with_crl(tmp_path: Path, test_pki: pki.TestPki, crl_pki: CrlPki) -> Iterator[Tsa]:
    """A TSA whose certificate names the CA's CRL (the crl_pki server) as its revocation source."""
    pki.require_tool("openssl")
    folder = tmp_path / "tsa-crl"
    folder.mkdir()
    cert_path, key_path = tsa_certificate(test_pki, folder, crl_url=crl_pki.url)
    with serve_tsa(folder, cert_path, key_path, test_pki) as state:
        yield state


def _archive_token(output: Path, fmt: SignFormat) -> tuple[cms.ContentInfo, list[Any]]:
    """(the archive token, the CRLs stored for it by the format's rule)."""
    if fmt is SignFormat.CADES:
        signer = cms.ContentInfo.load(output.read_bytes())["content"]["signer_infos"][0]
        stamps = [a for a in signer["unsigned_attrs"] if a["type"].dotted == ARCHIVE_V3]
        assert len(stamps) == 1
        token = cms.ContentInfo.load(stamps[0]["values"][0].dump())
        crls, _ocsps = embedded_validation_data(token["content"])
        return token, crls
    root = etree.fromstring(output.read_bytes())
    unsigned = root.find(f".//{{{XADES}}}UnsignedSignatureProperties")
    assert unsigned is not None
    children = list(unsigned)
    names = [etree.QName(n).localname for n in children]
    assert names[-2:] == ["ArchiveTimeStamp", "TimeStampValidationData"], names
    stamp, data = children[-2], children[-1]
    assert data.get("URI") == f"#{stamp.get('Id')}"  # names the stamp it serves
    encapsulated = stamp.find(f"{{{XADES}}}EncapsulatedTimeStamp")
    assert encapsulated is not None and encapsulated.text
    token = cms.ContentInfo.load(base64.b64decode(encapsulated.text))
    crls = [
        crl.CertificateList.load(base64.b64decode(n.text or "")) for n in data.iter(f"{{{XADES}}}EncapsulatedCRLValue")
    ]
    assert list(data.iter(f"{{{XADES}}}EncapsulatedX509Certificate"))  # the TSA's chain
    return token, crls


def _archive_imprint_trusted(token: cms.ContentInfo, crls: list[Any], test_pki: pki.TestPki) -> bool:
    """The reference: the token's TSA signature and chain, revocation required, nothing fetched."""
    from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
    from pyhanko.sign.validation.status import TimestampSignatureStatus
    from pyhanko_certvalidator import ValidationContext

    context = ValidationContext(
        trust_roots=[asn1_x509.Certificate.load(test_pki.root.cert_der)],
        other_certs=[c.chosen for c in token["content"]["certificates"]],
        allow_fetching=False,
        revocation_mode="hard-fail",
        crls=crls,
    )
    imprint = token["content"]["encap_content_info"]["content"].parsed["message_imprint"]["hashed_message"].native
    try:
        kwargs = asyncio.run(validate_tst_signed_data(token["content"], context, lambda _algorithm: imprint))
    except Exception:
        return False
    status = TimestampSignatureStatus(**kwargs)
    return bool(status.intact and status.valid and status.trusted)


@pytest.mark.parametrize("fmt", [SignFormat.CADES, SignFormat.XADES])
def test_the_archive_timestamp_carries_its_tsas_crl_and_validates_offline(
    tmp_path: Path, test_pki: pki.TestPki, crl_pki: CrlPki, tsa_with_crl: Tsa, fmt: SignFormat
) -> None:
    source = tmp_path / "Offre financière.xlsx"
    source.write_bytes(b"Prix unitaire ; 1000 EUR\n" * 300)
    result = sign_files(
        crl_pki.credential(crl_pki.good, test_pki),
        [source],
        fmt,
        level="B-LTA",
        tsa_url=tsa_with_crl.url,
        trust_roots=[test_pki.root.certificate],
    ).results[0]
    assert result.output is not None, result.error
    token, crls = _archive_token(result.output, fmt)
    assert crls, "the archive timestamp carries no CRL of its own"
    tsa_cert = x509.load_pem_x509_certificate(tsa_with_crl.cert.read_bytes())
    tsa_issuer = asn1_x509.Name.load(tsa_cert.issuer.public_bytes())
    assert any(c.issuer == tsa_issuer for c in crls)  # the CRL that covers the TSA's certificate
    # The reference, strict and offline: trusted with the token's own data, refused without it.
    assert _archive_imprint_trusted(token, crls, test_pki)
    assert not _archive_imprint_trusted(token, [], test_pki)

    fetched = len(crl_pki.fetched)
    sig = verify_file(result.output, trust_roots=[test_pki.root.certificate]).signatures[0]
    assert len(crl_pki.fetched) == fetched  # offline: nothing fetched from the CRL server
    assert sig.ok and sig.format_label == f"{fmt.etsi_name} B-LTA", sig.problems
    assert [s.valid for s in sig.archive_timestamps] == [True]
