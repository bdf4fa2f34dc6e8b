"""PAdES outputs, judged by poppler's pdfsig (NSS trust: our root only) and pyHanko's validator."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.keystores.base import Credential
from assistant.signing import SignFormat, sign_files
from tests import pki
from tests.signing.conftest import CrlPki, Tsa, fingerprint, make_pdf
from tests.signing.validators import pdfsig, pyhanko_validate


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "Entreprises - Fichiers de reponse"
    path.mkdir()
    return path


def _assert_all_valid(pdf: Path, test_pki: pki.TestPki, nssdir: Path, count: int) -> None:
    report = pdfsig(pdf, nssdir)
    assert report.count("Signature Validation: Signature is Valid.") == count, report
    assert report.count("Certificate Validation: Certificate is Trusted.") == count, report
    statuses = pyhanko_validate(pdf, test_pki)
    assert len(statuses) == count
    for status in statuses:
        assert status.intact and status.valid and status.trusted, status.pretty_print_details()  # type: ignore[attr-defined]


def test_pades_signature_valid_for_pdfsig_and_pyhanko(
    folder: Path, test_pki: pki.TestPki, p12_credential: Credential, pdfsig_nssdir: Path
) -> None:
    source = make_pdf(folder / "0-Lettre informative.pdf")
    before = fingerprint(source)
    result = sign_files(p12_credential, [source], SignFormat.PADES).results[0]
    assert result.ok, result.error
    assert result.output is not None
    assert result.output.name.startswith("0-Lettre informative - ")
    assert result.output.name.endswith(" - Signature 1.pdf")
    assert result.output.parent == folder
    assert fingerprint(source) == before
    _assert_all_valid(result.output, test_pki, pdfsig_nssdir, 1)
    report = pdfsig(result.output, pdfsig_nssdir)
    assert "ETSI.CAdES.detached" in report and "Jeanne Dupont" in report


def test_pades_cosignature_keeps_first_signature_valid(
    folder: Path,
    test_pki: pki.TestPki,
    p12_credential: Credential,
    p12_ec_credential: Credential,
    pdfsig_nssdir: Path,
) -> None:
    source = make_pdf(folder / "Contrat.pdf")
    first = sign_files(p12_credential, [source], SignFormat.PADES).results[0].output
    assert first is not None
    second = sign_files(p12_ec_credential, [first], SignFormat.PADES).results[0].output
    assert second is not None
    assert second.name.startswith("Contrat - ") and second.name.endswith(" - Signature 2.pdf")
    _assert_all_valid(second, test_pki, pdfsig_nssdir, 2)
    # The first signed copy is untouched and still carries exactly one valid signature.
    _assert_all_valid(first, test_pki, pdfsig_nssdir, 1)


def test_pades_b_t_has_a_valid_timestamp(
    folder: Path, test_pki: pki.TestPki, p12_credential: Credential, tsa: Tsa, pdfsig_nssdir: Path
) -> None:
    source = make_pdf(folder / "Offre.pdf")
    requests_before = len(tsa.requests)
    result = sign_files(p12_credential, [source], SignFormat.PADES, level="B-T", tsa_url=tsa.url).results[0]
    assert result.ok, result.error
    assert result.output is not None
    assert len(tsa.requests) > requests_before
    statuses = pyhanko_validate(result.output, test_pki)
    assert len(statuses) == 1
    status = statuses[0]
    assert status.valid and status.intact  # type: ignore[attr-defined]
    ts = status.timestamp_validity  # type: ignore[attr-defined]
    assert ts is not None and ts.intact and ts.valid
    assert "Signature is Valid" in pdfsig(result.output, pdfsig_nssdir)


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "empty_file"),
        (b"%PDF-1.7\n this is not really a pdf \n%%EOF", "corrupt_pdf"),
        (b"PK\x03\x04 a zip renamed .pdf", "corrupt_pdf"),
    ],
)
def test_pades_refuses_broken_pdfs_without_output(
    folder: Path, p12_credential: Credential, content: bytes, code: str
) -> None:
    source = folder / "cassé.pdf"
    source.write_bytes(content)
    before = fingerprint(source)
    result = sign_files(p12_credential, [source], SignFormat.PADES).results[0]
    assert not result.ok
    assert result.error is not None and result.error.code == code, result.error
    assert result.error.message_fr
    assert sorted(p.name for p in folder.iterdir()) == ["cassé.pdf"]
    assert fingerprint(source) == before


def test_pades_refuses_encrypted_pdf(folder: Path, p12_credential: Credential) -> None:
    source = make_pdf(folder / "protégé.pdf", encrypt_password="secret")
    before = fingerprint(source)
    result = sign_files(p12_credential, [source], SignFormat.PADES).results[0]
    assert result.error is not None and result.error.code == "encrypted_pdf"
    assert "mot de passe" in result.error.message_fr
    assert sorted(p.name for p in folder.iterdir()) == ["protégé.pdf"]
    assert fingerprint(source) == before


def test_pades_on_a_non_pdf_says_to_use_cades_or_xades(folder: Path, p12_credential: Credential) -> None:
    source = folder / "BPU.xlsx"
    source.write_bytes(b"PK\x03\x04" + bytes(2000))
    result = sign_files(p12_credential, [source], SignFormat.PADES).results[0]
    assert result.error is not None and result.error.code == "not_a_pdf"
    assert "CAdES" in result.error.message_fr


def test_pades_refuses_pdf_certified_with_no_changes(
    folder: Path, test_pki: pki.TestPki, p12_ec_credential: Credential
) -> None:
    """An author's certification signature "no changes allowed" closes the PDF: say so, write nothing."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    plain = make_pdf(folder.parent / "plain.pdf")
    source = folder / "Règlement certifié.pdf"
    author = signers.SimpleSigner.load_pkcs12(str(test_pki.signer.files["p12"]), passphrase=pki.P12_PASSWORD.encode())
    assert author is not None
    with open(plain, "rb") as fh, open(source, "wb") as out:
        meta = signers.PdfSignatureMetadata(
            field_name="Auteur", certify=True, docmdp_permissions=fields.MDPPerm.NO_CHANGES
        )
        signers.PdfSigner(meta, signer=author).sign_pdf(IncrementalPdfFileWriter(fh), output=out)
    before = fingerprint(source)
    result = sign_files(p12_ec_credential, [source], SignFormat.PADES).results[0]
    assert result.error is not None and result.error.code == "pdf_locked", result.error
    assert "certifié" in result.error.message_fr
    assert [p.name for p in folder.iterdir()] == [source.name]
    assert fingerprint(source) == before


def test_pades_b_t_batch_shares_the_size_estimate(folder: Path, p12_credential: Credential, tsa: Tsa) -> None:
    """pyHanko sizes the signature with a dummy timestamp: one per batch, not one per file."""
    pdfs = [make_pdf(folder / f"Pièce {i}.pdf") for i in range(4)]
    before = len(tsa.requests)
    batch = sign_files(p12_credential, pdfs, SignFormat.PADES, level="B-T", tsa_url=tsa.url)
    assert batch.ok, [r.error for r in batch.results]
    assert len(tsa.requests) - before == len(pdfs) + 1


@pytest.mark.parametrize("name", ["-n « Offre » 'finale'.pdf", "Mémoire technique – lot n°2.pdf", "a  b.PDF"])
def test_pades_hostile_names(
    folder: Path, test_pki: pki.TestPki, p12_credential: Credential, pdfsig_nssdir: Path, name: str
) -> None:
    source = make_pdf(folder / name)
    result = sign_files(p12_credential, [source], SignFormat.PADES).results[0]
    assert result.output is not None, result.error
    assert result.output.name.startswith(Path(name).stem + " - ") and result.output.name.endswith(" - Signature 1.pdf")
    _assert_all_valid(result.output, test_pki, pdfsig_nssdir, 1)


@pytest.mark.parametrize("level", ["B-LT", "B-LTA"])
def test_pades_long_term_embeds_revocation_data(
    folder: Path, test_pki: pki.TestPki, tsa: Tsa, crl_pki: CrlPki, pdfsig_nssdir: Path, level: str
) -> None:
    """B-LT: the CRL is fetched at signing time and embedded (DSS); the signature then validates
    with fetching disabled and revocation checking in hard-fail mode."""
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import DocumentSecurityStore, validate_pdf_signature

    credential = crl_pki.credential(crl_pki.good, test_pki)
    source = make_pdf(folder / "Marché.pdf")
    result = sign_files(
        credential, [source], SignFormat.PADES, level=level, tsa_url=tsa.url, trust_roots=[test_pki.root.certificate]
    ).results[0]
    assert result.output is not None, result.error
    assert crl_pki.fetched
    assert "Signature is Valid." in pdfsig(result.output, pdfsig_nssdir)
    root = asn1_x509.Certificate.load(test_pki.root.cert_der)
    with open(result.output, "rb") as fh:
        reader = PdfFileReader(fh)
        dss = DocumentSecurityStore.read_dss(reader)
        assert len(dss.crls) >= 1
        context = dss.as_validation_context(
            # hard-fail, no fetching: a certificate that names a CRL must find it in the DSS
            {"trust_roots": [root], "allow_fetching": False, "revocation_mode": "hard-fail"}
        )
        status = validate_pdf_signature(reader.embedded_signatures[0], context)
        assert status.intact and status.valid and status.trusted, status.pretty_print_details()
        if level == "B-LTA":
            assert len(reader.embedded_timestamp_signatures) == 1


def test_pades_b_t_has_no_revocation_data_control(
    folder: Path, test_pki: pki.TestPki, tsa: Tsa, crl_pki: CrlPki
) -> None:
    """The control for the B-LT test: without embedded data, the same offline check fails."""
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    credential = crl_pki.credential(crl_pki.good, test_pki)
    source = make_pdf(folder / "Marché.pdf")
    output = sign_files(credential, [source], SignFormat.PADES, level="B-T", tsa_url=tsa.url).results[0].output
    assert output is not None
    root = asn1_x509.Certificate.load(test_pki.root.cert_der)
    with open(output, "rb") as fh:
        reader = PdfFileReader(fh)
        context = ValidationContext(
            trust_roots=[root], allow_fetching=False, revocation_mode="hard-fail", crls=[], ocsps=[]
        )
        status = validate_pdf_signature(reader.embedded_signatures[0], context)
    assert status.intact and status.valid and not status.trusted


def test_pades_long_term_without_revocation_source_fails_cleanly(folder: Path, test_pki: pki.TestPki, tsa: Tsa) -> None:
    """B-LT promises embedded revocation data: when the CRL cannot be fetched, say so, write nothing."""
    from tests.signing.conftest import CrlPki

    dead = pki.issue(
        "dead", "Jean Injoignable", test_pki.ca, key_usage={"non_repudiation"}, crl_url="http://127.0.0.1:9/ca.crl"
    )
    credential = CrlPki("", dead, dead, []).credential(dead, test_pki)
    source = make_pdf(folder / "Marché.pdf")
    result = sign_files(
        credential, [source], SignFormat.PADES, level="B-LT", tsa_url=tsa.url, trust_roots=[test_pki.root.certificate]
    ).results[0]
    assert result.error is not None and result.error.code == "long_term_unavailable", result.error
    assert "révocation" in result.error.message_fr
    assert [p.name for p in folder.iterdir()] == ["Marché.pdf"]
