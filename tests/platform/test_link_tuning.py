"""Download tuning from the measured link: the connection count (platform.linkmeter), the pool
that grows to it (jobs.runners.growing_pool), and ranges for a large file only when the platform
is measurably far, even behind a loopback address (a tunnel, a local proxy, bench.netprofile)."""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path

import pytest

from assistant.demo.content import ContentSpec
from assistant.demo.server import DemoPlatform
from assistant.jobs.runners.growing_pool import GrowingPool
from assistant.platform.client import PlatformClient
from assistant.platform.linkmeter import MAX_CONNECTIONS, SETTLED, LinkMeter
from assistant.progress import CancelToken
from bench.netprofile import NetProfileProxy, Profile, mbit

DEMO_SPEC = ContentSpec(consultations=1, plis=1, envelopes=1, files_per_envelope=1, file_size=600 * 1024)


def meter(rtt: float, rate: float) -> LinkMeter:
    m = LinkMeter()
    for _ in range(SETTLED + 2):
        m.first_byte(rtt)
        m.body(200_000, 200_000 / rate)
    return m


def test_connections_follow_the_round_trip_and_the_stream_rate() -> None:
    assert LinkMeter().connections(200_000) == 4  # nothing measured yet: the usual 4
    early = LinkMeter()
    for _ in range(SETTLED - 1):
        early.first_byte(0.010)
        early.body(200_000, 0.004)
    assert early.connections(200_000) == 4  # the first requests also opened their connections: not yet
    assert meter(0.0002, 500e6).connections(200_000) == 4  # loopback: no latency to hide
    assert meter(0.010, 50e6).connections(200_000) == 14  # fibre, small files: the wait dominates
    assert meter(0.040, 0.6e6).connections(200_000) == 4  # a saturated ADSL link: more would only share it
    assert meter(0.080, 50e6).connections(200_000) == MAX_CONNECTIONS  # never more than the cap
    assert meter(0.010, 50e6).connections(50e6) == 4  # large files: ranges, not connections
    assert meter(0.010, 50e6).real_link() and not meter(0.0002, 50e6).real_link()


def test_the_pool_grows_to_what_is_wanted_never_past_the_items() -> None:
    running, most = set(), [0]
    lock = threading.Lock()
    wanted = [2]

    def work(item: int) -> None:
        with lock:
            running.add(item)
            most[0] = max(most[0], len(running))
        time.sleep(0.02)
        with lock:
            running.discard(item)
        if item == 5:
            wanted[0] = 8

    pool = GrowingPool(list(range(40)), work, initial=2, wanted=lambda: wanted[0], stop=CancelToken())
    assert pool.run() is None
    assert pool.peak == 8 and most[0] > 2
    small = GrowingPool([1, 2], lambda _: None, initial=2, wanted=lambda: 16, stop=CancelToken())
    assert small.run() is None and small.peak == 2


def test_the_first_error_stops_the_pool() -> None:
    done: list[int] = []

    def work(item: int) -> None:
        if item == 3:
            raise RuntimeError("disque plein")
        time.sleep(0.01)
        done.append(item)

    stop = CancelToken()
    error = GrowingPool(list(range(100)), work, initial=2, wanted=lambda: 2, stop=stop).run()
    assert isinstance(error, RuntimeError) and stop.cancelled and len(done) < 10


@pytest.mark.parametrize("far", [True, False])
def test_a_large_file_goes_over_ranges_only_when_the_platform_is_far(
    demo: DemoPlatform, tmp_path: Path, far: bool
) -> None:
    descriptor = demo.descriptor("download", {})
    file = descriptor["params"]["consultations"][0]["plis"][0]["envelopes"][0]["files"][0]
    rel = file["url"].split("/files/", 1)[1]
    link = Profile("near-fibre", rtt=0.010, down=mbit(400), up=mbit(400))
    with NetProfileProxy(link, ("127.0.0.1", demo.port)) as proxy:
        url = proxy.rewrite(file["url"]) if far else file["url"]
        client = PlatformClient(descriptor["token"], range_threshold=200_000, range_connections=3)
        client.download(url, tmp_path / "pli.zip.p7m", size=file["size"], sha256=file["sha256"])
        first = list(demo.stats.to_dict()["ranges"][rel])
        # A second large file of the same job: the link is known by now, no probe asked again.
        client.download(url, tmp_path / "again.zip.p7m", size=file["size"], sha256=file["sha256"])
        client.close()
    assert hashlib.sha256((tmp_path / "pli.zip.p7m").read_bytes()).hexdigest() == file["sha256"]
    assert hashlib.sha256((tmp_path / "again.zip.p7m").read_bytes()).hexdigest() == file["sha256"]
    starts = first
    if far:  # a few bytes to measure the link, then three ranges
        assert len([s for s in starts if s > 0]) == 2 and len(starts) == 3 + 3, starts
        assert client.meter.real_link()
        assert len(demo.stats.to_dict()["ranges"][rel]) == len(first) + 3  # three ranges, no probe
    else:
        assert starts.count(0) == len(starts) <= 4, starts  # one stream, after one to three one-byte probes
        assert client.meter.real_link() is False


def test_a_large_file_is_cut_in_ordered_pieces_about_eight_per_connection() -> None:
    from assistant.platform.segmented import PIECE, _Plan

    plan = _Plan.fresh(1 << 30, "0" * 64, 4)
    assert len(plan.ranges) == 32 and plan.ranges[0][:2] == [0, 32 << 20] and plan.ranges[-1][1] == 1 << 30
    small = _Plan.fresh(100_000_000, "0" * 64, 4)
    assert all(end - start <= PIECE for start, end, _ in small.ranges) and len(small.ranges) == 6
    assert len(_Plan.fresh(400_000, "0" * 64, 3).ranges) == 3  # never fewer pieces than connections


def test_an_idle_range_thread_takes_the_second_half_of_the_piece_with_the_most_left() -> None:
    from assistant.platform.segmented import MIN_SPLIT, _Plan

    plan = _Plan(100 << 20, "0" * 64, [[0, 50 << 20, 50 << 20], [50 << 20, 100 << 20, 10 << 20]])
    index = plan.split()
    assert index == 2 and plan.ranges == [
        [0, 50 << 20, 50 << 20],
        [50 << 20, 80 << 20, 10 << 20],
        [80 << 20, 100 << 20, 0],
    ]
    assert plan.contiguous() == 60 << 20  # the halves are appended; the prefix is found in file order
    small = _Plan(4 * MIN_SPLIT, "0" * 64, [[0, 4 * MIN_SPLIT, 4 * MIN_SPLIT - MIN_SPLIT]])
    assert small.split() is None  # halves under MIN_SPLIT: not worth a request


def test_splitting_at_the_tail_keeps_the_file_whole(
    demo: DemoPlatform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Splits forced (tiny MIN_SPLIT, the pieces served slowly, one cut): every byte
    lands once in its place, the hash matches, and little is fetched twice (at most what was in
    flight past each cut)."""
    from assistant.platform import segmented

    monkeypatch.setattr(segmented, "MIN_SPLIT", 16 * 1024)
    # Served slowly, and the first piece cut early: while it waits to retry, the other threads
    # finish theirs and take halves of what it has left.
    demo.faults.update({"rate": 400_000, "drop_after": 30_000, "drop_count": 1})
    descriptor = demo.descriptor("download", {})
    file = descriptor["params"]["consultations"][0]["plis"][0]["envelopes"][0]["files"][0]
    rel = file["url"].split("/files/", 1)[1]
    client = PlatformClient(descriptor["token"], range_threshold=200_000, range_connections=3, ranges_on_loopback=True)
    stats = client.download(file["url"], tmp_path / "pli.zip.p7m", size=file["size"], sha256=file["sha256"])
    client.close()
    assert hashlib.sha256((tmp_path / "pli.zip.p7m").read_bytes()).hexdigest() == file["sha256"]
    starts = demo.stats.to_dict()["ranges"][rel]
    assert len(starts) >= 5, starts  # the three pieces, the resume after the cut, and halves taken
    assert stats.fetched == file["size"]  # counted once each
