"""The transport's read buffers: reused for small bodies, never kept after a large one.

A worker thread of a download lives as long as the job; a large file's ring of buffers
(RING x BLOCK = 24 MiB) kept per thread made the download's memory grow with every worker that
met a large file (172 MB for the 10 GB consultation with 4 connections).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from assistant.transport import core


def _in_a_thread(work: Callable[[], None]) -> None:
    failure: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # reported in the test's thread
            failure.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


def _resident_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_a_large_bodys_ring_is_freed_after_it() -> None:
    """Given back to the system, not only to the C heap (where glibc keeps 4 MiB holes)."""

    def work() -> None:
        before = _resident_bytes()
        ring = core._ring(core.BLOCK, core.RING)
        assert len(ring) == core.RING
        assert all(len(block) == core.BLOCK for block in ring)
        for block in ring:  # every page touched, as a body filling the ring does
            for offset in range(0, core.BLOCK, 4096):
                block[offset] = 0x5A
        del block
        assert ring[0][4096] == 0x5A
        held = _resident_bytes() - before
        last = ring[-1]  # the hash thread may hold the last block after the body ended
        del ring
        assert _resident_bytes() - before > held // 2, "the ring went away while a view of it was held"
        del last
        after = _resident_bytes() - before
        assert held >= core.RING * core.BLOCK
        assert after < 2 << 20, f"{after / 2**20:.1f} MiB kept by the process after a large body"

    _in_a_thread(work)


def test_a_small_bodys_buffer_is_reused() -> None:
    def work() -> None:
        (first,) = core._ring(200 << 10, 1)
        (second,) = core._ring(100 << 10, 1)  # smaller: the same memory
        assert len(second) == 100 << 10
        first[:4] = b"abcd"
        assert bytes(second[:4]) == b"abcd"
        core._ring(core.BLOCK, core.RING)  # a large body in between changes nothing
        (third,) = core._ring(200 << 10, 1)
        assert bytes(third[:4]) == b"abcd"

    _in_a_thread(work)
