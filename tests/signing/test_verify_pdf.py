"""Every signature of a PDF, each with what it covers: the whole file, or an earlier revision
followed by changes that are permitted (another signature) or not (the page rewritten)."""

from __future__ import annotations

from pathlib import Path

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers

from assistant.signing.verify import verify_file
from tests import pki
from tests.signing.conftest import make_pdf


def _sign(source: Path, out: Path, who: pki.Issued, ca: pki.Issued, field: str) -> Path:
    signer = signers.SimpleSigner.load(
        str(who.files["key"]), str(who.files["cert"]), ca_chain_files=(str(ca.files["cert"]),)
    )
    assert signer is not None
    with open(source, "rb") as src, open(out, "wb") as dst:
        meta = signers.PdfSignatureMetadata(field_name=field, subfilter=fields.SigSeedSubFilter.PADES)
        signers.sign_pdf(IncrementalPdfFileWriter(src), meta, signer=signer, output=dst)
    return out


def test_two_signatures_then_a_forbidden_change(tmp_path: Path, test_pki: pki.TestPki) -> None:
    source = make_pdf(tmp_path / "contrat.pdf", "Prix 1000 EUR")
    once = _sign(source, tmp_path / "once.pdf", test_pki.signer, test_pki.ca, "Acheteur")
    twice = _sign(once, tmp_path / "twice.pdf", test_pki.signer_ec, test_pki.ca, "Titulaire")
    anchors = [test_pki.root.certificate, test_pki.ca.certificate]

    report = verify_file(twice, trust_roots=anchors)  # type: ignore[arg-type]
    assert [s.field_name for s in report.signatures] == ["Acheteur", "Titulaire"]
    first, second = report.signatures
    assert first.ok and second.ok, (first.problems, second.problems)
    assert first.coverage.startswith("une révision antérieure, suivie de modifications permises")
    assert second.coverage == "tout le fichier" and second.covers_whole_document
    assert {first.signer, second.signer} == {"Jeanne Dupont", "Élise Martin (ECDSA)"}

    # An incremental update that rewrites the page after both signatures: not permitted.
    with open(twice, "rb") as fh:
        writer = IncrementalPdfFileWriter(fh)
        page = writer.root["/Pages"]["/Kids"][0].get_object()
        stream = generic.StreamObject(stream_data=b"BT /F1 18 Tf 72 760 Td (Prix 9000 EUR) Tj ET")
        page["/Contents"] = writer.add_object(stream)
        writer.update_container(page)
        forged = tmp_path / "forged.pdf"
        with open(forged, "wb") as out:
            writer.write(out)
    report = verify_file(forged, trust_roots=anchors)  # type: ignore[arg-type]
    assert len(report.signatures) == 2 and not report.ok
    assert all("modifié après la signature" in s.verdict_fr for s in report.signatures)
    assert all("NON permises" in s.coverage for s in report.signatures), [s.coverage for s in report.signatures]
    assert all(s.intact for s in report.signatures)  # each signed revision is intact; what follows is not allowed
