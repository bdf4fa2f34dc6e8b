"""A failure that concerns the whole download ends the job failed, with its reason: never taken for
the user's cancel, never hidden behind hundreds of per-file errors; and a partial file that is not
ours is never read or written through. Against the demo platform as a separate process."""

from __future__ import annotations

import hashlib
import json
import os
import resource
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from assistant.jobs.engine import JobEngine
from assistant.jobs.interaction import HeadlessInteraction
from assistant.jobs.model import JobState
from assistant.settings import Settings
from tests.demo.conftest import demo_platform  # noqa: F401 - fixture
from tests.demo.process import DemoProcess, assistant_cmd, assistant_env

CONSULTATION = "DEMO-2026-001"
FILE_SIZE_LIMIT = 100_000  # bytes: below the demo's 160 KB files, above the journal's size


def run_download(descriptor: dict[str, Any], destination: Path) -> Any:
    descriptor["params"]["destination"] = str(destination)
    engine = JobEngine(interaction=HeadlessInteraction(), settings=Settings(), loopback_http=True)
    try:
        job = engine.submit(descriptor, "local")
        return engine.wait(job.id, timeout=120)
    finally:
        engine.shutdown()


def files_of(descriptor: dict[str, Any]) -> dict[str, str]:
    return {
        f"{c['id']}/{p['id']}/{e['id']}/{f['name']}": f["sha256"]
        for c in descriptor["params"]["consultations"]
        for p in c["plis"]
        for e in p["envelopes"]
        for f in e["files"]
    }


def limit_file_size() -> None:
    """In the child: writes past FILE_SIZE_LIMIT fail with EFBIG (the kernel's own write error)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))


def test_a_failing_write_fails_the_job_with_its_reason_not_as_a_cancel(
    demo_platform: DemoProcess, tmp_path: Path
) -> None:
    dest = tmp_path / "Plis"
    result = subprocess.run(
        assistant_cmd(
            "download",
            f"{demo_platform.url}/api/descriptors/download?consultation={CONSULTATION}",
            "--dest",
            str(dest),
            "--json",
            "--quiet",
        ),
        env=assistant_env(demo_platform.home),
        capture_output=True,
        timeout=120,
        preexec_fn=limit_file_size,  # the limit applies to the child alone
    )
    report = json.loads(result.stdout)
    assert result.returncode == 1, (result.returncode, result.stderr)  # 130 would be "cancelled"
    assert report["state"] == "failed", report
    assert report["error"]["code"] == "output", report["error"]
    assert report["error"]["message"].startswith("Impossible d'écrire « "), report["error"]
    assert report["error"]["message"] in result.stderr.decode()
    # Nothing unverified took a final name; the partial files stay for a later resume.
    assert [p for p in dest.rglob("*") if p.is_file() and not p.name.endswith(".part")] == []


def test_a_refused_token_stops_the_job_at_once(demo_platform: DemoProcess, tmp_path: Path) -> None:
    descriptor = demo_platform.get(f"/api/descriptors/download?consultation={CONSULTATION}")
    descriptor["token"] = "jeton-expire"  # an expired token: the platform refuses every file
    dest = tmp_path / "Plis"

    final = run_download(descriptor, dest)

    assert final is not None and final.state is JobState.FAILED, (final.state, final.error)
    assert final.error.code == "platform_forbidden", final.error
    assert "le jeton du traitement est invalide ou expiré" in final.error.message
    assert not final.error.message.startswith("15 fichier(s)")
    # Stopped after the first refusals (one per connection at most), not after all 15 files.
    stats = demo_platform.stats()
    assert 1 <= sum(stats["refused"].values()) <= 4, stats["refused"]
    assert stats["requests"] == {}
    assert list(dest.rglob("*")) == []  # no empty consultation/pli/enveloppe folders left behind


def test_a_partial_file_that_is_not_ours_is_replaced_never_read_through(
    demo_platform: DemoProcess, tmp_path: Path
) -> None:
    """A `.part` that is a link (here to /dev/zero, endless) is not resumed from: the link is
    removed, its target untouched, and the file fetched afresh and verified."""
    descriptor = demo_platform.get(f"/api/descriptors/download?consultation={CONSULTATION}")
    expected = files_of(descriptor)
    rel = sorted(expected)[0]
    dest = tmp_path / "Plis"
    part = dest / (rel + ".part")
    part.parent.mkdir(parents=True)
    target = tmp_path / "not-a-download.bin"
    target.write_bytes(b"user data")
    os.symlink("/dev/zero", part)
    second = dest / (sorted(expected)[1] + ".part")
    second.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, second)

    final = run_download(descriptor, dest)

    assert final is not None and final.state is JobState.SUCCEEDED, final.error
    for name, sha in expected.items():
        assert hashlib.sha256((dest / name).read_bytes()).hexdigest() == sha, name
    assert target.read_bytes() == b"user data"
    assert not part.exists() and not second.exists()


def test_a_destination_that_vanishes_mid_job_is_said_in_words_and_nothing_verified_is_lost(
    demo_platform: DemoProcess, tmp_path: Path
) -> None:
    """The user moves the destination folder away while the plis arrive (or a USB key is pulled
    out): the job stops with the reason in French and English, not as an internal error; the files
    verified before stay whole in the moved folder; put back, a new run fetches only the rest."""
    descriptor = demo_platform.get(f"/api/descriptors/download?consultation={CONSULTATION}")
    expected = files_of(descriptor)
    sizes = {
        f"{c['id']}/{p['id']}/{e['id']}/{f['name']}": f["size"]
        for c in descriptor["params"]["consultations"]
        for p in c["plis"]
        for e in p["envelopes"]
        for f in e["files"]
    }
    demo_platform.faults(rate=100_000)  # per connection: ~1.6 s a file, the job takes seconds
    dest = tmp_path / "Plis"
    moved = tmp_path / "Plis-déplacés"
    descriptor["params"]["destination"] = str(dest)
    engine = JobEngine(interaction=HeadlessInteraction(), settings=Settings(), loopback_http=True)
    try:
        job = engine.submit(json.loads(json.dumps(descriptor)), "local")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # a few files verified, the others on their way
            if len([p for p in dest.rglob("*") if p.is_file() and p.suffix != ".part"]) >= 2:
                break
            time.sleep(0.05)
        os.rename(dest, moved)
        final = engine.wait(job.id, timeout=60)
    finally:
        engine.shutdown()

    assert final is not None and final.state is JobState.FAILED, (final.state, final.error)
    assert final.error.code == "destination_vanished", final.error
    assert final.error.message.startswith(f"Le dossier « {dest} » a disparu pendant le téléchargement"), final.error
    assert final.error.message_en.startswith(f"The folder {dest} disappeared during the download"), final.error
    assert "seuls les fichiers manquants seront téléchargés" in final.error.message
    assert not dest.exists()  # not silently made again for the files still to come
    # Every file that took its final name is whole and verified; the rest are partial files or absent.
    verified = {
        p.relative_to(moved).as_posix() for p in moved.rglob("*") if p.is_file() and not p.name.endswith(".part")
    }
    assert verified and verified < set(expected), verified
    for rel in verified:
        assert hashlib.sha256((moved / rel).read_bytes()).hexdigest() == expected[rel], rel

    # Put back: the next run fetches only what was missing, never a verified file again.
    os.rename(moved, dest)
    demo_platform.faults(rate=0)
    demo_platform.post("/api/test/reset", {})
    final = run_download(json.loads(json.dumps(descriptor)), dest)
    assert final is not None and final.state is JobState.SUCCEEDED, final.error
    served = demo_platform.stats()["served"]
    assert served and {f"consultations/{rel}" for rel in verified}.isdisjoint(served), (verified, served)
    assert final.result.fetched_bytes <= sum(sizes.values()) - sum(sizes[rel] for rel in verified)
    for name, sha in expected.items():
        assert hashlib.sha256((dest / name).read_bytes()).hexdigest() == sha, name
