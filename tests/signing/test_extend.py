"""Renewing a B-LTA (`assistant extend`, signing/extend.py): a second archive timestamp over a
CAdES or XAdES signature that has one, the first judged at the time of the second; refused for a
signature that does not verify or has no archive timestamp, the original always untouched.

Real parts: the test PKI and its CRL on 127.0.0.1, the test TSA (`openssl ts -reply`), `openssl cms
-verify` and xmlsec1 as the references on the renewed files, the `assistant extend` process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.errors import InputFileError
from assistant.signing import SignFormat, sign_files
from assistant.signing.extend import extend_archive
from assistant.signing.verify import verify_file
from tests import pki
from tests.signing.conftest import CrlPki, Tsa
from tests.signing.validators import openssl_cms_verify, xmlsec_verify


def _signed(tmp_path: Path, test_pki: pki.TestPki, crl_pki: CrlPki, tsa: Tsa, fmt: SignFormat, level: str) -> Path:
    source = tmp_path / "Mémoire technique.pdf.txt"
    source.write_bytes(b"Memoire technique, chapitre 1\n" * 500)
    result = sign_files(
        crl_pki.credential(crl_pki.good, test_pki),
        [source],
        fmt,
        level=level,
        tsa_url=tsa.url,
        trust_roots=[test_pki.root.certificate],
    ).results[0]
    assert result.output is not None, result.error
    return result.output


@pytest.mark.parametrize("fmt", [SignFormat.CADES, SignFormat.XADES])
def test_a_second_archive_timestamp_covers_the_first(
    tmp_path: Path, test_pki: pki.TestPki, crl_pki: CrlPki, tsa: Tsa, fmt: SignFormat
) -> None:
    signature = _signed(tmp_path, test_pki, crl_pki, tsa, fmt, "B-LTA")
    before = signature.read_bytes()
    renewed = extend_archive(signature, tsa.url, trust_roots=[test_pki.root.certificate])
    assert renewed != signature and renewed.parent == signature.parent
    assert signature.read_bytes() == before  # the original untouched

    sig = verify_file(renewed, trust_roots=[test_pki.root.certificate]).signatures[0]
    assert sig.ok and sig.format_label == f"{fmt.etsi_name} B-LTA", sig.problems
    assert [s.valid for s in sig.archive_timestamps] == [True, True]
    first, second = sig.archive_timestamps
    assert first.time is not None and second.time is not None and first.time <= second.time
    source = tmp_path / "Mémoire technique.pdf.txt"
    if fmt is SignFormat.CADES:
        assert openssl_cms_verify(renewed, source, test_pki.ca_bundle).returncode == 0
    else:
        done = xmlsec_verify(renewed, test_pki.ca_bundle)
        assert done.returncode == 0, done.stderr

    # The first stamp's own validation data is now under the second: changing it breaks the second.
    if fmt is SignFormat.XADES:
        text = renewed.read_text(encoding="utf-8")
        start = text.index("TimeStampValidationData")
        cut = text.index("EncapsulatedX509Certificate>", start) + len("EncapsulatedX509Certificate>")
        tampered = tmp_path / "tampered.xml"
        assert text[cut : cut + 4] != "AAAA"
        tampered.write_text(text[:cut] + "AAAA" + text[cut + 4 :], encoding="utf-8")  # a certificate altered
        stamps = verify_file(tampered, detached_of=source, trust_roots=[test_pki.root.certificate])
        assert not stamps.signatures[0].archive_timestamps[1].valid


def test_a_signature_without_archive_timestamp_is_not_renewed(
    tmp_path: Path, test_pki: pki.TestPki, crl_pki: CrlPki, tsa: Tsa
) -> None:
    signature = _signed(tmp_path, test_pki, crl_pki, tsa, SignFormat.CADES, "B-LT")
    listing = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(InputFileError) as caught:
        extend_archive(signature, tsa.url, trust_roots=[test_pki.root.certificate])
    assert caught.value.code == "not_archivable"
    assert "n'a pas d'horodatage d'archive (signez-la en B-LTA)" in caught.value.message_fr
    assert "B-LTA" in caught.value.message_en and "archive" in caught.value.message_en
    assert sorted(p.name for p in tmp_path.iterdir()) == listing  # nothing written


def test_a_signature_that_no_longer_verifies_is_not_renewed(
    tmp_path: Path, test_pki: pki.TestPki, crl_pki: CrlPki, tsa: Tsa
) -> None:
    signature = _signed(tmp_path, test_pki, crl_pki, tsa, SignFormat.CADES, "B-LTA")
    (tmp_path / "Mémoire technique.pdf.txt").write_bytes(b"Memoire modifie apres signature\n")
    listing = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(InputFileError) as caught:
        extend_archive(signature, tsa.url, trust_roots=[test_pki.root.certificate])
    assert "ne se vérifie pas" in caught.value.message_fr
    assert sorted(p.name for p in tmp_path.iterdir()) == listing


def test_cli_extend(tmp_path: Path, assistant_home: Path, test_pki: pki.TestPki, crl_pki: CrlPki, tsa: Tsa) -> None:
    signature = _signed(tmp_path, test_pki, crl_pki, tsa, SignFormat.XADES, "B-LTA")
    done = subprocess.run(
        [
            sys.executable, "-m", "assistant", "extend", "--tsa", tsa.url,
            "--trust", str(test_pki.root_pem), "--json", str(signature),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "ASSISTANT_HOME": str(assistant_home)},
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr + done.stdout
    renewed = Path(json.loads(done.stdout)["output"])
    sig = verify_file(renewed, trust_roots=[test_pki.root.certificate]).signatures[0]
    assert len(sig.archive_timestamps) == 2 and sig.ok, sig.problems
    # Refused in French on a plain error line, exit code non-zero, nothing written.
    refused = subprocess.run(
        [sys.executable, "-m", "assistant", "extend", "--tsa", tsa.url, str(tmp_path / "absent.p7s")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "ASSISTANT_HOME": str(assistant_home), "ASSISTANT_LANG": "fr"},
        timeout=120,
    )
    assert refused.returncode != 0 and "Traceback" not in refused.stderr


def test_pades_gets_a_second_document_timestamp(
    tmp_path: Path, test_pki: pki.TestPki, crl_pki: CrlPki, tsa: Tsa
) -> None:
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
    from pyhanko_certvalidator import ValidationContext

    from tests.signing.conftest import make_pdf

    source = make_pdf(tmp_path / "Marché.pdf")
    result = sign_files(
        crl_pki.credential(crl_pki.good, test_pki),
        [source],
        SignFormat.PADES,
        level="B-LTA",
        tsa_url=tsa.url,
        trust_roots=[test_pki.root.certificate],
    ).results[0]
    assert result.output is not None, result.error
    before = result.output.read_bytes()
    renewed = extend_archive(result.output, tsa.url, trust_roots=[test_pki.root.certificate])
    assert renewed != result.output and result.output.read_bytes() == before
    assert renewed.read_bytes().startswith(before)  # an incremental update: the signed revisions kept
    # The reference, pyHanko offline: the signature and both document timestamps.
    root = asn1_x509.Certificate.load(test_pki.root.cert_der)
    with open(renewed, "rb") as fh:
        reader = PdfFileReader(fh)
        stamps = reader.embedded_timestamp_signatures
        assert len(stamps) == 2
        for stamp in stamps:
            context = ValidationContext(trust_roots=[root], allow_fetching=False, revocation_mode="soft-fail")
            status = validate_pdf_timestamp(stamp, context)
            assert status.intact and status.valid and status.trusted, status.pretty_print_details()
        context = ValidationContext(trust_roots=[root], allow_fetching=False, revocation_mode="soft-fail")
        status = validate_pdf_signature(reader.embedded_regular_signatures[0], context)
        assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    report = verify_file(renewed, trust_roots=[test_pki.root.certificate])
    sig = report.signatures[0]
    assert sig.ok and sig.format_label == "PAdES B-LTA", sig.problems
    # Both document timestamps are judged as timestamps (they used to be called unreadable).
    stamps = [s for s in report.signatures if s.sub_filter == "ETSI.RFC3161"]
    assert len(stamps) == 2 and all(s.intact and s.trusted and s.ok for s in stamps), [s.problems for s in stamps]
    assert report.ok


def test_a_pades_without_document_timestamp_is_not_renewed(
    tmp_path: Path, test_pki: pki.TestPki, crl_pki: CrlPki, tsa: Tsa
) -> None:
    from tests.signing.conftest import make_pdf

    source = make_pdf(tmp_path / "Marché.pdf")
    output = (
        sign_files(
            crl_pki.credential(crl_pki.good, test_pki),
            [source],
            SignFormat.PADES,
            level="B-LT",
            tsa_url=tsa.url,
            trust_roots=[test_pki.root.certificate],
        )
        .results[0]
        .output
    )
    assert output is not None
    listing = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(InputFileError, match="signez-la en B-LTA"):
        extend_archive(output, tsa.url, trust_roots=[test_pki.root.certificate])
    assert sorted(p.name for p in tmp_path.iterdir()) == listing
