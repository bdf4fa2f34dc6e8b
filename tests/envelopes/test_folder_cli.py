"""Offline decryption of a downloaded consultation: every envelope, layout kept, one failure isolated."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from assistant.envelopes.folder import decrypt_folder
from assistant.keystores.base import Credential
from assistant.progress import ProgressUpdate
from tests import pki as pki_mod
from tests.envelopes.conftest import Recipients
from tests.envelopes.helpers import make_zip, openssl_encrypt


def _consultation(root: Path, recipients: Recipients) -> dict[str, bytes]:
    """consultation/pli/enveloppe, as the download job lays it out, plus files that are not envelopes."""
    plain = root.parent / "plain"
    plain.mkdir(exist_ok=True)
    expected: dict[str, bytes] = {}
    for pli in (1, 2):
        for kind in ("Candidature", "Offre"):
            files = {f"{kind} - pièce {i}.pdf": f"pli {pli} {kind} {i}".encode() * 50 for i in (1, 2)}
            src = plain / f"{pli}-{kind}.zip"
            src.write_bytes(make_zip(files))
            folder = root / "0311-99" / f"Pli {pli}"
            folder.mkdir(parents=True, exist_ok=True)
            openssl_encrypt(
                src,
                folder / f"EL{pli}_Enveloppe_{kind}.zip.p7m",
                recipients.certs(2),
                cipher="aes-256-gcm" if pli == 1 else "aes-256-cbc",
                stream=pli == 2,
            )
            for name, data in files.items():
                expected[f"0311-99/Pli {pli}/EL{pli}_Enveloppe_{kind}/{name}"] = data
    (root / "0311-99" / "Pli 1" / "horodatage.txt").write_text("pas une enveloppe")
    (root / "0311-99" / "Pli 1" / "signature.p7s").write_bytes(b"\x30\x03\x02\x01\x00")
    return expected


def test_decrypt_folder_keeps_layout_and_reports_progress(
    recipients: Recipients, p12_credentials: list[Credential], tmp_path: Path
) -> None:
    root = tmp_path / "download"
    expected = _consultation(root, recipients)
    # a third pli for someone else: its failure must not stop the others
    (root / "0311-99" / "Pli 3").mkdir()
    (tmp_path / "x").write_bytes(b"x")
    openssl_encrypt(
        tmp_path / "x", root / "0311-99" / "Pli 3" / "EL3_Enveloppe_Offre.zip.p7m", [recipients.others[3].files["cert"]]
    )
    updates: list[ProgressUpdate] = []
    outcomes = decrypt_folder(root, p12_credentials, tmp_path / "out", progress=updates.append)
    assert [o.ok for o in outcomes] == [True, True, True, True, False]
    assert outcomes[-1].error is not None and outcomes[-1].error.code == "envelope_no_key"
    for rel, data in expected.items():
        assert (tmp_path / "out" / rel).read_bytes() == data, rel
    labels = [u.label for u in updates if u.label]
    assert "Déchiffrement de l'enveloppe 1 sur 5" in labels and "Déchiffrement de l'enveloppe 5 sur 5" in labels
    assert labels[-1] == "Déchiffrement terminé"
    assert any(u.element == "0311-99/Pli 2/EL2_Enveloppe_Offre.zip.p7m" for u in updates)
    assert not (tmp_path / "out" / "0311-99" / "Pli 3" / "EL3_Enveloppe_Offre.zip").exists()
    # the downloaded folder is untouched
    assert sorted(p.name for p in (root / "0311-99" / "Pli 1").iterdir()) == [
        "EL1_Enveloppe_Candidature.zip.p7m",
        "EL1_Enveloppe_Offre.zip.p7m",
        "horodatage.txt",
        "signature.p7s",
    ]


def test_cli_decrypt_folder_json_and_exit_code(
    recipients: Recipients, test_pki: pki_mod.TestPki, tmp_path: Path
) -> None:
    root = tmp_path / "download"
    expected = _consultation(root, recipients)
    env = {**os.environ, "P12_PW": pki_mod.P12_PASSWORD}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "assistant",
            "decrypt",
            str(root),
            "--key",
            str(test_pki.encryption.files["p12"]),
            "--pin-env",
            "P12_PW",
            "--out-dir",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert "Déchiffrement de l'enveloppe 4 sur 4" in run.stderr
    assert "Enveloppes déchiffrées : 4 sur 4" in run.stdout
    for rel, data in expected.items():
        assert (tmp_path / "out" / rel).read_bytes() == data
    # again, in JSON, without extraction, into the same folder: new names, nothing overwritten
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "assistant",
            "decrypt",
            str(root / "0311-99" / "Pli 1" / "EL1_Enveloppe_Offre.zip.p7m"),
            "--key",
            str(test_pki.encryption.files["p12"]),
            "--pin-env",
            "P12_PW",
            "--out-dir",
            str(tmp_path / "out" / "0311-99" / "Pli 1"),
            "--no-extract",
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    (line,) = run.stdout.splitlines()
    item = json.loads(line)
    assert item["ok"] and item["result"]["algorithm"] == "AES-256-GCM" and item["extracted_to"] is None
    assert Path(item["result"]["output"]).name == "EL1_Enveloppe_Offre (2).zip"
    assert pki_mod.P12_PASSWORD not in run.stdout + run.stderr


def test_cli_decrypt_failure_is_french_and_nonzero(
    recipients: Recipients, test_pki: pki_mod.TestPki, tmp_path: Path
) -> None:
    (tmp_path / "x").write_bytes(b"x")
    env_file = openssl_encrypt(tmp_path / "x", tmp_path / "env.p7m", [recipients.others[0].files["cert"]])
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "assistant",
            "decrypt",
            str(env_file),
            "--key",
            str(test_pki.encryption.files["p12"]),
            "--pin-env",
            "P12_PW",
            "--out-dir",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "P12_PW": pki_mod.P12_PASSWORD},
        timeout=120,
    )
    assert run.returncode == 1
    assert "Aucune de vos clés ne permet d'ouvrir cette enveloppe" in run.stdout
    assert list((tmp_path / "out").iterdir()) == []


def test_cancel_stops_the_batch_and_leaves_no_partial_file(
    recipients: Recipients, p12_credentials: list[Credential], tmp_path: Path
) -> None:
    import pytest

    from assistant.errors import CancelledError
    from assistant.progress import CancelToken

    root = tmp_path / "download"
    _consultation(root, recipients)
    token = CancelToken()

    def progress(update: ProgressUpdate) -> None:
        if update.step == 2:
            token.cancel()

    with pytest.raises(CancelledError):
        decrypt_folder(root, p12_credentials, tmp_path / "out", progress=progress, cancel=token)
    produced = sorted(str(p.relative_to(tmp_path / "out")) for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert produced and all(p.startswith("0311-99/Pli 1/EL1_Enveloppe_Candidature") for p in produced), produced
    assert not [p for p in (tmp_path / "out").rglob(".*")], "a temporary file was left"
