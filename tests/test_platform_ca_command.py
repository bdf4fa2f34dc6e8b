"""`assistant platform-ca`: IT adds an enterprise (or TLS-inspecting proxy) CA for platforms, sees what
the file holds, and a file that is not a usable certificate is refused with nothing changed."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from cryptography.hazmat.primitives import hashes

from assistant.settings import Settings
from tests import pki
from tests.demo.process import assistant_cmd, assistant_env


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        assistant_cmd("platform-ca", *args), env=assistant_env(home), capture_output=True, text=True, timeout=60
    )


def settings_of(home: Path) -> Settings:
    return Settings.load(home / "config" / "settings.json")


def test_add_list_remove(assistant_home: Path, test_pki: pki.TestPki, tmp_path: Path) -> None:
    empty = cli(assistant_home, "list")
    assert empty.returncode == 0 and "Aucune autorité ajoutée" in empty.stdout

    ca_file = tmp_path / "autorite entreprise.pem"
    ca_file.write_bytes(Path(test_pki.ca_bundle).read_bytes())
    added = cli(assistant_home, "add", str(ca_file))
    assert added.returncode == 0, added.stderr
    assert "en plus de celles du système" in added.stdout
    fingerprint = test_pki.ca.certificate.fingerprint(hashes.SHA256()).hex(":").upper()
    assert fingerprint in added.stdout
    assert "autorité de certification : oui" in added.stdout
    assert settings_of(assistant_home).platform_ca_files == [str(ca_file)]

    again = cli(assistant_home, "add", str(ca_file))  # idempotent
    assert again.returncode == 0 and settings_of(assistant_home).platform_ca_files == [str(ca_file)]

    listing = json.loads(cli(assistant_home, "list", "--json").stdout)
    assert [entry["path"] for entry in listing] == [str(ca_file)]
    assert listing[0]["problem"] == ""
    assert fingerprint in [c["sha256"] for c in listing[0]["certificates"]]

    ca_file.unlink()  # the file disappeared since: the listing says so
    gone = cli(assistant_home, "list")
    assert "inutilisable : fichier introuvable" in gone.stdout

    removed = cli(assistant_home, "remove", str(ca_file))
    assert removed.returncode == 0 and settings_of(assistant_home).platform_ca_files == []
    assert cli(assistant_home, "remove", str(ca_file)).returncode == 1


def test_a_file_that_is_not_a_certificate_is_refused_and_nothing_changes(assistant_home: Path, tmp_path: Path) -> None:
    not_a_cert = tmp_path / "cle.pem"
    not_a_cert.write_text("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n")
    for candidate in (not_a_cert, tmp_path / "absent.pem"):
        result = cli(assistant_home, "add", str(candidate))
        assert result.returncode != 0
        assert "Autorité refusée" in result.stderr and "Rien n'a été modifié" in result.stderr
    assert settings_of(assistant_home).platform_ca_files == []
    assert "ce n'est pas un certificat PEM lisible" in cli(assistant_home, "add", str(not_a_cert)).stderr
    assert "fichier introuvable" in cli(assistant_home, "add", str(tmp_path / "absent.pem")).stderr
