"""Output names follow the convention platforms and buyers know (see the MPE webinar reference)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from assistant.signing.formats import SignFormat
from assistant.signing.naming import base_name, next_number_name, output_path

WHEN = dt.datetime(2020, 11, 2, 14, 40, 25)


def test_the_three_examples_of_the_original_assistant(tmp_path: Path) -> None:
    pdf = tmp_path / "0-Lettre informative.pdf"
    zip_x = tmp_path / "COMPLEMENT.zip"
    zip_c = tmp_path / "Offre_Lot3.zip"
    assert output_path(pdf, SignFormat.PADES, tmp_path, when=WHEN).name == (
        "0-Lettre informative - 20201102144025 - Signature 1.pdf"
    )
    assert output_path(zip_x, SignFormat.XADES, tmp_path, when=WHEN).name == (
        "COMPLEMENT.zip - 20201102144025 - Signature 1.xml"
    )
    assert output_path(zip_c, SignFormat.CADES, tmp_path, when=WHEN).name == (
        "Offre_Lot3.zip - 20201102144025 - Signature 1.p7s"
    )


def test_cosignature_counts_signatures_beside_the_file(tmp_path: Path) -> None:
    source = tmp_path / "BPU.rtf"
    (tmp_path / "BPU.rtf - 20131217121300 - Signature 1.p7s").touch()
    (tmp_path / "BPU.rtf - Signature 2.p7s").touch()  # the older form, without the time
    (tmp_path / "BPU.rtf - 20131217121300 - Signature 7.xml").touch()  # other format: not counted
    (tmp_path / "Autre BPU.rtf - 20131217121300 - Signature 9.p7s").touch()  # other file: not counted
    assert output_path(source, SignFormat.CADES, tmp_path, when=WHEN).name == (
        "BPU.rtf - 20201102144025 - Signature 3.p7s"
    )


def test_pades_cosignature_of_a_signed_copy(tmp_path: Path) -> None:
    signed = tmp_path / "Contrat - 20201102144025 - Signature 1.pdf"
    later = WHEN + dt.timedelta(days=1)
    assert base_name(signed, SignFormat.PADES) == "Contrat"
    assert output_path(signed, SignFormat.PADES, tmp_path, when=later).name == (
        "Contrat - 20201103144025 - Signature 2.pdf"
    )
    # A renamed copy: the signatures found inside the PDF are counted.
    renamed = tmp_path / "contrat final.pdf"
    assert output_path(renamed, SignFormat.PADES, tmp_path, when=WHEN, already_signed=2).name == (
        "contrat final - 20201102144025 - Signature 3.pdf"
    )


def test_signing_a_signature_file_in_cades_keeps_its_whole_name(tmp_path: Path) -> None:
    xml = tmp_path / "COMPLEMENT.zip - 20201102144027 - Signature 1.xml"
    assert output_path(xml, SignFormat.CADES, tmp_path, when=WHEN).name == (
        "COMPLEMENT.zip - 20201102144027 - Signature 1.xml - 20201102144025 - Signature 1.p7s"
    )


def test_next_number_when_taken() -> None:
    path = Path("/x/A.pdf - 20201102144025 - Signature 1.p7s")
    assert next_number_name(path).name == "A.pdf - 20201102144025 - Signature 2.p7s"
