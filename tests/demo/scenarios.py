"""The scenarios both transports must pass (plain HTTP in demo mode, HTTPS as users have it).

Download:
The platform cuts its first connections mid-body and trickles; the assistant (a real process) is
SIGKILLed in the middle of files; the platform is killed and restarted; a second run must finish
with every file matching its SHA-256, fetch nothing that was verified before the kill, and fetch
each remaining file exactly once more from where its partial file stopped.
"""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from tests import pki
from tests.demo.process import DemoProcess, assistant_cmd


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _size(path: Path) -> int:
    """A .part file may be renamed to its final name between listing and stat: count it as empty."""
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def cut_kill_and_resume(
    platform: DemoProcess,
    env: dict[str, str],
    dest: Path,
    expected: dict[str, tuple[int, str]],
    *,
    min_resumed_cuts: int,
) -> dict[str, Any]:
    """Run the scenario; returns the second run's JSON report."""
    # The server drops the first 6 connections mid-body, and trickles (so the kill lands mid-job).
    platform.faults(drop_after=40_000, drop_count=6, rate=600_000)
    cmd = assistant_cmd(
        "download", f"{platform.url}/api/descriptors/download", "--dest", str(dest), "--connections", "3", "--quiet"
    )
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        finals = list(dest.rglob("*.p7m")) if dest.exists() else []
        partials = [p for p in dest.rglob("*.part") if _size(p) > 0] if dest.exists() else []
        if len(finals) >= 12 and partials:
            break
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)  # the assistant dies mid-job
    proc.wait(10)
    first = platform.stats()
    # The cut connections happened and were resumed with Range requests.
    assert sum(1 for starts in first["ranges"].values() for start in starts if start > 0) >= min_resumed_cuts

    verified_at_kill = {p.relative_to(dest).as_posix() for p in dest.rglob("*.p7m")}
    partial_at_kill = {p.relative_to(dest).as_posix()[: -len(".part")]: p.stat().st_size for p in dest.rglob("*.part")}
    assert 12 <= len(verified_at_kill) < 45
    assert any(size > 0 for size in partial_at_kill.values())  # killed in the middle of files
    for rel in verified_at_kill:  # whatever has its final name is complete and verified
        assert sha256(dest / rel) == expected[rel][1]

    # The server is killed too, and comes back on the same port with fresh counters.
    platform.restart()
    result = subprocess.run([*cmd[:-1], "--json"], env=env, capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr.decode()
    report: dict[str, Any] = json.loads(result.stdout)
    assert report["state"] == "succeeded"
    assert report["result"]["already_verified"] == len(verified_at_kill)
    for rel, (size, digest) in expected.items():
        assert (dest / rel).stat().st_size == size
        assert sha256(dest / rel) == digest, rel
    assert not list(dest.rglob("*.part"))

    stats = platform.stats()
    for rel in verified_at_kill:  # nothing verified is fetched again
        assert f"consultations/{rel}" not in stats["requests"], rel
    for rel, (size, _digest) in expected.items():
        if rel in verified_at_kill:
            continue
        # Each remaining file is served exactly once more, from where its partial file stopped.
        assert stats["served"][f"consultations/{rel}"] == size - partial_at_kill.get(rel, 0), rel
        assert stats["requests"][f"consultations/{rel}"] == 1, rel
    return report


def tree_bytes(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def open_online_with_softhsm(
    platform: DemoProcess, env: dict[str, str], home: Path, softhsm_token: pki.SoftHsmToken
) -> None:
    """Online opening of 6 envelopes with the SoftHSM2 bi-clé: the platform receives exactly the
    original bytes, nothing decrypted stays in the assistant's folders, the PIN is written nowhere."""
    env = {**env, "SOFTHSM2_CONF": str(softhsm_token.conf), "AMP_TEST_PIN": pki.TOKEN_PIN}
    result = subprocess.run(
        assistant_cmd(
            "open",
            f"{platform.url}/api/descriptors/open?consultation=DEMO-2026-001",
            "--key",
            softhsm_token.uri("encryption"),
            "--pin-env",
            "AMP_TEST_PIN",
            "--json",
            "--quiet",
        ),
        env=env,
        capture_output=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr.decode()
    report = json.loads(result.stdout)
    assert report["state"] == "succeeded"
    assert report["result"]["envelopes"] == 6 and report["result"]["uploaded"] == 6
    assert report["progress"]["step"] == 4 and report["progress"]["label"] == "Déchiffrement terminé"

    originals = tree_bytes(platform.data_dir / "originals")
    assert len(originals) == 6
    assert (
        tree_bytes(platform.data_dir / "uploads" / "ouverture") == originals
    )  # byte for byte, nothing missing or extra
    assert [p for p in (home / "cache").rglob("*") if p.is_file()] == []
    for path in home.rglob("*"):
        if path.is_file():
            assert pki.TOKEN_PIN.encode() not in path.read_bytes(), path
