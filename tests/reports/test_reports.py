"""The report renderings, read back by tools the project did not write (pdftotext, lxml's HTML parser)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from lxml import html as lxml_html

from assistant.errors import UsageError
from assistant.reports import Document, KeyValues, Paragraph, Section, Tone, write_document
from assistant.reports.pdf import winansi

FRENCH = "Œuvre d'art : 1 250 € HT, cœur « élevé » — çà et là, Noël"


def _document() -> Document:
    return Document(
        title="Rapport de vérification",
        subtitle="Offre – lot n° 2",
        footer="Généré par Assistant Marchés Publics",
        blocks=(
            Paragraph("Signature valide.", Tone.GOOD),
            Paragraph(FRENCH),
            Section(
                "Signature 1",
                (
                    KeyValues((("Signataire", "Éloïse Durand"), ("Émetteur", "<script>alert(1)</script>"))),
                    Section("Horodatage", (Paragraph("Aucun horodatage."),)),
                ),
            ),
        ),
    )


def _pdftotext(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


def test_pdf_reads_back_with_french_text(tmp_path: Path) -> None:
    out = write_document(_document(), tmp_path / "rapport.pdf")
    assert out.read_bytes().startswith(b"%PDF-")
    text = _pdftotext(out)
    for expected in ("Rapport de vérification", "Signature valide.", "Éloïse Durand", "Horodatage", "Offre – lot n° 2"):
        assert expected in text
    # Every French character survives, œ and € included (WinAnsi covers them).
    assert " ".join(FRENCH.split()) in " ".join(text.split())
    assert "<script>alert(1)</script>" in text  # shown as text, not swallowed as markup
    info = subprocess.run(["pdfinfo", str(out)], check=True, capture_output=True, text=True).stdout
    assert "Rapport de vérification" in info


def test_pdf_keeps_names_outside_winansi_readable(tmp_path: Path) -> None:
    doc = Document(title="T", blocks=(KeyValues((("Signataire", "Zoë Ŝtefan Ωmega"),)),))
    text = _pdftotext(write_document(doc, tmp_path / "r.pdf"))
    assert "Zoë Stefan ?mega" in text
    assert winansi("Łukasz") == "?ukasz"


def test_html_escapes_and_keeps_structure(tmp_path: Path) -> None:
    out = write_document(_document(), tmp_path / "rapport.html")
    page = lxml_html.fromstring(out.read_bytes())
    assert page.findtext(".//h1") == "Rapport de vérification"
    assert [h.text for h in page.iter("h2", "h3")] == ["Signature 1", "Horodatage"]
    assert not page.findall(".//script")
    cells = [td.text for td in page.iter("td")]
    assert "<script>alert(1)</script>" in cells
    assert page.find(".//p[@class='tone-good']").text == "Signature valide."


def test_json_is_the_document(tmp_path: Path) -> None:
    out = write_document(_document(), tmp_path / "rapport.json")
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["title"] == "Rapport de vérification"
    assert data["blocks"][2]["blocks"][0]["rows"][0] == ["Signataire", "Éloïse Durand"]


def test_unknown_suffix_is_refused_and_nothing_written(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(UsageError) as info:
        write_document(_document(), out / "rapport.docx")
    assert "choisissez .pdf, .html ou .json" in info.value.message_fr
    assert list(out.iterdir()) == []


def test_failed_write_keeps_the_previous_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out" / "rapport.pdf"
    target.parent.mkdir()
    target.write_bytes(b"previous")
    import assistant.reports.write as write_module

    def boom(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(write_module.os, "replace", boom)
    from assistant.errors import OutputError

    with pytest.raises(OutputError):
        write_document(_document(), target)
    assert target.read_bytes() == b"previous"
    assert [p.name for p in target.parent.iterdir()] == ["rapport.pdf"]
