"""Online opening against the demo platform (separate process) with the SoftHSM2 bi-clé.

The plis were encrypted by `openssl cms -encrypt` for the test PKI's encryption certificate,
whose key sits on the SoftHSM2 token (id 03): the platform must receive exactly the original bytes,
and no decrypted byte may remain on the workstation.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import pki
from tests.demo.process import DemoProcess, assistant_cmd, assistant_env
from tests.demo.scenarios import open_online_with_softhsm, tree_bytes


@pytest.fixture
def demo_for_token(tmp_path: Path, assistant_home: Path, test_pki: pki.TestPki) -> Iterator[DemoProcess]:
    pki.require_tool("openssl")
    process = DemoProcess(
        assistant_home,
        tmp_path / "demo-data",
        "--consultations",
        "1",
        "--plis",
        "2",
        "--envelopes",
        "3",
        "--file-size",
        str(100 * 1024),
        "--recipient-cert",
        str(test_pki.encryption.files["cert"]),
    ).start()
    yield process
    process.kill()


def test_online_opening_delivers_the_original_bytes(
    demo_for_token: DemoProcess, softhsm_token: pki.SoftHsmToken, assistant_home: Path, tmp_path: Path
) -> None:
    open_online_with_softhsm(demo_for_token, assistant_env(assistant_home), assistant_home, softhsm_token)


def test_online_opening_with_the_wrong_key_fails_clearly_and_sends_nothing(
    demo_for_token: DemoProcess, test_pki: pki.TestPki, assistant_home: Path
) -> None:
    env = assistant_env(assistant_home)
    env["AMP_TEST_PIN"] = pki.P12_PASSWORD
    result = subprocess.run(
        assistant_cmd(
            "open",
            f"{demo_for_token.url}/api/descriptors/open?consultation=DEMO-2026-001",
            "--key",
            str(test_pki.signer.files["p12"]),
            "--pin-env",
            "AMP_TEST_PIN",
            "--json",
            "--quiet",
        ),
        env=env,
        capture_output=True,
        timeout=180,
    )
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["state"] == "failed"
    assert report["error"]["message"]  # French message from the envelope layer
    assert demo_for_token.stats()["uploads"] == {}


def test_downloaded_plis_decrypt_offline_in_the_same_layout(
    demo_for_token: DemoProcess,
    test_pki: pki.TestPki,
    assistant_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Download, then the offline decryption job over the folder: consultation/pli/enveloppe kept."""
    from assistant.jobs.engine import JobEngine
    from assistant.jobs.interaction import HeadlessInteraction
    from assistant.jobs.model import JobState

    dest = tmp_path / "plis"
    result = subprocess.run(
        assistant_cmd("download", f"{demo_for_token.url}/api/descriptors/download", "--dest", str(dest), "--quiet"),
        env=assistant_env(assistant_home),
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr.decode()
    monkeypatch.setenv("AMP_TEST_P12", pki.P12_PASSWORD)
    key = str(test_pki.encryption.files["p12"])
    engine = JobEngine(interaction=HeadlessInteraction(key, "AMP_TEST_P12"))
    try:
        out = tmp_path / "clair"
        job = engine.submit(
            {"version": 1, "type": "decrypt", "params": {"folder": str(dest), "out_dir": str(out), "key": key}}, "local"
        )
        final = engine.wait(job.id, timeout=120)
    finally:
        engine.shutdown()
    assert final is not None and final.state is JobState.SUCCEEDED, final.error if final else None
    assert final.result is not None and final.result.to_json() == {"envelopes": 6, "decrypted": 6, "failed": []}
    originals = demo_for_token.data_dir / "originals"
    for original in originals.rglob("*.zip"):
        decrypted = out / original.relative_to(originals)
        assert decrypted.read_bytes() == original.read_bytes()


def test_online_opening_killed_midway_resumes_without_sending_twice(
    demo_for_token: DemoProcess, softhsm_token: pki.SoftHsmToken, assistant_home: Path
) -> None:
    import signal
    import time

    env = assistant_env(assistant_home)
    env["SOFTHSM2_CONF"] = str(softhsm_token.conf)
    env["AMP_TEST_PIN"] = pki.TOKEN_PIN
    cmd = assistant_cmd(
        "open",
        f"{demo_for_token.url}/api/descriptors/open?consultation=DEMO-2026-001",
        "--key",
        softhsm_token.uri("encryption"),
        "--pin-env",
        "AMP_TEST_PIN",
        "--json",
        "--quiet",
    )
    demo_for_token.faults(upload_delay=0.4)
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while len(demo_for_token.stats()["uploads"]) < 2:
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read().decode() if proc.stderr else ""
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)  # killed while the third envelope is being sent
    proc.wait(10)
    delivered_before = set(demo_for_token.stats()["uploads"])
    assert 2 <= len(delivered_before) < 6
    # Nothing decrypted stays behind, even after a SIGKILL mid-upload.
    assert not [p for p in (assistant_home / "cache").rglob("clair/*") if p.is_file()]

    demo_for_token.faults(upload_delay=0)
    result = subprocess.run(cmd, env=env, capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr.decode()
    counts = demo_for_token.stats()["upload_counts"]
    assert len(counts) == 6
    for rel in delivered_before:
        if counts[rel] != 1:
            # Only the envelope in flight at the kill may go again (its delivery was not confirmed).
            assert counts[rel] == 2
    assert sum(1 for c in counts.values() if c > 1) <= 1
    originals = tree_bytes(demo_for_token.data_dir / "originals")
    received = tree_bytes(demo_for_token.data_dir / "uploads" / "ouverture")
    assert received == originals
    assert not [p for p in (assistant_home / "cache").rglob("*") if p.is_file()]
