"""The update pieces that need no bundle: the minimum-version gate the job engine calls, the IT
policy over the user's settings, and the apply/rollback logic on a real folder layout."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from assistant.jobs.engine import JobEngine
from assistant.jobs.interaction import HeadlessInteraction
from assistant.settings import Settings
from assistant.update import apply
from assistant.update.config import POLICY_ENV, load_config
from assistant.update.gate import UpdateRequiredError, check_remote_jobs_allowed, status_path
from assistant.update.layout import InstallLayout

DESCRIPTOR = {"version": 1, "type": "diagnose", "params": {"platform_url": "https://marches.example.fr/"}}


def _publish_minimum(version: str | None) -> None:
    path = status_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"min_version": version}))


def test_minimum_version_refuses_remote_jobs_only(assistant_home: Path) -> None:
    engine = JobEngine(interaction=HeadlessInteraction(), workers=1)
    try:
        _publish_minimum("99.0.0")
        with pytest.raises(UpdateRequiredError) as refused:
            engine.submit(DESCRIPTOR, "https://marches.example.fr")
        assert refused.value.code == "update_required"
        assert "la version 99.0.0 au moins est requise" in refused.value.message_fr
        assert engine.jobs() == []  # nothing queued
        local = engine.submit(DESCRIPTOR, "local")  # the user's own use goes on
        assert local.origin == "local"
        _publish_minimum("0.0.1")
        os.utime(status_path(), (1, 1))  # a new mtime: the gate reads it again
        engine.submit(DESCRIPTOR, "https://marches.example.fr")
    finally:
        engine.shutdown()


def test_gate_without_any_check_lets_jobs_through(assistant_home: Path) -> None:
    check_remote_jobs_allowed()


def test_it_policy_overrides_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(update_repository_url="https://maj.example.fr/tuf", update_interval_hours=24)
    monkeypatch.setenv(POLICY_ENV, str(tmp_path / "absent.json"))
    config = load_config(settings)
    assert config.disabled_reason is None and config.metadata_url == "https://maj.example.fr/tuf/metadata/"
    policy = tmp_path / "policy.json"
    monkeypatch.setenv(POLICY_ENV, str(policy))
    policy.write_text(json.dumps({"updates": {"enabled": False}}))
    assert (
        load_config(settings).disabled_reason == "Mises à jour automatiques désactivées par votre service informatique."
    )
    policy.write_text(json.dumps({"updates": {"repository_url": "https://miroir.intranet/tuf", "interval_hours": 168}}))
    config = load_config(settings)
    assert (config.repository_url, config.interval_hours, config.decided_by) == (
        "https://miroir.intranet/tuf",
        168.0,
        "policy",
    )
    assert load_config(Settings(update_check=False)).disabled_reason is not None


def _layout(tmp_path: Path, new_program: str) -> InstallLayout:
    root = tmp_path / "app"
    for version, program in (("1.0.0", "#!/bin/sh\nexit 0\n"),):
        (root / "versions" / version).mkdir(parents=True)
        (root / "versions" / version / "assistant").write_text(program)
    (root / "current").symlink_to("versions/1.0.0")
    staged = root / "staged" / "2.0.0"
    staged.mkdir(parents=True)
    exe = staged / "assistant"
    exe.write_text(new_program)
    exe.chmod(0o755)
    (root / "staged" / "pending.json").write_text(json.dumps({"version": "2.0.0"}))
    return InstallLayout(root=root)


def test_apply_keeps_a_version_that_starts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The new version confirms like `assistant run` does (writes the file named by the variable).
    layout = _layout(tmp_path, f'#!/bin/sh\nprintf ok > "${apply.TRIAL_ENV}"\nexit 0\n')
    assert apply.apply_pending_update(["run"], layout) == 0
    assert layout.current_version() == "2.0.0"
    assert layout.installed_versions() == ["1.0.0", "2.0.0"]  # the previous one is kept
    assert json.loads((layout.root / apply.STATE_FILE).read_text())["previous"] == "1.0.0"


def test_apply_rolls_back_a_version_that_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    layout = _layout(tmp_path, "#!/bin/sh\nexit 3\n")
    assert apply.apply_pending_update(["run"], layout) is None  # go on with this version
    assert layout.current_version() == "1.0.0"
    assert layout.installed_versions() == ["1.0.0"]
    assert "La mise à jour 2.0.0 n'a pas démarré : retour à la version 1.0.0." in capsys.readouterr().err
    assert apply.failed_versions(layout) == ["2.0.0"]
    # Staged again later (same version): never retried.
    (layout.root / "staged" / "2.0.0").mkdir(parents=True)
    (layout.root / "staged" / "pending.json").write_text(json.dumps({"version": "2.0.0"}))
    assert apply.apply_pending_update(["run"], layout) is None
    assert layout.current_version() == "1.0.0" and not (layout.root / "staged" / "2.0.0").exists()


def test_a_version_that_ends_without_starting_stays_staged(tmp_path: Path) -> None:
    """`run` while an assistant already runs: the new version says so and exits 0 without
    confirming; nothing is decided, the release waits for the next start."""
    layout = _layout(tmp_path, "#!/bin/sh\necho 'déjà lancé' >&2\nexit 0\n")
    assert apply.apply_pending_update(["run"], layout) == 0
    assert layout.current_version() == "1.0.0"
    assert (layout.root / "staged" / "2.0.0" / "assistant").is_file()
    assert json.loads((layout.root / "staged" / "pending.json").read_text()) == {"version": "2.0.0"}
    assert apply.failed_versions(layout) == []


def test_nothing_pending_is_one_stat(tmp_path: Path) -> None:
    assert apply.apply_pending_update(["run"], None) is None  # not an installed bundle (this venv)
    assert not getattr(sys, "frozen", False)
