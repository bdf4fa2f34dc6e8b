"""The verification report on signatures we made (and the validators accepted), and on broken ones."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.errors import InputFileError
from assistant.keystores.base import Credential
from assistant.signing import SignFormat, sign_files
from assistant.signing.verify import verify_file
from tests import pki
from tests.signing.conftest import CrlPki, Tsa, make_pdf


@pytest.fixture
def roots(test_pki: pki.TestPki) -> list[object]:
    return [test_pki.root.certificate]


def _source(folder: Path, name: str = "Offre technique.docx") -> Path:
    path = folder / name
    path.write_bytes(os.urandom(20_000))
    return path


@pytest.mark.parametrize("fmt", [SignFormat.CADES, SignFormat.XADES, SignFormat.PADES])
def test_report_of_a_good_signature(
    tmp_path: Path, p12_credential: Credential, roots: list[object], fmt: SignFormat
) -> None:
    source = make_pdf(tmp_path / "Contrat.pdf") if fmt is SignFormat.PADES else _source(tmp_path)
    output = sign_files(p12_credential, [source], fmt).results[0].output
    assert output is not None
    report = verify_file(output, trust_roots=roots)  # type: ignore[arg-type]
    assert report.format is fmt
    assert len(report.signatures) == 1
    sig = report.signatures[0]
    assert sig.intact and sig.signature_valid and sig.trusted and sig.valid_at_signing_time, sig.problems
    assert sig.signer == "Jeanne Dupont"
    assert "AMP Test Qualified CA" in sig.issuer
    assert sig.declares_qualified and sig.category == "qualified_signature"
    assert not sig.qualified  # no trusted list on this workstation: declared, not confirmed
    assert sig.qualified_label.startswith("se déclare qualifié ; non confirmé par la liste de confiance")
    assert sig.level == "B-B"
    assert sig.claimed_signing_time is not None
    assert sig.revocation == "unknown"  # no CRL/OCSP in the test PKI: said, not hidden
    assert sig.ok
    if fmt is not SignFormat.PADES:
        assert report.signed_file is not None and report.signed_file.resolve() == source.resolve()


@pytest.mark.parametrize("fmt", [SignFormat.CADES, SignFormat.XADES])
def test_tampered_document_is_reported(
    tmp_path: Path, p12_credential: Credential, roots: list[object], fmt: SignFormat
) -> None:
    source = _source(tmp_path)
    output = sign_files(p12_credential, [source], fmt).results[0].output
    assert output is not None
    data = bytearray(source.read_bytes())
    data[100] ^= 0x40
    source.write_bytes(bytes(data))
    sig = verify_file(output, trust_roots=roots).signatures[0]  # type: ignore[arg-type]
    assert not sig.intact and not sig.ok
    assert "modifié" in sig.verdict_fr


def test_tampered_pdf_is_reported(tmp_path: Path, p12_credential: Credential, roots: list[object]) -> None:
    output = sign_files(p12_credential, [make_pdf(tmp_path / "Contrat.pdf", "Prix 1000 EUR")], SignFormat.PADES)
    signed = output.results[0].output
    assert signed is not None
    data = signed.read_bytes().replace(b"Prix 1000 EUR", b"Prix 9000 EUR")
    forged = tmp_path / "forged.pdf"
    forged.write_bytes(data)
    sig = verify_file(forged, trust_roots=roots).signatures[0]  # type: ignore[arg-type]
    assert not sig.ok and not sig.intact


def test_unknown_authority_and_non_qualified(
    tmp_path: Path, p12_ec_credential: Credential, test_pki: pki.TestPki
) -> None:
    source = _source(tmp_path)
    output = sign_files(p12_ec_credential, [source], SignFormat.XADES).results[0].output
    assert output is not None
    other = pki.issue("other", "Other Root", None, ca=True).certificate
    sig = verify_file(output, trust_roots=[other]).signatures[0]
    assert sig.intact and sig.signature_valid and not sig.trusted and not sig.ok
    assert not sig.qualified
    assert any("autorité de confiance" in p.text for p in sig.problems)
    assert any("qualifié" in p.text for p in sig.problems)
    assert {p.code.value for p in sig.problems} >= {"certificate_untrusted"}


@pytest.mark.parametrize("fmt", [SignFormat.CADES, SignFormat.XADES, SignFormat.PADES])
def test_b_t_timestamp_in_report(
    tmp_path: Path, p12_credential: Credential, test_pki: pki.TestPki, tsa: Tsa, fmt: SignFormat
) -> None:
    source = make_pdf(tmp_path / "Contrat.pdf") if fmt is SignFormat.PADES else _source(tmp_path)
    output = sign_files(p12_credential, [source], fmt, level="B-T", tsa_url=tsa.url).results[0].output
    assert output is not None
    sig = verify_file(output, trust_roots=[test_pki.root.certificate]).signatures[0]
    assert sig.level == "B-T"
    assert sig.timestamp_time is not None and sig.timestamp_valid, sig.problems
    assert sig.ok


def test_not_a_signature_and_missing_document(tmp_path: Path, p12_credential: Credential) -> None:
    junk = tmp_path / "junk.p7s"
    junk.write_bytes(b"\x30\x03\x02\x01\x01 not cms")
    with pytest.raises(InputFileError) as info:
        verify_file(junk)
    assert info.value.code == "not_a_signature"
    source = _source(tmp_path)
    output = sign_files(p12_credential, [source], SignFormat.CADES).results[0].output
    assert output is not None
    source.unlink()
    with pytest.raises(InputFileError) as info:
        verify_file(output)
    assert info.value.code == "signed_file_missing" and "--detached-of" in info.value.message_fr


def test_xades_reference_cannot_escape_the_folder(
    tmp_path: Path, p12_credential: Credential, roots: list[object]
) -> None:
    """A hostile signature naming /etc/passwd or a URL is never read or fetched."""
    source = _source(tmp_path)
    output = sign_files(p12_credential, [source], SignFormat.XADES).results[0].output
    assert output is not None
    (tmp_path.parent / "secret.txt").write_text("guess")
    for uri in (
        "/etc/passwd",
        "file:///etc/passwd",
        "http://127.0.0.1:9/x",
        "../../../../etc/passwd",
        "../secret.txt",
        "..%2Fsecret.txt",
        "sub/../Offre%20technique.docx",
    ):
        text = output.read_text(encoding="utf-8").replace('URI="Offre%20technique.docx"', f'URI="{uri}"')
        hostile = tmp_path / "hostile.xml"
        hostile.write_text(text, encoding="utf-8")
        sig = verify_file(hostile, trust_roots=roots).signatures[0]  # type: ignore[arg-type]
        assert not sig.intact and not sig.ok
        assert any("introuvable" in p.text for p in sig.problems)
        assert "signed_document_missing" in {p.code.value for p in sig.problems}


def test_verify_command_json(
    tmp_path: Path, p12_credential: Credential, test_pki: pki.TestPki, assistant_home: Path
) -> None:
    source = _source(tmp_path)
    output = sign_files(p12_credential, [source], SignFormat.CADES).results[0].output
    assert output is not None
    env = {**os.environ, "ASSISTANT_HOME": str(assistant_home)}
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "verify", "--trust", str(test_pki.root_pem), "--json", str(output)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] and report["format"] == "CADES"
    assert report["signatures"][0]["signer"] == "Jeanne Dupont"
    assert report["signatures"][0]["declares_qualified"] is True
    assert report["signatures"][0]["qualified"] is False  # no trusted list here: not confirmed
    assert report["signatures"][0]["qualified_label"].startswith("se déclare qualifié ; non confirmé")
    text = subprocess.run(
        [sys.executable, "-m", "assistant", "verify", str(output)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    # With the system's anchors only, our test CA is unknown: integrity yes, trust no, exit 1.
    assert text.returncode == 1
    assert "Intégrité du document : oui" in text.stdout
    assert "Certificat de confiance : non" in text.stdout


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("vide.p7s", b"", "empty_file"),
        ("cassé.pdf", b"%PDF-1.7\ngarbage\n%%EOF", "corrupt_pdf"),
        ("autre.xml", b"<a/>", "not_a_signature"),
        ("entité.xml", b'<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>', "not_a_signature"),
    ],
)
def test_verify_hostile_inputs(tmp_path: Path, name: str, content: bytes, code: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputFileError) as info:
        verify_file(path)
    assert info.value.code == code and info.value.message_fr


def test_verify_unsigned_pdf(tmp_path: Path) -> None:
    with pytest.raises(InputFileError) as info:
        verify_file(make_pdf(tmp_path / "brouillon.pdf"))
    assert info.value.code == "no_signature"


@pytest.mark.parametrize("fmt", [SignFormat.CADES, SignFormat.XADES, SignFormat.PADES])
def test_revocation_from_a_crl(tmp_path: Path, test_pki: pki.TestPki, crl_pki: CrlPki, fmt: SignFormat) -> None:
    """With --online, the CRL named in the certificate (served on 127.0.0.1) is fetched: a good
    certificate reads "non révoqué", a revoked one makes the signature invalid."""
    verdicts = {}
    for issued in (crl_pki.good, crl_pki.bad):
        credential = crl_pki.credential(issued, test_pki)
        if fmt is SignFormat.PADES:
            source = make_pdf(tmp_path / f"{issued.name}.pdf")
        else:
            source = _source(tmp_path, f"{issued.name}.docx")
        output = sign_files(credential, [source], fmt).results[0].output
        assert output is not None
        offline = verify_file(output, trust_roots=[test_pki.root.certificate]).signatures[0]
        assert offline.revocation == "unknown"
        verdicts[issued.name] = verify_file(
            output, trust_roots=[test_pki.root.certificate], allow_fetching=True
        ).signatures[0]
    assert crl_pki.fetched, "the CRL was never fetched"
    assert verdicts["good"].revocation == "good" and verdicts["good"].ok, verdicts["good"].problems
    assert verdicts["bad"].revocation == "revoked" and not verdicts["bad"].ok
    assert "révoqué" in verdicts["bad"].verdict_fr
