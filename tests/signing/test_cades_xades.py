"""CAdES and XAdES outputs, judged by OpenSSL and xmlsec1 with the test CA as only trust anchor."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest
from asn1crypto import cms
from lxml import etree

from assistant.keystores.base import Credential
from assistant.signing import SignFormat, sign_files
from assistant.signing.cades import timestamp_token_of
from assistant.signing.xades import DS, XADES, c14n
from tests import pki
from tests.signing.conftest import Tsa, verify_timestamp_token
from tests.signing.validators import openssl_cms_print, openssl_cms_verify, xmlsec_verify

NAME_RE = re.compile(r"^(?P<base>.+) - (?P<ts>\d{14}) - Signature (?P<n>\d+)\.(?P<ext>p7s|xml)$")


def _data(folder: Path, name: str = "Offre_Lot3.zip", size: int = 300_000) -> Path:
    path = folder / name
    path.write_bytes(bytes(range(256)) * (size // 256))
    return path


@pytest.mark.parametrize("which", ["rsa", "ec"])
def test_cades_verifies_with_openssl(
    tmp_path: Path, test_pki: pki.TestPki, which: str, p12_credential: Credential, p12_ec_credential: Credential
) -> None:
    credential = p12_credential if which == "rsa" else p12_ec_credential
    source = _data(tmp_path)
    batch = sign_files(credential, [source], SignFormat.CADES)
    result = batch.results[0]
    assert result.ok, result.error
    assert result.output is not None
    match = NAME_RE.match(result.output.name)
    assert match and match["base"] == "Offre_Lot3.zip" and match["n"] == "1" and match["ext"] == "p7s"
    assert result.output.parent == tmp_path
    done = openssl_cms_verify(result.output, source, test_pki.ca_bundle)
    assert done.returncode == 0, done.stderr
    assert b"Verification successful" in done.stderr
    printed = openssl_cms_print(result.output)
    for attribute in ("contentType", "messageDigest", "signingTime", "id-smime-aa-signingCertificateV2"):
        assert attribute in printed
    assert "eContent: <ABSENT>" in printed  # detached


def test_cades_rejects_tampered_content_and_foreign_ca(
    tmp_path: Path, test_pki: pki.TestPki, p12_credential: Credential
) -> None:
    source = _data(tmp_path)
    output = sign_files(p12_credential, [source], SignFormat.CADES).results[0].output
    assert output is not None
    tampered = tmp_path / "tampered.bin"
    data = bytearray(source.read_bytes())
    data[1000] ^= 1
    tampered.write_bytes(bytes(data))
    assert openssl_cms_verify(output, tampered, test_pki.ca_bundle).returncode != 0
    other_root = tmp_path / "other-root.pem"
    other_root.write_bytes(pki.issue("other", "Other Root", None, ca=True).cert_pem)
    assert openssl_cms_verify(output, source, other_root).returncode != 0


def test_cades_signing_certificate_v2_binds_the_certificate(
    tmp_path: Path, p12_credential: Credential, test_pki: pki.TestPki
) -> None:
    source = _data(tmp_path)
    output = sign_files(p12_credential, [source], SignFormat.CADES).results[0].output
    assert output is not None
    info = cms.ContentInfo.load(output.read_bytes())
    signer = info["content"]["signer_infos"][0]
    attrs = {a["type"].native: a["values"][0] for a in signer["signed_attrs"]}
    cert_hash = attrs["signing_certificate_v2"]["certs"][0]["cert_hash"].native
    assert cert_hash == hashlib.sha256(test_pki.signer.cert_der).digest()
    assert attrs["message_digest"].native == hashlib.sha256(source.read_bytes()).digest()


def test_cades_b_t_timestamp_checks_with_openssl_ts(
    tmp_path: Path, test_pki: pki.TestPki, p12_credential: Credential, tsa: Tsa
) -> None:
    source = _data(tmp_path)
    result = sign_files(p12_credential, [source], SignFormat.CADES, level="B-T", tsa_url=tsa.url).results[0]
    assert result.ok, result.error
    assert result.output is not None
    assert openssl_cms_verify(result.output, source, test_pki.ca_bundle).returncode == 0
    token = timestamp_token_of(result.output.read_bytes())
    assert token is not None
    signature = cms.ContentInfo.load(result.output.read_bytes())["content"]["signer_infos"][0]["signature"].native
    verify_timestamp_token(token.dump(), hashlib.sha256(signature).digest(), test_pki, tsa, tmp_path)


def test_b_t_without_reachable_tsa_fails_cleanly(tmp_path: Path, p12_credential: Credential) -> None:
    folder = tmp_path / "files"
    folder.mkdir()
    source = _data(folder)
    result = sign_files(
        p12_credential, [source], SignFormat.CADES, level="B-T", tsa_url="http://127.0.0.1:9/tsa"
    ).results[0]
    assert not result.ok
    assert result.error is not None and result.error.code == "timestamp"
    assert "horodatage" in result.error.message_fr
    assert sorted(p.name for p in folder.iterdir()) == ["Offre_Lot3.zip"]  # nothing half-written


@pytest.mark.parametrize("which", ["rsa", "ec"])
def test_xades_verifies_with_xmlsec1(
    tmp_path: Path, test_pki: pki.TestPki, which: str, p12_credential: Credential, p12_ec_credential: Credential
) -> None:
    credential = p12_credential if which == "rsa" else p12_ec_credential
    source = _data(tmp_path, "COMPLEMENT.zip")
    result = sign_files(credential, [source], SignFormat.XADES).results[0]
    assert result.ok, result.error
    assert result.output is not None
    match = NAME_RE.match(result.output.name)
    assert match and match["base"] == "COMPLEMENT.zip" and match["ext"] == "xml"
    done = xmlsec_verify(result.output, test_pki.ca_bundle)
    assert done.returncode == 0, done.stderr
    assert b"OK" in done.stdout + done.stderr
    tree = etree.parse(str(result.output))
    assert tree.find(f".//{{{XADES}}}SigningTime") is not None
    assert tree.find(f".//{{{XADES}}}SigningCertificateV2") is not None
    ref = tree.find(f".//{{{DS}}}Reference")
    assert ref is not None and ref.get("URI") == "COMPLEMENT.zip"


def test_xades_rejects_tampered_file_and_foreign_ca(
    tmp_path: Path, test_pki: pki.TestPki, p12_credential: Credential
) -> None:
    source = _data(tmp_path, "COMPLEMENT.zip")
    output = sign_files(p12_credential, [source], SignFormat.XADES).results[0].output
    assert output is not None
    other_root = tmp_path / "other-root.pem"
    other_root.write_bytes(pki.issue("other", "Other Root", None, ca=True).cert_pem)
    assert xmlsec_verify(output, other_root).returncode != 0
    data = bytearray(source.read_bytes())
    data[5] ^= 1
    source.write_bytes(bytes(data))
    assert xmlsec_verify(output, test_pki.ca_bundle).returncode != 0


@pytest.mark.parametrize(
    "name",
    ["Mémoire technique – lot n°2.zip", "offre 'finale' \"v2\".pdf", "-rf --help.bin", "a b  c.txt", "东京.docx"],
)
def test_hostile_names_sign_and_verify(
    tmp_path: Path, test_pki: pki.TestPki, p12_credential: Credential, name: str
) -> None:
    source = _data(tmp_path, name, 4096)
    batch = sign_files(p12_credential, [source], SignFormat.XADES)
    xml = batch.results[0].output
    assert xml is not None and xml.name.startswith(name + " - ")
    done = xmlsec_verify(xml, test_pki.ca_bundle)
    assert done.returncode == 0, done.stderr
    p7s = sign_files(p12_credential, [source], SignFormat.CADES).results[0].output
    assert p7s is not None and p7s.name.startswith(name + " - ")
    assert openssl_cms_verify(p7s, source, test_pki.ca_bundle).returncode == 0


def test_xades_b_t_signature_timestamp(
    tmp_path: Path, test_pki: pki.TestPki, p12_credential: Credential, tsa: Tsa
) -> None:
    source = _data(tmp_path, "COMPLEMENT.zip")
    result = sign_files(p12_credential, [source], SignFormat.XADES, level="B-T", tsa_url=tsa.url).results[0]
    assert result.ok, result.error
    assert result.output is not None
    assert xmlsec_verify(result.output, test_pki.ca_bundle).returncode == 0
    tree = etree.parse(str(result.output))
    stamp = tree.find(f".//{{{XADES}}}SignatureTimeStamp/{{{XADES}}}EncapsulatedTimeStamp")
    value = tree.find(f".//{{{DS}}}SignatureValue")
    assert stamp is not None and stamp.text and value is not None
    verify_timestamp_token(base64.b64decode(stamp.text), hashlib.sha256(c14n(value)).digest(), test_pki, tsa, tmp_path)


def test_xades_out_dir_references_file_by_name(
    tmp_path: Path, test_pki: pki.TestPki, p12_credential: Credential
) -> None:
    """Written elsewhere, the signature still names the bare file: it is meant to travel with it."""
    docs = tmp_path / "docs"
    docs.mkdir()
    out = tmp_path / "signatures"
    out.mkdir()
    source = _data(docs, "Acte d'engagement.rtf")
    result = sign_files(p12_credential, [source], SignFormat.XADES, out_dir=out).results[0]
    assert result.output is not None and result.output.parent == out
    ref = etree.parse(str(result.output)).find(f".//{{{DS}}}Reference")
    assert ref is not None and ref.get("URI") == "Acte%20d%27engagement.rtf"
    assert xmlsec_verify(result.output, test_pki.ca_bundle).returncode != 0  # the file is not beside it
    moved = docs / result.output.name
    moved.write_bytes(result.output.read_bytes())
    done = xmlsec_verify(moved, test_pki.ca_bundle)
    assert done.returncode == 0, done.stderr


def test_rsa_pss_cades_and_xades(tmp_path: Path, test_pki: pki.TestPki, p12_credential: Credential) -> None:
    from assistant.keystores.base import HashAlgorithm, SignatureMechanism, SignatureScheme

    pss = SignatureMechanism(SignatureScheme.RSA_PSS, HashAlgorithm.SHA256)
    source = _data(tmp_path)
    cades = sign_files(p12_credential, [source], SignFormat.CADES, mechanism=pss).results[0]
    assert cades.output is not None, cades.error
    assert "rsassaPss" in openssl_cms_print(cades.output)
    assert openssl_cms_verify(cades.output, source, test_pki.ca_bundle).returncode == 0
    # xmlsec1 1.2 (Debian 12) cannot verify RSA-PSS XML signatures: XAdES refuses it clearly.
    xades = sign_files(p12_credential, [source], SignFormat.XADES, mechanism=pss).results[0]
    assert xades.output is None and xades.error is not None and xades.error.code == "pss_not_for_xades"


def test_xades_declares_the_mime_type(tmp_path: Path, p12_credential: Credential) -> None:
    source = _data(tmp_path, "Offre.zip")
    output = sign_files(p12_credential, [source], SignFormat.XADES).results[0].output
    assert output is not None
    mime = etree.parse(str(output)).find(f".//{{{XADES}}}DataObjectFormat/{{{XADES}}}MimeType")
    assert mime is not None and mime.text == "application/zip"
