"""Background work for the window: listing certificates, running the configuration test.

The window must never freeze: anything that may touch a token, the disk or the network runs on a
plain Python thread, and its result comes back to the GUI thread through a Qt signal (queued,
because the signal object lives on the GUI thread and is emitted from the worker).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from assistant.progress import ProgressCallback, ProgressUpdate

log = logging.getLogger(__name__)

_running: set[BackgroundTask] = set()


class BackgroundTask(QObject):
    done = Signal(object)
    failed = Signal(object)
    progress = Signal(object)

    def __init__(self, func: Callable[[ProgressCallback], Any], name: str = "ui-task") -> None:
        super().__init__()
        self._func = func
        self._name = name
        self.finished_event = threading.Event()

    def start(self) -> BackgroundTask:
        # Kept alive until its result has been delivered on the GUI thread (see _release).
        _running.add(self)
        self.done.connect(self._release)
        self.failed.connect(self._release)
        threading.Thread(target=self._work, name=self._name, daemon=True).start()
        return self

    def _report(self, update: ProgressUpdate) -> None:
        self.progress.emit(update)

    def _work(self) -> None:
        try:
            result = self._func(self._report)
        except Exception as exc:
            log.info("background task %s failed: %s", self._name, type(exc).__name__)
            self.failed.emit(exc)
        else:
            self.done.emit(result)
        finally:
            self.finished_event.set()

    def _release(self, _result: object) -> None:
        _running.discard(self)


def run_in_background(
    func: Callable[[ProgressCallback], Any],
    on_done: Callable[[Any], None],
    on_failed: Callable[[Exception], None] | None = None,
    on_progress: Callable[[ProgressUpdate], None] | None = None,
    name: str = "ui-task",
) -> BackgroundTask:
    task = BackgroundTask(func, name)
    task.done.connect(on_done)
    if on_failed is not None:
        task.failed.connect(on_failed)
    if on_progress is not None:
        task.progress.connect(on_progress)
    return task.start()
