"""`assistant prepare FOLDER` as a person types it: the plan and problems without a key, the whole
bid signed with --key, the visible stamp's place remembered for next time."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.settings import Settings
from tests import pki
from tests.prepare.conftest import Bid


def test_look_only_without_a_key(bid: Bid, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rules = tmp_path / "règles.json"
    rules.write_text(json.dumps({"deposit_rules": {"platform": "Démo", "max_name_length": 100}}), encoding="utf-8")
    code = main(["prepare", str(bid.root), "--rules", str(rules)])
    out = capsys.readouterr().out
    assert code == 1  # a name the platform refuses is an error
    assert "Lot 1/Offre/Annexes techniques.zip  [XADES] — fichiers contenus signés d'abord" in out
    assert "Lot 1/Offre/BPU.xlsx  [XADES]" in out
    assert "Lot 1/Candidature/DC1.pdf  [PADES]" in out
    assert "Problèmes détectés" in out and "caractères" in out and "figure dans plusieurs lots" in out
    assert not (bid.root.parent / f"{bid.root.name} - dépôt signé").exists()

    main(["prepare", str(bid.root), "--zip-as-is", "Lot 1/Offre/Annexes techniques.zip", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert "zip_content_unsigned" in {p["code"] for p in data["problems"]}


def test_sign_with_a_p12_and_a_remembered_stamp(
    bid: Bid,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    test_pki: pki.TestPki,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AMP_TEST_PIN", pki.P12_PASSWORD)
    out_dir = tmp_path / "à déposer"
    code = main(
        [
            "prepare",
            str(bid.root),
            "--key",
            str(test_pki.signer.files["p12"]),
            "--pin-env",
            "AMP_TEST_PIN",
            "--out",
            str(out_dir),
            "--trust",
            str(test_pki.root.files["cert"]),
            "--trust",
            str(test_pki.ca.files["cert"]),
            "--stamp-page",
            "1",
            "--stamp-box",
            "0.1,0.7,0.4,0.1",
            "--format",
            "Lot 2/Offre/DPGF.ods=cades",
        ]
    )
    out = capsys.readouterr().out
    assert code == 1, out  # signed, but the too-long name stays a problem to fix
    assert "Ce que verra l'acheteur" in out
    assert len(re.findall(r"^  ✓ ", out, re.M)) == 10, out
    assert f"Dossier à déposer : {out_dir}" in out
    assert (tmp_path / "à déposer - récapitulatif.pdf").is_file()
    assert any(p.suffix == ".p7s" for p in out_dir.rglob("*"))
    remembered = Settings.load().extra["signature_stamp"]
    assert remembered["page"] == 1 and remembered["left"] == 0.1 and remembered["top"] == 0.7


def test_in_english(bid: Bid, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant import i18n

    monkeypatch.setenv("ASSISTANT_LANG", "en")
    try:
        main(["prepare", str(bid.root)])
    finally:
        i18n.set_language("fr")
    out = capsys.readouterr().out
    assert "Problems found" in out and " — files inside signed first" in out
    assert "the deposited name" in out and "appears in several lots" in out
    assert "Problèmes" not in out
