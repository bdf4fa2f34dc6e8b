"""Running a function on the GUI thread from any thread, and waiting for its answer.

Jobs run on the engine's worker threads, but a PIN prompt or an "approve this platform" question
is a dialog, and Qt widgets live on the GUI thread only. `GuiInvoker.call` posts the function to
the GUI thread through a queued signal and blocks the calling worker until it returns;
`GuiInvoker.ask` does the same for a question answered later: the dialog is shown without a nested
event loop (the GUI keeps running normally) and the worker waits for the dialog's reply. Called
from the GUI thread itself, `ask` spins a local event loop until the reply comes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, Qt, QThread, Signal

T = TypeVar("T")


class GuiClosedError(RuntimeError):
    """The application quit while a worker was waiting for an answer."""


class GuiInvoker(QObject):
    _posted = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        app = QCoreApplication.instance()
        if app is not None and self.thread() is not app.thread():
            self.moveToThread(app.thread())
        self._closed = threading.Event()
        self._posted.connect(self._run, Qt.ConnectionType.QueuedConnection)
        if app is not None:
            app.aboutToQuit.connect(self.close)

    def close(self) -> None:
        """Release every waiting worker (they get GuiClosedError) and refuse new calls."""
        self._closed.set()

    @staticmethod
    def _run(task: Callable[[], None]) -> None:
        task()

    def on_gui_thread(self) -> bool:
        return QThread.currentThread() is self.thread()

    def call(self, func: Callable[[], T]) -> T:
        if self.on_gui_thread():
            return func()
        if self._closed.is_set():
            raise GuiClosedError("the application is closing")
        box: dict[str, Any] = {}
        done = threading.Event()

        def task() -> None:
            try:
                box["value"] = func()
            except BaseException as exc:  # handed back to the waiting thread
                box["error"] = exc
            finally:
                done.set()

        self._posted.emit(task)
        while not done.wait(0.2):
            if self._closed.is_set():
                raise GuiClosedError("the application is closing")
        if "error" in box:
            raise box["error"]
        return box["value"]  # type: ignore[no-any-return]

    def ask(self, start: Callable[[Callable[[Any], None]], object]) -> Any:
        """`start(reply)` runs on the GUI thread and shows a question; `reply(answer)` ends the wait."""
        box: dict[str, Any] = {}
        done = threading.Event()

        def reply(answer: Any) -> None:
            if not done.is_set():
                box["value"] = answer
                done.set()

        if self.on_gui_thread():
            loop = QEventLoop()

            def reply_and_quit(answer: Any) -> None:
                reply(answer)
                loop.quit()

            start(reply_and_quit)
            if not done.is_set():
                loop.exec()
            return box.get("value")
        self.call(lambda: start(reply))
        while not done.wait(0.2):
            if self._closed.is_set():
                raise GuiClosedError("the application is closing")
        return box.get("value")
