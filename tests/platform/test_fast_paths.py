"""The download's fast paths keep every guarantee (real demo platform on loopback, in this process).

Large bodies go through a ring of reused buffers with the SHA-256 in its own thread and early
write-back; small bodies come in one block per file; the job fetches many files over a few
keep-alive connections and records a file as verified only once it is on disk. Here the
thresholds are lowered so that files of a few hundred KB take the large-body path, and the
server cuts, trickles and corrupts on demand.
"""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from assistant.demo.content import ContentSpec
from assistant.demo.server import DemoPlatform
from assistant.errors import CancelledError
from assistant.jobs.engine import JobEngine
from assistant.jobs.interaction import HeadlessInteraction
from assistant.jobs.journal import Journal
from assistant.jobs.model import LOCAL_ORIGIN, JobState
from assistant.platform import client as client_module
from assistant.platform import writeback
from assistant.platform.client import HashMismatchError, PlatformClient, TransferError, part_path
from assistant.progress import CancelToken
from assistant.transport import core as transport_module
from tests.pki import require_tool
from tests.platform import served_when_settled

#: What the module-scoped `demo` platform of conftest.py serves.
DEMO_SPEC = ContentSpec(2, 4, 3, 1, 300 * 1024)


@pytest.fixture
def pipelined(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Every body above 64 KB takes the large-body path (16 KB blocks, write-back every 32 KB);
    returns the write-back requests made."""
    monkeypatch.setattr(transport_module, "PIPELINE_THRESHOLD", 64 << 10)
    monkeypatch.setattr(transport_module, "BLOCK", 16 << 10)
    monkeypatch.setattr(writeback, "STEP", 32 << 10)
    calls: list[tuple[int, int]] = []
    real = writeback._sync_file_range

    def spy(fd: int, offset: int, length: int, flags: int) -> int:
        calls.append((offset, length))
        return real(fd, offset, length, flags) if real is not None else 0

    monkeypatch.setattr(writeback, "_sync_file_range", spy)
    return calls


def files_of(demo: DemoPlatform) -> tuple[list[dict[str, Any]], str]:
    descriptor = demo.descriptor("download", {})
    files = [
        f for c in descriptor["params"]["consultations"] for p in c["plis"] for e in p["envelopes"] for f in e["files"]
    ]
    return files, descriptor["token"]


def rel_of(file: dict[str, Any]) -> str:
    return str(file["url"].split("/files/", 1)[1])


def test_large_body_path_verifies_and_starts_write_back(
    demo: DemoPlatform, tmp_path: Path, pipelined: list[tuple[int, int]]
) -> None:
    files, token = files_of(demo)
    file = files[0]
    dest = tmp_path / "offre.p7m"
    seen: list[int] = []
    stats = PlatformClient(token).download(
        file["url"], dest, size=file["size"], sha256=file["sha256"], on_bytes=seen.append
    )
    assert hashlib.sha256(dest.read_bytes()).hexdigest() == file["sha256"]
    assert sum(seen) == stats.fetched == file["size"]
    assert len(seen) > 1  # it really went block by block through the ring
    assert pipelined, "no write-back was started while the file arrived"
    assert all(0 <= offset < file["size"] for offset, _length in pipelined)


def test_large_body_path_refuses_a_corrupt_file(
    demo: DemoPlatform, tmp_path: Path, pipelined: list[tuple[int, int]]
) -> None:
    files, token = files_of(demo)
    file = files[1]
    demo.faults.update({"corrupt": [rel_of(file)]})
    dest = tmp_path / "offre.p7m"
    with pytest.raises(HashMismatchError) as refused:
        PlatformClient(token).download(file["url"], dest, size=file["size"], sha256=file["sha256"])
    assert "empreinte SHA-256" in refused.value.message_fr
    assert not dest.exists() and not part_path(dest).exists()


def test_a_cut_keeps_exactly_the_bytes_received_and_resumes_with_range(
    demo: DemoPlatform, tmp_path: Path, pipelined: list[tuple[int, int]]
) -> None:
    """A connection cut in the middle of a block: what arrived is on disk, and only the rest is fetched."""
    files, token = files_of(demo)
    file = files[2]
    rel = rel_of(file)
    dest = tmp_path / "offre.p7m"
    cut = 100_003  # not a multiple of any block size
    demo.faults.update({"drop_after": cut, "drop_count": 1})
    with pytest.raises(TransferError):
        PlatformClient(token, retries=0).download(file["url"], dest, size=file["size"], sha256=file["sha256"])
    assert part_path(dest).stat().st_size == cut
    stats = PlatformClient(token).download(file["url"], dest, size=file["size"], sha256=file["sha256"])
    assert stats.resumed_from == cut
    assert hashlib.sha256(dest.read_bytes()).hexdigest() == file["sha256"]
    assert demo.stats.to_dict()["ranges"][rel] == [0, cut]
    assert served_when_settled(demo, rel, file["size"]) == file["size"]  # nothing received twice


@pytest.mark.parametrize("large_path", [False, True])
def test_cancel_is_prompt_on_a_slow_link_and_keeps_what_arrived(
    demo: DemoPlatform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, large_path: bool
) -> None:
    if large_path:
        monkeypatch.setattr(transport_module, "PIPELINE_THRESHOLD", 64 << 10)
    files, token = files_of(demo)
    file = files[3]
    demo.faults.update({"rate": 100_000})  # 300 KB at 100 KB/s: 3 s
    dest = tmp_path / "offre.p7m"
    cancel = CancelToken()
    threading.Timer(0.5, cancel.cancel).start()
    began = time.monotonic()
    with pytest.raises(CancelledError):
        PlatformClient(token).download(file["url"], dest, size=file["size"], sha256=file["sha256"], cancel=cancel)
    assert time.monotonic() - began < 1.5  # not at the end of a 4 MiB (or whole-file) block
    assert not dest.exists()
    assert 0 < part_path(dest).stat().st_size < file["size"]  # kept for the resume


def download_descriptor(demo: DemoPlatform, dest: Path, connections: int) -> dict[str, Any]:
    descriptor = demo.descriptor("download", {})
    descriptor["params"]["destination"] = str(dest)
    descriptor["params"]["connections"] = connections
    return descriptor


def test_many_files_over_parallel_connections_each_fetched_once_and_journaled(
    demo: DemoPlatform, tmp_path: Path
) -> None:
    files, _token = files_of(demo)
    dest = tmp_path / "plis"
    engine = JobEngine(interaction=HeadlessInteraction(), loopback_http=True, workers=1)
    elements: list[str] = []
    engine.subscribe(lambda event: elements.append(event.job.progress.element_text or ""))
    try:
        job = engine.wait(engine.submit(download_descriptor(demo, dest, 4), LOCAL_ORIGIN).id, timeout=60)
        assert job is not None and job.state is JobState.SUCCEEDED, job.error if job else None
        assert job.result is not None and job.result.files == len(files) == 24
        requests = demo.stats.to_dict()["requests"]
        assert sorted(requests) == sorted(rel_of(f) for f in files)
        assert set(requests.values()) == {1}  # each file exactly once
        assert any(e.startswith("consultation ") and "fichier 1 sur 1" in e for e in elements)
        # Every file is durable and recorded: a second run fetches nothing and reads no file.
        journal = Journal()
        try:
            for f, path in zip(files, job.result.paths, strict=True):
                assert journal.is_verified(Path(path), f["sha256"], f["size"])
        finally:
            journal.close()
        demo.stats.reset()
        again = engine.wait(engine.submit(download_descriptor(demo, dest, 4), LOCAL_ORIGIN).id, timeout=60)
        assert again is not None and again.result is not None
        assert again.result.already_verified == len(files) and again.result.fetched_bytes == 0
        assert demo.stats.to_dict()["requests"] == {}
    finally:
        engine.shutdown(wait=True)


def test_cancelling_a_parallel_job_leaves_no_unverified_final_file(demo: DemoPlatform, tmp_path: Path) -> None:
    files, _token = files_of(demo)
    dest = tmp_path / "plis"
    demo.faults.update({"rate": 400_000})
    engine = JobEngine(interaction=HeadlessInteraction(), loopback_http=True, workers=1)
    try:
        job = engine.submit(download_descriptor(demo, dest, 4), LOCAL_ORIGIN)
        time.sleep(1.0)
        engine.cancel(job.id)
        final = engine.wait(job.id, timeout=30)
        assert final is not None and final.state is JobState.CANCELLED
        expected = {rel_of(f).split("/", 1)[1]: f["sha256"] for f in files}
        finals = [p for p in dest.rglob("*") if p.is_file() and not p.name.endswith((".part", ".ranges"))]
        for path in finals:  # whatever has its final name is complete and matches
            assert hashlib.sha256(path.read_bytes()).hexdigest() == expected[path.relative_to(dest).as_posix()]
        assert len(finals) < len(files)
    finally:
        engine.shutdown(wait=True)


def test_https_transfers_verify_the_platform_certificate(tmp_path: Path) -> None:
    """The direct connections check the certificate: an unknown one is refused at once (no
    retries), the platform's CA (as the user configured it) is accepted."""
    import socket
    import subprocess

    openssl = require_tool("openssl")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    served = tmp_path / "www"
    served.mkdir()
    payload = bytes(range(256)) * 800
    (served / "pli.p7m").write_bytes(payload)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [openssl, "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(cert), "-key", str(key), "-WWW", "-quiet"],
        cwd=served,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        url = f"https://127.0.0.1:{port}/pli.p7m"
        digest = hashlib.sha256(payload).hexdigest()
        began = time.monotonic()
        with pytest.raises(client_module.UntrustedPlatformError) as refused:
            PlatformClient("jeton", backoff=1.0).download(url, tmp_path / "a.p7m", size=len(payload), sha256=digest)
        assert time.monotonic() - began < 1.0  # refused, not retried with back-off
        assert "certificat HTTPS" in refused.value.message_fr
        assert not (tmp_path / "a.p7m").exists()
        PlatformClient("jeton", verify=str(cert)).download(url, tmp_path / "b.p7m", size=len(payload), sha256=digest)
        assert (tmp_path / "b.p7m").read_bytes() == payload
    finally:
        server.terminate()
        server.wait(10)
