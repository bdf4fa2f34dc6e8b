"""Progress reports and cancellation shared by every long operation.

Signing, decryption, downloads and diagnostics report through a `ProgressCallback` and check a
`CancelToken`; the job engine turns the reports into job progress events that the UI, the bridge
(server-sent events) and the CLI (a terminal bar) show. This module sits below every layer so
that none of them needs to know the others.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from assistant.errors import CancelledError


@dataclass(frozen=True)
class ProgressUpdate:
    """One report. Every field is optional; the engine merges reports into the job's progress.

    `label` is the French sentence the user sees ("Signature du fichier 5 sur 8",
    "Déchiffrement de l'enveloppe 3 sur 12"); `element` names the current item
    ("pli 2 sur 5, enveloppe 1 sur 3, fichier 3 sur 3").
    """

    step: int = 0
    steps: int = 0
    label: str = ""
    bytes_done: int = 0
    bytes_total: int = 0
    element: str = ""

    @property
    def fraction(self) -> float | None:
        if self.bytes_total > 0:
            return min(1.0, self.bytes_done / self.bytes_total)
        if self.steps > 0:
            return min(1.0, self.step / self.steps)
        return None


ProgressCallback = Callable[[ProgressUpdate], None]


def ignore_progress(update: ProgressUpdate) -> None:
    """A callback for callers that show no progress."""


class CancelToken:
    """Set by the user (or the page that queued the job); checked between chunks and files."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self.cancelled:
            raise CancelledError()

    def wait(self, timeout: float) -> bool:
        """Sleep up to `timeout` seconds, waking early on cancel (for retry back-off)."""
        return self._event.wait(timeout)

    def linked(self) -> CancelToken:
        """A token that is cancelled when this one is, and can also be cancelled on its own.

        A job stops its own workers with it after a failure (disk full, a refused platform
        certificate) without that stop being taken for the user's cancel: the job then ends
        failed, with the real reason, not "cancelled".
        """
        return _LinkedCancelToken(self)


class _LinkedCancelToken(CancelToken):
    POLL = 0.05  # seconds: how soon a sleeping retry notices the parent's cancel

    def __init__(self, parent: CancelToken) -> None:
        super().__init__()
        self._parent = parent

    @property
    def cancelled(self) -> bool:
        return self._event.is_set() or self._parent.cancelled

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not self.cancelled:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self._event.wait(min(left, self.POLL))
        return True
