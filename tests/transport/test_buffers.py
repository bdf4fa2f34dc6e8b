"""The transport's read buffers: reused for small bodies, never kept after a large one.

A worker thread of a download lives as long as the job; a large file's ring of buffers
(RING x BLOCK = 24 MiB) kept per thread made the download's memory grow with every worker that
met a large file (172 MB for the 10 GB consultation with 4 connections).
"""

from __future__ import annotations

import threading
import tracemalloc
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


def test_a_large_bodys_ring_is_freed_after_it() -> None:
    def work() -> None:
        tracemalloc.start()
        try:
            ring = core._ring(core.BLOCK, core.RING)
            assert len(ring) == core.RING
            held = tracemalloc.get_traced_memory()[0]
            del ring
            after = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
        assert held >= core.RING * core.BLOCK
        assert after < 1 << 20, f"{after / 2**20:.1f} MiB kept by the thread after a large body"

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
