"""The download on the network profiles (bench/netprofile): a reset in the middle of a file resumes
from where it stopped, and a slow link keeps the progress moving and is cancelled within a second.
The demo platform runs as its own process; its big consultation (small sizes) is reached through
`descriptor_url`, through the proxy."""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path
from typing import Any

from assistant import PROTOCOL_VERSION
from assistant.jobs.engine import JobEngine
from assistant.jobs.interaction import HeadlessInteraction
from assistant.jobs.model import JobEvent, JobState
from assistant.settings import Settings
from bench.netprofile import NetProfileProxy, Profile, mbit
from tests.demo.conftest import demo_platform  # noqa: F401 - fixture
from tests.demo.process import DemoProcess

SMALL = "scale=0.01&size=0.05"  # one lot: 5 plis x 3 envelopes, ~95 files, ~4 MB


def _descriptor(url: str, dest: Path, connections: int = 4) -> dict[str, Any]:
    return {
        "version": PROTOCOL_VERSION,
        "type": "download",
        "params": {"descriptor_url": url, "destination": str(dest), "connections": connections},
    }


def _expected(demo: DemoProcess) -> dict[str, tuple[int, str]]:
    descriptor = demo.get(f"/api/bigbid/descriptors/download?{SMALL}")
    return {
        f"{c['id']}/{p['id']}/{e['id']}/{f['name']}": (f["size"], f["sha256"])
        for c in descriptor["params"]["consultations"]
        for p in c["plis"]
        for e in p["envelopes"]
        for f in e["files"]
    }


def test_resets_mid_file_resume_where_they_stopped(demo_platform: DemoProcess, tmp_path: Path) -> None:
    import hashlib

    expected = _expected(demo_platform)
    demo_platform.post("/api/test/reset", {})
    # A lossy link: 80 ms away, connections reset every ~300 KB on average (seeded).
    link = Profile(
        "lossy-test",
        rtt=0.08,
        down=mbit(40),
        up=mbit(10),
        down_per_connection=mbit(20),
        reset_mean_bytes=300_000,
        seed=3,
    )
    dest = tmp_path / "Plis"
    with NetProfileProxy(link, ("127.0.0.1", demo_platform.port)) as proxy:
        engine = JobEngine(interaction=HeadlessInteraction(), settings=Settings(), loopback_http=True)
        try:
            job = engine.submit(
                _descriptor(proxy.rewrite(f"{demo_platform.url}/api/bigbid/descriptors/download?{SMALL}"), dest),
                "local",
            )
            final = engine.wait(job.id, timeout=120)
        finally:
            engine.shutdown()
        resets = proxy.stats.resets
    assert final is not None and final.state is JobState.SUCCEEDED, (
        final.state if final else None,
        final.error if final else None,
    )
    assert resets >= 3, resets
    for rel, (size, digest) in expected.items():
        data = (dest / rel).read_bytes()
        assert len(data) == size and hashlib.sha256(data).hexdigest() == digest, rel
    assert not list(dest.rglob("*.part"))
    stats = demo_platform.stats()
    # The cut transfers went on with Range requests from where the file stopped, not from 0.
    resumed = [start for starts in stats["ranges"].values() for start in starts if start > 0]
    assert resumed, stats["ranges"]
    # What was fetched twice is at most what was in flight at each cut (the link's queue).
    total = sum(size for size, _ in expected.values())
    assert sum(stats["served"].values()) <= total + resets * 2 * 1024 * 1024


def test_a_slow_link_keeps_progress_moving_and_cancels_within_a_second(
    demo_platform: DemoProcess, tmp_path: Path
) -> None:
    link = Profile("slow", rtt=0.04, down=mbit(2), up=mbit(1))  # 250 KB/s: the 4 MB take ~16 s
    dest = tmp_path / "Plis"
    seen: list[tuple[float, int, str]] = []
    first_byte = threading.Event()

    def listen(event: JobEvent) -> None:
        progress = event.job.progress
        seen.append((time.monotonic(), progress.bytes_done, progress.element_text))
        if progress.bytes_done:
            first_byte.set()

    with NetProfileProxy(link, ("127.0.0.1", demo_platform.port)) as proxy:
        engine = JobEngine(interaction=HeadlessInteraction(), settings=Settings(), loopback_http=True)
        engine.subscribe(listen)
        try:
            job = engine.submit(
                _descriptor(proxy.rewrite(f"{demo_platform.url}/api/bigbid/descriptors/download?{SMALL}"), dest),
                "local",
            )
            assert first_byte.wait(20)
            start = time.monotonic()
            time.sleep(3)
            window = [(t, n) for t, n, _ in seen if t >= start]
            asked = time.monotonic()
            engine.cancel(job.id)
            final = engine.wait(job.id, timeout=10)
            stopped = time.monotonic() - asked
        finally:
            engine.shutdown()
    # Progress events keep coming on a slow link (no silent gap of more than half a second)...
    times = [start] + [t for t, _ in window] + [asked]
    assert max(b - a for a, b in itertools.pairwise(times)) < 0.5, times
    assert window[-1][1] > window[0][1]  # ...and the bytes go up
    # ...with the element in words: "pli 1 sur 5, enveloppe 2 sur 3, fichier 5 sur 7".
    assert any(
        text.startswith("pli ") and " sur 5, enveloppe " in text and ", fichier " in text for _, _, text in seen
    ), seen[-1]
    assert final is not None and final.state is JobState.CANCELLED, final.state if final else None
    assert stopped < 1.0, stopped
