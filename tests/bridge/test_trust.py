"""Adding and removing the CA in real NSS databases (certutil), and the plans for Windows/macOS."""

from __future__ import annotations

import subprocess
from pathlib import Path

from assistant.bridge import ca, trust
from tests.pki import require_tool


def _home_with_firefox(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    for profile in ("abcd.default-release", "efgh.travail"):
        directory = home / ".mozilla" / "firefox" / profile
        directory.mkdir(parents=True)
        subprocess.run([require_tool("certutil"), "-N", "-d", f"sql:{directory}", "--empty-password"], check=True)
    (home / ".mozilla" / "firefox" / "sans-base").mkdir()  # not a profile: no cert9.db
    return home


def _nicknames(directory: Path) -> str:
    return subprocess.run(
        [require_tool("certutil"), "-L", "-d", f"sql:{directory}"], capture_output=True, text=True, check=True
    ).stdout


def test_trust_then_untrust_in_chrome_and_every_firefox_profile(tmp_path: Path) -> None:
    home = _home_with_firefox(tmp_path)
    identity = ca.issue(tmp_path / "bridge")
    outcomes = trust.trust(identity, home=home, platform="linux")
    assert [o.target.browser for o in outcomes] == [
        "Chrome / Chromium",
        "Firefox (profil abcd.default-release)",
        "Firefox (profil efgh.travail)",
    ]
    assert all(o.ok for o in outcomes)
    for target in trust.nss_targets(home):
        assert identity.nickname in _nicknames(Path(target.location))
    assert all(s.trusted for s in trust.status(identity, home=home, platform="linux"))
    trust.untrust(identity, home=home, platform="linux")
    for target in trust.nss_targets(home):
        assert identity.nickname not in _nicknames(Path(target.location))
    assert not any(s.trusted for s in trust.status(identity, home=home, platform="linux"))


def test_renewal_swaps_the_ca_where_the_user_had_trusted_it(tmp_path: Path) -> None:
    home = _home_with_firefox(tmp_path)
    old = ca.issue(tmp_path / "bridge")
    trust.trust(old, home=home, platform="linux")
    new = ca.issue(tmp_path / "bridge")
    outcomes = trust.after_renewal(new, home=home, platform="linux")
    assert outcomes and all(o.ok for o in outcomes)
    for target in trust.nss_targets(home):
        names = _nicknames(Path(target.location))
        assert new.nickname in names and old.nickname not in names


def test_no_consent_no_change_on_renewal(tmp_path: Path) -> None:
    home = _home_with_firefox(tmp_path)
    identity = ca.issue(tmp_path / "bridge")
    assert trust.after_renewal(identity, home=home, platform="linux") == []
    assert not (home / ".pki" / "nssdb" / "cert9.db").exists()


def test_status_reports_a_missing_chrome_database(tmp_path: Path) -> None:
    identity = ca.issue(tmp_path / "bridge")
    statuses = trust.status(identity, home=tmp_path / "empty-home", platform="linux")
    assert [(s.target.browser, s.trusted) for s in statuses] == [("Chrome / Chromium", False)]
    assert statuses[0].detail == "base NSS absente"


def test_windows_and_macos_plans(tmp_path: Path) -> None:
    identity = ca.issue(tmp_path / "bridge")
    windows = trust.targets_for("win32", tmp_path)
    assert [t.location for t in windows] == ["CurrentUser\\Root"]
    assert trust.add_commands(windows[0], identity) == [
        ["certutil", "-user", "-addstore", "Root", str(identity.ca_path)]
    ]
    assert trust.remove_commands(windows[0], identity.nickname, serial_hex="abc") == [
        ["certutil", "-user", "-delstore", "Root", "abc"]
    ]
    mac = trust.targets_for("darwin", tmp_path)[0]
    assert mac.location.endswith("Library/Keychains/login.keychain-db")
    assert trust.add_commands(mac, identity) == [
        ["security", "add-trusted-cert", "-r", "trustRoot", "-k", mac.location, str(identity.ca_path)]
    ]
    assert trust.remove_commands(mac, identity.nickname, sha1_hex="ab12")[0][:3] == [
        "security",
        "delete-certificate",
        "-Z",
    ]
    found = subprocess.CompletedProcess(
        [], 0, stdout=f"SHA-1 hash: {identity.ca_fingerprint_sha1.upper()}\n", stderr=""
    )
    assert trust.interpret_check(mac, identity, found)
    assert not trust.interpret_check(
        mac, identity, subprocess.CompletedProcess([], 0, stdout="SHA-1 hash: 00\n", stderr="")
    )


def test_cli_trust_requires_consent(tmp_path: Path, monkeypatch, capsys) -> None:
    from assistant.cli import main

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert main(["bridge", "trust"]) == 1
    assert "Rien n'a été modifié" in capsys.readouterr().err
    assert not (home / ".pki" / "nssdb" / "cert9.db").exists()
    assert main(["bridge", "trust", "--yes"]) == 0
    assert "[ok] Chrome / Chromium" in capsys.readouterr().out
    assert main(["bridge", "status"]) == 0
    out = capsys.readouterr().out
    assert "Pont local : arrêté" in out and "Chrome / Chromium : approuvée" in out
    assert main(["bridge", "untrust"]) == 0
    assert main(["bridge", "status"]) == 0
    assert "Chrome / Chromium : non approuvée" in capsys.readouterr().out


def test_trust_is_offered_once(tmp_path: Path) -> None:
    home = _home_with_firefox(tmp_path)
    identity = ca.issue(tmp_path / "bridge")
    assert trust.should_offer(identity)
    trust.record_declined(identity)
    assert not trust.should_offer(identity)
    other = ca.issue(tmp_path / "bridge2")
    trust.trust(other, home=home, platform="linux")
    assert not trust.should_offer(other)


def test_a_complete_failure_is_not_taken_as_consent(tmp_path: Path) -> None:
    """Every store refused (here: a damaged Chrome database): the offer must come back next start."""
    home = tmp_path / "home"
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    (nssdb / "cert9.db").write_bytes(b"not a database")
    (nssdb / "key4.db").write_bytes(b"not a database")
    identity = ca.issue(tmp_path / "bridge")
    outcomes = trust.trust(identity, home=home, platform="linux")
    assert outcomes and not any(o.ok for o in outcomes)
    assert trust.should_offer(identity)
