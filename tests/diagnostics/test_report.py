"""The whole report (run_diagnostics) and the `assistant diagnose` command, as IT would run them."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.diagnostics import Status, run_diagnostics
from assistant.progress import ProgressUpdate
from assistant.settings import Settings
from tests import pki
from tests.diagnostics.servers import https_server, valid_server_certificate

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def platform_cert(tmp_path: Path, test_pki: pki.TestPki, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    monkeypatch.setenv("SSL_CERT_FILE", str(test_pki.ca_bundle))
    return valid_server_certificate(tmp_path / "tls", test_pki)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_report_lists_every_prerequisite_and_reports_progress(platform_cert: tuple[Path, Path]) -> None:
    updates: list[ProgressUpdate] = []
    with https_server(platform_cert) as server:
        report = run_diagnostics(Settings(), platform_url=server.url, progress=updates.append)
    ids = [check.id for check in report.checks]
    for expected in (
        "os",
        "assistant",
        "runtime",
        "stores",
        "certificates",
        "browsers",
        "bridge_trust",
        "local_network",
        "net_proxy",
        "net_dns",
        "net_tcp",
        "net_tls",
        "net_http",
        "net_clock",
    ):
        assert expected in ids, ids
    assert report.get("os").status is Status.OK  # type: ignore[union-attr]
    assert report.get("net_http").value == "Communication établie"  # type: ignore[union-attr]
    # Chromium is installed by the project's setup: the browsers line names it with its version.
    assert "Chromium" in report.get("browsers").value  # type: ignore[union-attr]
    labels = [u.label for u in updates]
    assert labels[0] == "Test 1 sur 10 : Système d'exploitation"
    assert labels[-1] == "Test de configuration terminé"


def test_public_dict_has_no_local_details(platform_cert: tuple[Path, Path], tmp_path: Path) -> None:
    settings = Settings(pkcs12_files=[str(tmp_path / "secret-folder" / "mon-certificat.p12")])
    report = run_diagnostics(settings)
    public = json.dumps(report.to_dict(public=True), ensure_ascii=False)
    assert "secret-folder" not in public and "mon-certificat.p12" in json.dumps(report.to_dict(), ensure_ascii=False)
    data = report.to_dict(public=True)
    assert data["status"] in ("ok", "warning", "error")
    assert all("details" not in check for check in data["checks"])
    # A registered .p12 that disappeared is a warning with a remedy.
    pkcs12 = report.get("pkcs12")
    assert pkcs12 is not None and pkcs12.status is Status.WARNING
    assert pkcs12.value == "1 fichier(s) introuvable(s)"
    assert "Mes certificats" in pkcs12.remedy


def _diagnose(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ}
    return subprocess.run(
        [sys.executable, "-m", "assistant", "diagnose", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )


def test_diagnose_command_terminal_and_json(platform_cert: tuple[Path, Path]) -> None:
    with https_server(platform_cert) as server:
        ok = _diagnose("--platform", server.url)
        as_json = _diagnose("--platform", server.url, "--json")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    lines = ok.stdout.splitlines()
    assert lines[0] == "Test de la configuration de votre poste"
    assert any(line.startswith("✓ Système d'exploitation") for line in lines)
    assert any(
        line.startswith("✓ Communication avec le serveur distant") and "Communication établie" in line for line in lines
    )
    assert lines[-1].startswith("Résultat : La configuration de votre poste utilisateur respecte")
    data = json.loads(as_json.stdout)
    assert {c["id"]: c["status"] for c in data["checks"]}["net_tls"] == "ok"

    failed = _diagnose("--platform", f"https://127.0.0.1:{_closed_port()}/")
    assert failed.returncode == 1
    assert "✗ Connexion au serveur" in failed.stdout
    assert "→ Vérifiez l'adresse et le port de la plateforme" in failed.stdout
    assert "ne respecte pas tous les prérequis" in failed.stdout
