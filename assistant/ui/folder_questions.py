"""Open "Répertoire de destination" questions, waiting for a view to show them (GUI thread only).

The Qt interaction creates a `FolderQuestion` when a download asks where to write; the jobs page
attaches itself to the `FolderQuestions` it is given and shows the question in the job's card.
Nothing here knows the window: the window's pieces receive the `FolderQuestions` they show.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from assistant.jobs.interaction import DownloadSummary
    from assistant.jobs.model import Job


class FolderQuestion(QObject):
    """One open question; `answer` sends the folder, or None for a cancel, exactly once."""

    #: emitted once, when the question is answered or withdrawn (the job was cancelled)
    closed = Signal()

    def __init__(
        self, job: Job, proposed: Path, summary: DownloadSummary, error: str, reply: Callable[[Any], None]
    ) -> None:
        super().__init__()
        self.job = job
        self.proposed = proposed
        self.summary = summary
        self.error = error
        self.answered = False
        self._reply = reply

    def answer(self, folder: Path | None) -> None:
        if self.answered:
            return
        self.answered = True
        self.closed.emit()
        self._reply(folder)


#: A view that can show a folder question (the jobs page); returns False when it cannot.
FolderPresenter = Callable[[FolderQuestion], bool]


class FolderQuestions:
    """Where open folder questions wait for a view: the jobs page attaches itself as presenter."""

    def __init__(self) -> None:
        self.pending: dict[str, FolderQuestion] = {}
        self._presenters: list[FolderPresenter] = []

    def attach(self, presenter: FolderPresenter) -> Callable[[], None]:
        """Show the pending questions and the next ones through `presenter`; returns `detach`."""
        self._presenters.append(presenter)
        for question in list(self.pending.values()):
            presenter(question)

        def detach() -> None:
            if presenter in self._presenters:
                self._presenters.remove(presenter)

        return detach

    def present(self, question: FolderQuestion) -> bool:
        return any(presenter(question) for presenter in reversed(self._presenters))
