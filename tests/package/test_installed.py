"""The per-user install, end to end: the bundle built here, installed by a non-root user into a
fresh HOME with `install.sh --user`, then the installed binary used as a buyer would (version,
certificates on the SoftHSM2 card, diagnostics, the local bridge, a CAdES signature openssl
accepts), then `install.sh --uninstall --purge` leaves that HOME as it found it."""

from __future__ import annotations

import json
import ssl
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import pki as pki_mod
from tests.package.conftest import APP_ID, Built, PackageUser, home_tree, new_user
from tests.signing.conftest import Tsa, make_pdf, tsa  # noqa: F401 (the TSA fixture, requested by name)
from tests.signing.validators import openssl_cms_verify, pyhanko_validate


@dataclass(frozen=True)
class Installed:
    user: PackageUser
    launcher: Path
    app_root: Path
    before: set[str]
    token: pki_mod.SoftHsmToken


@pytest.fixture(scope="module")
def installed(built: Built, unpacked: Path, scratch: Path, test_pki: pki_mod.TestPki) -> Iterator[Installed]:
    user = new_user(scratch, "install")
    before = home_tree(user.home)
    token_dir = scratch / "softhsm-install"
    token = pki_mod.make_softhsm(token_dir)
    pki_mod.import_into_softhsm(token, test_pki.signer, "01")
    user.give(token_dir)
    user.extra_env["SOFTHSM2_CONF"] = str(token.conf)
    done = user.run(["sh", str(unpacked / "install.sh"), "--user"])
    assert f"Assistant Marchés Publics {built.version} installé" in done.stdout
    app_root = user.home / ".local" / "share" / APP_ID / "app"
    yield Installed(user, user.home / ".local" / "bin" / APP_ID, app_root, before, token)


def test_install_puts_launcher_menu_icon_and_autostart_in_the_users_folders(installed: Installed, built: Built) -> None:
    home = installed.user.home
    assert (installed.app_root / "current").resolve() == installed.app_root / "versions" / built.version
    assert installed.launcher.resolve() == installed.app_root / "versions" / built.version / "assistant"
    desktop = (home / ".local/share/applications" / f"{APP_ID}.desktop").read_text()
    assert (
        f'Exec="{installed.app_root}/current/assistant" run' in desktop and "Name=Assistant Marchés Publics" in desktop
    )
    assert (home / ".local/share/icons/hicolor/scalable/apps" / f"{APP_ID}.svg").read_text().startswith("<svg")
    autostart = (home / ".config/autostart" / f"{APP_ID}.desktop").read_text()
    assert f"Exec={installed.app_root}/current/assistant run" in autostart
    status = json.loads(installed.user.run([str(installed.launcher), "autostart", "status", "--json"]).stdout)
    assert status["enabled"] is True
    # Nothing owned by root in the user's install: they can update and remove it alone.
    owners = {p.stat().st_uid for p in installed.app_root.rglob("*") if not p.is_symlink()}
    assert owners == {installed.user.uid}


def test_version(installed: Installed, built: Built) -> None:
    done = installed.user.run([str(installed.launcher), "--version"])
    assert done.stdout.strip() == f"Assistant Marchés Publics {built.version}"


def test_certs_lists_the_cards_certificate(installed: Installed, test_pki: pki_mod.TestPki) -> None:
    done = installed.user.run([str(installed.launcher), "certs", "--json"])
    listed = json.loads(done.stdout)
    entries = listed if isinstance(listed, list) else listed.get("certificates", [])
    names = json.dumps(entries, ensure_ascii=False)
    assert "Jeanne Dupont" in names, names
    assert installed.token.label in names or "pkcs11" in names


def test_diagnose_json(installed: Installed, built: Built) -> None:
    done = installed.user.run([str(installed.launcher), "diagnose", "--json"], check=False)
    report = json.loads(done.stdout)
    assert report["assistant_version"] == built.version
    assert {check["id"] if "id" in check else check.get("name") for check in report["checks"]}


def test_headless_bridge_answers_status(installed: Installed, built: Built) -> None:
    proc = installed.user.popen([str(installed.launcher), "run", "--headless", "--port", "0"])
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("https://127.0.0.1:"), proc.stderr.read() if proc.stderr else ""
        ca = installed.user.home / ".local/share" / APP_ID / "bridge" / "ca.pem"
        context = ssl.create_default_context(cafile=str(ca))
        with urllib.request.urlopen(f"{url}/v1/status", context=context, timeout=20) as response:
            status = json.loads(response.read())
        assert status["version"] == built.version
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_cades_signature_with_the_card_is_accepted_by_openssl(
    installed: Installed, scratch: Path, test_pki: pki_mod.TestPki
) -> None:
    work = scratch / "sign-install"
    work.mkdir()
    document = work / "Acte d'engagement.pdf"
    document.write_bytes(b"%PDF-1.4\n% Offre du lot 1\n" * 50)
    installed.user.give(work)
    key = installed.token.uri(test_pki.signer.name)
    installed.user.run(
        [
            str(installed.launcher),
            "sign",
            "--format",
            "cades",
            "--key",
            key,
            "--pin-env",
            "AMP_PIN",
            "--out-dir",
            str(work),
            str(document),
        ],
        AMP_PIN=installed.token.pin,
    )
    (signature,) = [p for p in work.iterdir() if p.name != document.name]
    verified = openssl_cms_verify(signature, document, test_pki.ca_bundle)
    assert verified.returncode == 0, verified.stderr.decode()


def test_timestamped_pades_from_the_bundle_without_aiohttp(
    installed: Installed, scratch: Path, test_pki: pki_mod.TestPki, tsa: Tsa
) -> None:
    """The bundle leaves aiohttp out (build.spec; pyHanko imports it only for clients the assistant
    never uses): a B-T PAdES with the card and an RFC 3161 timestamp is made and verified by the
    installed assistant, and pyHanko (in the venv, with aiohttp) finds signature and timestamp valid."""
    assert not list((installed.app_root / "current" / "_internal").glob("aiohttp*"))
    work = scratch / "sign-pades-install"
    work.mkdir()
    document = make_pdf(work / "Mémoire technique.pdf", "Lot 2")
    anchors = [work / "racine.pem", work / "autorite.pem"]
    anchors[0].write_bytes(test_pki.root.cert_pem)
    anchors[1].write_bytes(test_pki.ca.cert_pem)
    installed.user.give(work)
    requests_before = len(tsa.requests)
    key = installed.token.uri(test_pki.signer.name)
    options = ["--format", "pades", "--level", "B-T", "--tsa", tsa.url, "--key", key, "--pin-env", "AMP_PIN"]
    installed.user.run(
        [str(installed.launcher), "sign", *options, "--out-dir", str(work), str(document)], AMP_PIN=installed.token.pin
    )
    assert len(tsa.requests) > requests_before
    (signed,) = [p for p in work.glob("*.pdf") if p != document]
    (status,) = pyhanko_validate(signed, test_pki)
    assert status.valid and status.intact  # type: ignore[attr-defined]
    stamp = status.timestamp_validity  # type: ignore[attr-defined]
    assert stamp is not None and stamp.intact and stamp.valid
    # The installed assistant's own verdict on it (revocation stays unknown offline: not judged here).
    trust = [arg for anchor in anchors for arg in ("--trust", str(anchor))]
    done = installed.user.run([str(installed.launcher), "verify", "--json", *trust, str(signed)], check=False)
    report = json.loads(done.stdout)
    (signature,) = (report[0] if isinstance(report, list) else report)["signatures"]
    assert (signature["level"], signature["intact"], signature["signature_valid"]) == ("B-T", True, True), signature
    assert signature["timestamp_valid"] is True and signature["trusted"] is True, signature


def test_uninstall_purge_leaves_nothing(installed: Installed, scratch: Path) -> None:
    """Last in the module: removes what every test above used."""
    done = installed.user.run(["sh", str(installed.app_root / "install.sh"), "--uninstall", "--purge"])
    assert "désinstallé" in done.stdout
    leftover = home_tree(installed.user.home) - installed.before
    assert leftover == set(), sorted(leftover)


def test_uninstall_keeps_user_data_and_nothing_else(unpacked: Path, scratch: Path) -> None:
    user = new_user(scratch, "keep")
    user.run(["sh", str(unpacked / "install.sh"), "--user", "--no-autostart"])
    launcher = user.home / ".local/bin" / APP_ID
    user.run([str(launcher), "origins", "add", "https://marches.example.fr"])
    mine = user.home / ".local/share/applications" / "other-app.desktop"
    mine.write_text("[Desktop Entry]\nName=Autre\n")
    user.give(mine)
    user.run([str(launcher), "autostart", "on"])  # turned on later, from the settings
    user.run(["sh", str(unpacked / "install.sh"), "--uninstall"])
    assert not (user.home / ".local/share" / APP_ID / "app").exists()
    assert not launcher.exists() and not launcher.is_symlink()
    assert not (user.home / ".config/autostart" / f"{APP_ID}.desktop").exists()
    assert mine.exists()  # someone else's menu entry stays
    settings = json.loads((user.home / ".config" / APP_ID / "settings.json").read_text())
    assert settings["approved_origins"] == ["https://marches.example.fr"]
