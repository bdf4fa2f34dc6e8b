"""`assistant verify` speaks the user's language — verdict, format, qualification, remarks — on the
terminal and in the exported report, and its JSON keeps the same codes whatever the language.

Real parts: a detached CMS made by `openssl cms -sign -noattr` with the test PKI, checked against
a tampered copy of its document; the PDF report read back with pdftotext."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests import pki

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "verification-report.schema.json"


@pytest.fixture
def tampered(tmp_path: Path, test_pki: pki.TestPki) -> tuple[Path, Path]:
    """A detached CMS without signed attributes, and the document it signed, changed since."""
    pki.require_tool("openssl")
    data = tmp_path / "Offre.txt"
    data.write_bytes(b"Offre de prix : 1000 EUR\n")
    signature = tmp_path / "Offre.txt.p7s"
    pki.run(
        [
            "openssl",
            "cms",
            "-sign",
            "-binary",
            "-noattr",
            "-outform",
            "DER",
            "-in",
            str(data),
            "-out",
            str(signature),
            "-signer",
            str(test_pki.signer.files["cert"]),
            "-inkey",
            str(test_pki.signer.files["key"]),
            "-certfile",
            str(test_pki.ca.files["cert"]),
        ]
    )
    data.write_bytes(b"Offre de prix : 9000 EUR\n")
    return signature, data


def _verify(language: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ASSISTANT_LANG": language}
    return subprocess.run(
        [sys.executable, "-m", "assistant", "verify", *args], capture_output=True, text=True, env=env, timeout=120
    )


def _pdftotext(path: Path) -> str:
    pki.require_tool("pdftotext")
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(text.split())  # lines wrapped by the layout joined again


ENGLISH = (
    "✗ Signature 1: Invalid signature: the document has been changed or the signature is damaged.",
    "↳ Format: CMS / PKCS#7, not AdES (no signed attributes)",
    "↳ Type: detached",
    "↳ Qualification (eIDAS): claims to be qualified; not confirmed by the trusted list",
    "↳ Remark: The document has been changed since it was signed.",
)
FRENCH = (
    "✗ Signature 1 : Signature invalide : le document a été modifié ou la signature est altérée.",
    "↳ Format : CMS / PKCS#7, pas AdES (attributs signés absents)",
    "↳ Type : détachée",
    "↳ Qualification (eIDAS) : se déclare qualifié ; non confirmé par la liste de confiance",
    "↳ Remarque : Le document a été modifié depuis sa signature.",
)


def test_the_terminal_report_in_english_and_in_french(tampered: tuple[Path, Path], test_pki: pki.TestPki) -> None:
    signature, data = tampered
    args = (str(signature), "--detached-of", str(data), "--trust", str(test_pki.ca_bundle))
    english = _verify("en", *args)
    assert english.returncode == 1, english.stderr
    for line in ENGLISH:
        assert line in english.stdout, english.stdout
    for french in ("Signature invalide", "pas AdES", "détachée", "modifié", "qualifié", "Remarque"):
        assert french not in english.stdout, english.stdout
    french = _verify("fr", *args)
    assert french.returncode == 1, french.stderr
    for line in FRENCH:
        assert line in french.stdout, french.stdout
    assert "Invalid signature" not in french.stdout


def test_the_exported_pdf_and_html_reports_in_english(
    tampered: tuple[Path, Path], test_pki: pki.TestPki, tmp_path: Path
) -> None:
    signature, data = tampered
    out = tmp_path / "report.pdf"
    done = _verify(
        "en", str(signature), "--detached-of", str(data), "--trust", str(test_pki.ca_bundle), "--report", str(out)
    )
    assert done.returncode == 1 and out.is_file(), done.stderr
    text = _pdftotext(out)
    for expected in (
        "Signature verification report",
        "At least one signature is not valid or could not be validated.",
        "Invalid signature: the document has been changed or the signature is damaged.",
        "CMS / PKCS#7, not AdES (no signed attributes)",
        "Remarks",
        "The document has been changed since it was signed.",
        "detached",
    ):
        assert expected in text, text
    for french in ("Signature invalide", "pas AdES", "Remarques", "détachée", "Le document a été modifié"):
        assert french not in text, text

    html = tmp_path / "report.html"
    done = _verify(
        "en", str(signature), "--detached-of", str(data), "--trust", str(test_pki.ca_bundle), "--report", str(html)
    )
    page = html.read_text(encoding="utf-8")
    assert '<html lang="en">' in page and "Invalid signature: the document has been changed" in page
    assert "Signature invalide" not in page and "Remarques" not in page

    out_fr = tmp_path / "rapport.pdf"
    done = _verify(
        "fr", str(signature), "--detached-of", str(data), "--trust", str(test_pki.ca_bundle), "--report", str(out_fr)
    )
    text = _pdftotext(out_fr)
    for expected in ("Rapport de vérification de signature", "Signature invalide", "pas AdES", "Remarques"):
        assert expected in text, text


def _codes(signature: dict[str, Any]) -> dict[str, Any]:
    return {
        "verdict_code": signature["verdict_code"],
        "not_ades_code": signature["not_ades_code"],
        "coverage_code": signature["coverage_code"],
        "problems": [p["code"] for p in signature["problems"]],
        "reason_code": (signature["trusted_list"] or {}).get("reason_code"),
        "packaging": signature["packaging"],
    }


def test_the_json_report_has_the_same_codes_in_every_language(
    tampered: tuple[Path, Path], test_pki: pki.TestPki
) -> None:
    signature, data = tampered
    args = (str(signature), "--detached-of", str(data), "--trust", str(test_pki.ca_bundle), "--json")
    reports = {language: json.loads(_verify(language, *args).stdout) for language in ("fr", "en")}
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    for report in reports.values():
        jsonschema.validate(report, schema)
    fr, en = (reports[language]["signatures"][0] for language in ("fr", "en"))
    assert _codes(fr) == _codes(en)
    assert fr["verdict_code"] == "altered" and fr["not_ades_code"] == "no_signed_attributes"
    assert "document_modified" in _codes(fr)["problems"] and fr["packaging"] == "détachée"
    assert fr["verdict"].startswith("Signature invalide") and en["verdict"].startswith("Invalid signature")
    assert [p["text"] for p in fr["problems"]] != [p["text"] for p in en["problems"]]
