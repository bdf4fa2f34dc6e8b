"""Automatic updates, end to end, with the installed bundle against the demo platform's TUF
repository (served at <demo>/tuf/ from its data folder; signed by the tests' publisher whose root
the bundle was built with). Each scenario gets a fresh HOME and a fresh repository, and shows what
the user is told: a good update installed and started; a tampered archive, a target signed by the
wrong key, expired metadata, a rollback (old metadata, older version) and a freeze refused with the
reason; a new version that fails to start rolled back; the minimum version blocking remote jobs."""

from __future__ import annotations

import io
import json
import re
import shutil
import ssl
import subprocess
import tarfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from assistant.demo.server import DemoPlatform
from assistant.update.publish import RepositoryWriter
from tests.package.conftest import APP_ID, Built, PackageUser, Publisher, new_user

#: A platform the user approved: its pages' jobs are what the minimum version blocks.
PLATFORM = "https://marches.example.fr"


@pytest.fixture(scope="module")
def demo(scratch: Path) -> Iterator[DemoPlatform]:
    platform = DemoPlatform(port=0, data_dir=scratch / "demo", seed_credentials=False).start()
    yield platform
    platform.stop()


@dataclass
class Scenario:
    user: PackageUser
    launcher: Path
    app_root: Path
    repo: RepositoryWriter
    demo_url: str

    def check(self) -> tuple[int, dict[str, object]]:
        done = self.user.run([str(self.launcher), "update", "check", "--json"], check=False)
        assert done.stdout.strip(), done.stderr
        return done.returncode, json.loads(done.stdout)

    def start(self) -> tuple[str, Bridge]:
        """`run --headless` as the session would start it: (bridge URL, the running process)."""
        proc = self.user.popen([str(self.launcher), "run", "--headless", "--port", "0"])
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        return url, Bridge(proc)

    def status(self, url: str) -> dict[str, object]:
        ca = self.user.home / ".local/share" / APP_ID / "bridge" / "ca.pem"
        context = ssl.create_default_context(cafile=str(ca))
        with urllib.request.urlopen(f"{url}/v1/status", context=context, timeout=20) as response:
            return dict(json.loads(response.read()))


@pytest.fixture
def scenario(
    unpacked: Path, scratch: Path, publisher: Publisher, demo: DemoPlatform, request: pytest.FixtureRequest
) -> Scenario:
    repo_dir = scratch / "demo" / "tuf"
    shutil.rmtree(repo_dir, ignore_errors=True)
    shutil.copytree(publisher.initial_repo, repo_dir)
    user = new_user(scratch, request.node.name[:20])
    user.run(["sh", str(unpacked / "install.sh"), "--user", "--no-autostart"])
    settings = user.home / ".config" / APP_ID / "settings.json"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(json.dumps({"update_repository_url": f"{demo.url}/tuf", "approved_origins": [PLATFORM]}))
    user.give(user.home / ".config")
    app_root = user.home / ".local/share" / APP_ID / "app"
    return Scenario(
        user, user.home / ".local/bin" / APP_ID, app_root, RepositoryWriter(repo_dir, publisher.keys), demo.url
    )


def tiny_archive(folder: Path, version: str, script: str = "#!/bin/sh\nexit 3\n") -> Path:
    """A release archive whose program is a shell script (a version that cannot start, by default)."""
    archive = folder / f"{APP_ID}-{version}-linux-x86_64.tar.xz"
    with tarfile.open(archive, "w:xz") as tar:
        top = f"{APP_ID}-{version}-linux-x86_64"
        for name, data, mode in (
            (f"{top}/bundle/assistant", script.encode(), 0o755),
            (f"{top}/VERSION", f"{version}\n".encode(), 0o644),
        ):
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))
    return archive


class Bridge:
    """The running assistant, its stderr read as it comes (the headless connection code is there)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)

    def wait_for(self, pattern: str, timeout: float = 30) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if found := re.search(pattern, line):
                    return found
            time.sleep(0.1)
        raise AssertionError(f"{pattern!r} not in {self.lines}")

    def stop(self) -> str:
        self.proc.terminate()
        self.proc.wait(timeout=60)
        self._reader.join(timeout=10)
        return "".join(self.lines)


def _post(url: str, body: dict[str, object], ca: Path, headers: dict[str, str]) -> dict[str, object]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json", **headers}
    )
    with urllib.request.urlopen(request, context=ssl.create_default_context(cafile=str(ca)), timeout=20) as response:
        return dict(json.loads(response.read()))


def test_good_update_is_installed_and_starts(scenario: Scenario, built: Built, built_next: Built) -> None:
    scenario.repo.add_release(built_next.archive, built_next.version, "linux")
    code, check = scenario.check()
    assert code == 0 and check["state"] == "staged", check
    assert (
        check["message"]
        == f"La version {built_next.version} est prête : elle sera installée au prochain démarrage de l'assistant."
    )
    url, bridge = scenario.start()
    try:
        assert url.startswith("https://127.0.0.1:"), bridge.stop()
        assert scenario.status(url)["version"] == built_next.version
        assert (scenario.app_root / "current").resolve().name == built_next.version
        assert (scenario.app_root / "versions" / built.version / "assistant").is_file()  # kept to roll back to
    finally:
        bridge.stop()
    again = scenario.user.run([str(scenario.launcher), "--version"]).stdout
    assert again.strip().endswith(built_next.version)


def test_tampered_archive_is_refused(scenario: Scenario, scratch: Path, built: Built) -> None:
    release = scenario.repo.add_release(tiny_archive(scratch, "9.0.0", "#!/bin/sh\necho fine\n"), "9.0.0", "linux")
    (stored,) = (scenario.repo.targets_dir / "linux").glob(f"*.{Path(release.target).name}")
    stored.write_bytes(stored.read_bytes()[:-1] + b"\x00")  # a mirror altered the file (same length)
    code, check = scenario.check()
    assert code == 1 and check["reason"] == "tampered"
    assert "ne correspond pas à l'empreinte signée par l'éditeur (fichier altéré)" in str(check["message"])
    assert not (scenario.app_root / "staged" / "pending.json").exists()


def test_target_signed_by_the_wrong_key_is_refused(scenario: Scenario, scratch: Path) -> None:
    from securesystemslib.signer import CryptoSigner

    intruder = RepositoryWriter(
        scenario.repo.repo_dir, dict(scenario.repo.signers) | {"targets": CryptoSigner.generate_ed25519()}
    )
    intruder.add_release(tiny_archive(scratch, "9.0.0"), "9.0.0", "linux")
    code, check = scenario.check()
    assert code == 1 and check["reason"] == "wrong_key"
    assert "ne sont pas signées par une clé de l'éditeur" in str(check["message"])


def test_expired_metadata_is_refused(scenario: Scenario, scratch: Path) -> None:
    scenario.repo.add_release(
        tiny_archive(scratch, "9.0.0"), "9.0.0", "linux", expiry={"targets": timedelta(seconds=-60)}
    )
    code, check = scenario.check()
    assert code == 1 and check["reason"] == "expired"
    assert "Les informations de mise à jour ont expiré" in str(check["message"])


def test_frozen_repository_is_refused(scenario: Scenario, scratch: Path) -> None:
    """A mirror that stopped updating keeps serving yesterday's timestamp: refused once expired."""
    scenario.repo.add_release(tiny_archive(scratch, "9.0.0"), "9.0.0", "linux")
    scenario.repo.refresh("timestamp", timedelta(seconds=-1))
    code, check = scenario.check()
    assert code == 1 and check["reason"] == "frozen"
    assert "dépôt gelé ou bloqué" in str(check["message"])


def test_rollback_to_older_metadata_is_refused(scenario: Scenario, scratch: Path, built: Built) -> None:
    before = scratch / "repo-before"
    shutil.rmtree(before, ignore_errors=True)
    shutil.copytree(scenario.repo.repo_dir, before)
    scenario.repo.add_release(tiny_archive(scratch, built.version), built.version, "linux")
    code, check = scenario.check()
    assert check["state"] == "up_to_date", check
    shutil.rmtree(scenario.repo.repo_dir)
    shutil.copytree(before, scenario.repo.repo_dir)  # an attacker replays the older, validly signed state
    code, check = scenario.check()
    assert code == 1 and check["reason"] == "rollback"
    assert "plus anciennes que celles déjà vues (retour en arrière" in str(check["message"])


def test_older_version_is_refused(scenario: Scenario, scratch: Path, built: Built) -> None:
    scenario.repo.add_release(tiny_archive(scratch, "0.0.1"), "0.0.1", "linux")
    code, check = scenario.check()
    assert code == 1 and check["reason"] == "older_version"
    assert (
        check["message"]
        == f"La version publiée (0.0.1) est plus ancienne que la version installée ({built.version}) : retour en arrière refusé."
    )


def test_failed_start_rolls_back_and_the_minimum_version_blocks_remote_jobs(
    scenario: Scenario, scratch: Path, built: Built
) -> None:
    """9.0.0 cannot start: the assistant goes back to its version and says so. 9.0.0 was also
    published as the minimum: until a working update comes, pages' jobs are refused, in French."""
    scenario.repo.add_release(tiny_archive(scratch, "9.0.0"), "9.0.0", "linux", min_version="9.0.0")
    code, check = scenario.check()
    assert code == 0 and check["state"] == "staged", check
    url, bridge = scenario.start()
    try:
        assert url.startswith("https://127.0.0.1:"), bridge.stop()
        assert scenario.status(url)["version"] == built.version
        assert (scenario.app_root / "current").resolve().name == built.version
        assert not (scenario.app_root / "versions" / "9.0.0").exists()
        # The platform's page connects (headless: the 6-digit code goes to the terminal), then asks for a job.
        ca = scenario.user.home / ".local/share" / APP_ID / "bridge" / "ca.pem"
        claim = _post(f"{url}/v1/access", {}, ca, {"Origin": PLATFORM})
        code = bridge.wait_for(rf"Connexion de la page {re.escape(PLATFORM)} : code (\d{{6}})")[1]
        granted = _post(f"{url}/v1/access/{claim['claim']}", {"code": code}, ca, {"Origin": PLATFORM})
        descriptor = {"version": 1, "type": "diagnose", "params": {"platform_url": f"{PLATFORM}/"}}
        with pytest.raises(urllib.error.HTTPError) as refused:
            _post(f"{url}/v1/jobs", descriptor, ca, {"Origin": PLATFORM, "Authorization": f"Bearer {granted['key']}"})
        body = json.loads(refused.value.read())
        assert body["code"] == "update_required", body
        assert "la version 9.0.0 au moins est requise" in body["message"]
    finally:
        err = bridge.stop()
    assert f"La mise à jour 9.0.0 n'a pas démarré : retour à la version {built.version}." in err
    state = json.loads((scenario.app_root / "update-state.json").read_text())
    assert state["failed"] == ["9.0.0"]
