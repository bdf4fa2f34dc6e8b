"""Bulk download against the demo platform running as its own process.

The user-visible promises: every file ends under consultation/pli/enveloppe with the SHA-256 the
platform announced; a cut connection, a killed server and a killed assistant lose nothing and
fetch nothing twice that was already verified; a corrupted file is refused and fetched again; a
descriptor naming a foreign host is refused before anything is fetched.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from assistant.jobs.descriptor import UrlNotAllowedError
from assistant.jobs.engine import JobEngine
from assistant.jobs.interaction import HeadlessInteraction
from tests.demo.process import DemoProcess, assistant_cmd, assistant_env
from tests.demo.scenarios import cut_kill_and_resume


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def expected_files(descriptor: dict) -> dict[str, tuple[int, str]]:
    """rel path under the destination -> (size, sha256), from the platform's own descriptor."""
    out = {}
    for c in descriptor["params"]["consultations"]:
        for p in c["plis"]:
            for e in p["envelopes"]:
                for f in e["files"]:
                    out[f"{c['id']}/{p['id']}/{e['id']}/{f['name']}"] = (f["size"], f["sha256"])
    return out


def served_rel(rel: str) -> str:
    return f"consultations/{rel}"


def test_download_survives_cuts_and_kills_without_refetching_verified_files(
    demo_platform: DemoProcess, tmp_path: Path
) -> None:
    descriptor = demo_platform.get("/api/descriptors/download")
    expected = expected_files(descriptor)
    assert len(expected) == 45  # 3 consultations x 5 plis x 3 envelopes
    dest = tmp_path / "Plis téléchargés"
    env = assistant_env(demo_platform.home)
    cut_kill_and_resume(demo_platform, env, dest, expected, min_resumed_cuts=1)

    # The history shows the killed run as interrupted and the second one as done.
    history = subprocess.run(assistant_cmd("jobs", "--json"), env=env, capture_output=True, timeout=30)
    entries = json.loads(history.stdout)
    assert [e["state"] for e in entries[:2]] == ["succeeded", "failed"]
    assert entries[1]["error"]["code"] == "interrupted"


def test_corrupted_file_is_refused_and_fetched_again(demo_platform: DemoProcess, tmp_path: Path) -> None:
    descriptor = demo_platform.get("/api/descriptors/download?consultation=DEMO-2026-001")
    rels = sorted(expected_files(descriptor))
    once, always = rels[0], rels[1]
    demo_platform.faults(corrupt=[served_rel(once)], corrupt_count=1)
    demo_platform.faults(corrupt=[served_rel(always)], corrupt_count=99)
    dest = tmp_path / "dest"
    result = subprocess.run(
        assistant_cmd(
            "download",
            f"{demo_platform.url}/api/descriptors/download?consultation=DEMO-2026-001",
            "--dest",
            str(dest),
            "--json",
            "--quiet",
        ),
        env=assistant_env(demo_platform.home),
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["state"] == "failed"
    assert report["error"]["code"] == "hash_mismatch"
    assert "empreinte SHA-256" in report["error"]["message"]
    assert [f["file"] for f in report["result"]["failed"]] == [always]
    assert report["result"]["refetched_after_hash_mismatch"] >= 1
    stats = demo_platform.stats()
    assert stats["requests"][served_rel(once)] == 2  # refused once, fetched again
    assert sha256(dest / once) == expected_files(descriptor)[once][1]
    assert not (dest / always).exists() and not (dest / (always + ".part")).exists()
    for rel in rels[2:]:
        assert sha256(dest / rel) == expected_files(descriptor)[rel][1]


@pytest.mark.parametrize(
    "foreign", ["http://127.0.0.2:{port}/files/x.p7m", "https://evil.example/files/x.p7m", "ftp://127.0.0.1:{port}/x"]
)
def test_descriptor_naming_a_foreign_host_is_refused_before_any_fetch(demo_platform: DemoProcess, foreign: str) -> None:
    descriptor = demo_platform.get("/api/descriptors/download?consultation=DEMO-2026-002")
    descriptor["params"]["consultations"][0]["plis"][3]["envelopes"][1]["files"][0]["url"] = foreign.format(
        port=demo_platform.port
    )
    engine = JobEngine(interaction=HeadlessInteraction(), loopback_http=True)
    try:
        with pytest.raises(UrlNotAllowedError) as info:
            engine.submit(descriptor, demo_platform.url)
        assert info.value.field == "params.consultations[0].plis[3].envelopes[1].files[0].url"
        assert info.value.message_fr.startswith("Descripteur de traitement refusé")
        assert engine.jobs() == []
    finally:
        engine.shutdown()
    assert demo_platform.stats()["requests"] == {}
