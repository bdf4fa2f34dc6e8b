"""The "browsers trust the local bridge" line, against a real NSS database made by certutil."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from assistant.bridge import ca
from assistant.diagnostics import Status
from assistant.diagnostics.checks import check_bridge_trust
from tests.pki import require_tool


def test_bridge_trust_follows_the_nss_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    certutil = require_tool("certutil")
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))

    before = check_bridge_trust()[0]
    assert before.status is Status.SKIPPED
    assert "pas encore été démarré" in before.message

    identity, _renewed = ca.ensure()
    nssdb = home / ".pki" / "nssdb"
    absent = check_bridge_trust()[0]
    assert absent.status is Status.SKIPPED  # Chrome never ran: no store to trust anything yet

    nssdb.mkdir(parents=True)
    subprocess.run([certutil, "-N", "-d", f"sql:{nssdb}", "--empty-password"], check=True, capture_output=True)
    untrusted = check_bridge_trust()[0]
    assert untrusted.status is Status.WARNING
    assert untrusted.value == "Non reconnu par : Chrome / Chromium"
    assert "assistant bridge trust" in untrusted.remedy

    subprocess.run(
        [certutil, "-A", "-d", f"sql:{nssdb}", "-n", identity.nickname, "-t", "C,,", "-i", str(identity.ca_path)],
        check=True,
        capture_output=True,
    )
    trusted = check_bridge_trust()[0]
    assert trusted.status is Status.OK, trusted
    assert trusted.value == "Reconnu par tous les navigateurs"
