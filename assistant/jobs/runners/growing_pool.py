"""Worker threads over a list of items, whose number can grow while they run.

A download starts with a few connections and learns the link from its first files (round trip,
throughput of one stream, `platform.linkmeter`); when that says more connections would keep the
link busier, workers are added, up to the number it asks for. Workers never outnumber the items
left, and each holds one file open at a time: open files and connections stay bounded.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from assistant.progress import CancelToken

T = TypeVar("T")


class GrowingPool(Generic[T]):
    """`run()` calls `work(item)` for every item on `initial` threads, adding threads (after any
    item) while `wanted()` asks for more. The first exception stops the others (`stop` is
    cancelled) and is returned; items not started then are left."""

    def __init__(
        self,
        items: Sequence[T],
        work: Callable[[T], None],
        *,
        initial: int,
        wanted: Callable[[], int],
        stop: CancelToken,
        name: str = "worker",
    ) -> None:
        self._items: deque[T] = deque(items)
        self._work = work
        self._initial = max(1, initial)
        self._wanted = wanted
        self._stop = stop
        self._name = name
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._error: BaseException | None = None
        self._alive = 0  # threads started and not ended
        self._busy = 0  # of which working on an item
        #: the most threads that ran at once (reported with the job's result)
        self.peak = 0

    def run(self) -> BaseException | None:
        with self._lock:
            self._spawn(self._initial)
        index = 0
        while True:
            with self._lock:
                if index >= len(self._threads):
                    break
                thread = self._threads[index]
            thread.join()
            index += 1
        return self._error

    def _spawn(self, count: int) -> None:
        """Start threads up to `count` alive, never more than the items no idle thread will take
        (the lock held)."""
        idle = self._alive - self._busy
        for _ in range(min(count - self._alive, len(self._items) - idle)):
            thread = threading.Thread(target=self._loop, name=f"{self._name}-{len(self._threads) + 1}", daemon=True)
            self._threads.append(thread)
            self._alive += 1
            thread.start()
        self.peak = max(self.peak, self._alive)

    def _loop(self) -> None:
        try:
            while not self._stop.cancelled:
                with self._lock:
                    if not self._items:
                        return
                    item = self._items.popleft()
                    self._busy += 1
                try:
                    self._work(item)
                except BaseException as exc:  # handed to run()'s caller, which decides
                    with self._lock:
                        if self._error is None:
                            self._error = exc
                    self._stop.cancel()
                    return
                finally:
                    with self._lock:
                        self._busy -= 1
                wanted = self._wanted()
                if wanted > self._alive:
                    with self._lock:
                        self._spawn(wanted)
        finally:
            with self._lock:
                self._alive -= 1
