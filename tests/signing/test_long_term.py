"""CAdES and XAdES at B-LT: validation data fetched at signing time (CRL from a local server, OCSP
from `openssl ocsp`), embedded, and enough to verify once those servers are gone."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest
from asn1crypto import cms
from asn1crypto import x509 as asn1_x509

from assistant.signing import SignFormat, sign_files
from assistant.signing.verify import embedded_validation_data, verify_file
from tests import pki
from tests.signing.conftest import CrlPki, OcspPki, Tsa


def _source(folder: Path) -> Path:
    path = folder / "Mémoire technique.docx"
    path.write_bytes(b"Contenu du memoire " * 500)
    return path


@pytest.mark.parametrize("fmt", [SignFormat.CADES, SignFormat.XADES])
def test_b_lt_with_crl_verifies_from_embedded_data(
    tmp_path: Path, test_pki: pki.TestPki, tsa: Tsa, crl_pki: CrlPki, fmt: SignFormat
) -> None:
    credential = crl_pki.credential(crl_pki.good, test_pki)
    source = _source(tmp_path)
    result = sign_files(
        credential, [source], fmt, level="B-LT", tsa_url=tsa.url, trust_roots=[test_pki.root.certificate]
    ).results[0]
    assert result.output is not None, result.error
    assert crl_pki.fetched  # fetched at signing time
    fetched = len(crl_pki.fetched)
    sig = verify_file(result.output, trust_roots=[test_pki.root.certificate]).signatures[0]  # no fetching
    assert len(crl_pki.fetched) == fetched  # verification used what the signature carries
    assert sig.ok, sig.problems
    assert sig.format_label == f"{fmt.etsi_name} B-LT"
    assert sig.revocation == "good"
    assert sig.timestamp_valid


def test_b_lt_cades_holds_under_hard_fail_without_network(
    tmp_path: Path, test_pki: pki.TestPki, tsa: Tsa, crl_pki: CrlPki
) -> None:
    """The embedded CRL alone satisfies a validator that requires revocation data and may not fetch;
    `openssl cms -verify` (the reference) still accepts the signature."""
    from pyhanko.sign.validation.generic_cms import async_validate_detached_cms
    from pyhanko_certvalidator import ValidationContext

    credential = crl_pki.credential(crl_pki.good, test_pki)
    source = _source(tmp_path)
    output = (
        sign_files(
            credential,
            [source],
            SignFormat.CADES,
            level="B-LT",
            tsa_url=tsa.url,
            trust_roots=[test_pki.root.certificate],
        )
        .results[0]
        .output
    )
    assert output is not None
    signed_data = cms.ContentInfo.load(output.read_bytes())["content"]
    crls, ocsps = embedded_validation_data(signed_data)
    assert crls
    root = asn1_x509.Certificate.load(test_pki.root.cert_der)

    def status(with_embedded: bool) -> bool:
        context = ValidationContext(
            trust_roots=[root],
            allow_fetching=False,
            revocation_mode="hard-fail",
            crls=crls if with_embedded else [],
            ocsps=ocsps if with_embedded else [],
        )
        with open(source, "rb") as fh:
            result = asyncio.run(async_validate_detached_cms(fh, signed_data, signer_validation_context=context))
        return bool(result.intact and result.valid and result.trusted)

    assert status(with_embedded=True)
    assert not status(with_embedded=False)  # the control: without them, hard-fail refuses
    done = subprocess.run(
        [
            "openssl",
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            str(output),
            "-content",
            str(source),
            "-CAfile",
            str(test_pki.ca_bundle),
            "-purpose",
            "any",
            "-out",
            "/dev/null",
        ],
        capture_output=True,
    )
    assert done.returncode == 0, done.stderr


def test_b_lt_xades_is_accepted_by_xmlsec1(tmp_path: Path, test_pki: pki.TestPki, tsa: Tsa, crl_pki: CrlPki) -> None:
    credential = crl_pki.credential(crl_pki.good, test_pki)
    source = _source(tmp_path)
    output = (
        sign_files(
            credential,
            [source],
            SignFormat.XADES,
            level="B-LT",
            tsa_url=tsa.url,
            trust_roots=[test_pki.root.certificate],
        )
        .results[0]
        .output
    )
    assert output is not None
    done = subprocess.run(
        [
            "xmlsec1",
            "--verify",
            "--trusted-pem",
            str(test_pki.root.files["cert"]),
            "--untrusted-pem",
            str(test_pki.ca.files["cert"]),
            "--id-attr:Id",
            "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
            output.name,
        ],
        capture_output=True,
        cwd=output.parent,
    )
    assert done.returncode == 0, done.stderr


def test_b_t_has_no_revocation_answer_offline(tmp_path: Path, test_pki: pki.TestPki, tsa: Tsa, crl_pki: CrlPki) -> None:
    credential = crl_pki.credential(crl_pki.good, test_pki)
    output = (
        sign_files(credential, [_source(tmp_path)], SignFormat.CADES, level="B-T", tsa_url=tsa.url).results[0].output
    )
    assert output is not None
    sig = verify_file(output, trust_roots=[test_pki.root.certificate]).signatures[0]
    assert sig.format_label == "CAdES B-T" and sig.revocation == "unknown"


def test_b_lt_with_ocsp_then_responder_gone(tmp_path: Path, test_pki: pki.TestPki, tsa: Tsa, ocsp_pki: OcspPki) -> None:
    credential = CrlPki("", ocsp_pki.good, ocsp_pki.good, []).credential(ocsp_pki.good, test_pki)
    result = sign_files(
        credential,
        [_source(tmp_path)],
        SignFormat.CADES,
        level="B-LT",
        tsa_url=tsa.url,
        trust_roots=[test_pki.root.certificate],
    ).results[0]
    output = result.output
    assert output is not None, result.error
    _crls, ocsps = embedded_validation_data(cms.ContentInfo.load(output.read_bytes())["content"])
    assert ocsps and ocsps[0]["response_status"].native == "successful"
    sig = verify_file(output, trust_roots=[test_pki.root.certificate]).signatures[0]
    assert sig.ok and sig.revocation == "good", sig.problems


def test_revoked_certificate_found_by_ocsp(tmp_path: Path, test_pki: pki.TestPki, tsa: Tsa, ocsp_pki: OcspPki) -> None:
    credential = CrlPki("", ocsp_pki.revoked, ocsp_pki.revoked, []).credential(ocsp_pki.revoked, test_pki)
    folder = tmp_path / "docs"
    folder.mkdir()
    source = _source(folder)
    # B-LT refuses to promise long-term validity with a revoked certificate, and writes nothing.
    result = sign_files(
        credential, [source], SignFormat.CADES, level="B-LT", tsa_url=tsa.url, trust_roots=[test_pki.root.certificate]
    ).results[0]
    assert result.output is None and result.error is not None and result.error.code == "long_term_unavailable"
    assert sorted(p.name for p in folder.iterdir()) == [source.name]
    # A B-B signature of it, checked online: the responder says revoked.
    output = sign_files(credential, [source], SignFormat.CADES).results[0].output
    assert output is not None
    sig = verify_file(output, trust_roots=[test_pki.root.certificate], allow_fetching=True).signatures[0]
    assert sig.revocation == "revoked" and not sig.ok
    assert "révoqué" in sig.verdict_fr
