"""Three jobs at once at 1024×700: the cards scroll instead of crushing each other, every control
keeps the size it needs to be read; the finished ones collapse to their outcome."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QProgressBar, QPushButton, QWidget

from assistant.jobs.engine import JobEngine
from assistant.jobs.model import JobState
from assistant.ui.interaction import QtUserInteraction
from assistant.ui.main_window import MainWindow
from tests.demo.conftest import demo_platform  # noqa: F401 - fixture
from tests.demo.process import DemoProcess
from tests.ui.conftest import shot


def too_small(root: QWidget) -> list[str]:
    """Every visible control narrower or lower than what its content needs."""
    problems = []
    for widget in root.findChildren(QWidget):
        if not widget.isVisibleTo(root) or not widget.isVisible():
            continue
        size = widget.size()
        name = f"{type(widget).__name__}({widget.objectName() or getattr(widget, 'text', lambda: '')()!s:.40})"
        if isinstance(widget, QLabel):
            if widget.wordWrap() and widget.hasHeightForWidth():
                needed = widget.heightForWidth(size.width())
                if size.height() < needed:
                    problems.append(f"{name}: height {size.height()} < {needed}")
            elif size.width() < widget.sizeHint().width() or size.height() < widget.sizeHint().height():
                problems.append(
                    f"{name}: {size.width()}x{size.height()} < {widget.sizeHint().width()}x{widget.sizeHint().height()}"
                )
        elif isinstance(widget, QPushButton):
            hint = widget.sizeHint()
            if size.width() < hint.width() or size.height() < hint.height():
                problems.append(f"{name}: {size.width()}x{size.height()} < {hint.width()}x{hint.height()}")
        elif isinstance(widget, (QLineEdit, QProgressBar)):
            hint = widget.minimumSizeHint()
            if size.width() < hint.width() or size.height() < hint.height():
                problems.append(f"{name}: {size.width()}x{size.height()} < {hint.width()}x{hint.height()}")
    return problems


@pytest.fixture
def small_window(qtbot: Any, demo_engine: JobEngine, interaction: QtUserInteraction) -> Iterator[MainWindow]:
    win = MainWindow(demo_engine, None, demo_engine.settings, folder_questions=interaction.folder_questions)
    qtbot.addWidget(win)
    win.resize(1024, 700)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.dispose()


def test_three_cards_at_1024x700_stay_readable(
    qtbot: Any,
    demo_engine: JobEngine,
    small_window: MainWindow,
    demo_platform: DemoProcess,
    tmp_path: Path,
    screens: Path,
) -> None:
    page = small_window.jobs
    jobs = []
    for _index in range(3):
        descriptor = demo_platform.get("/api/descriptors/download?consultation=DEMO-2026-003")
        jobs.append(demo_engine.submit(descriptor, demo_platform.url))

    def asking(job_id: str) -> bool:
        card = page.cards.get(job_id)
        return card is not None and card.destination is not None and card.destination.start_button.isVisible()

    # The engine runs two jobs at a time: two ask where to write, the third waits its turn.
    qtbot.waitUntil(
        lambda: all(j.id in page.cards for j in jobs) and sum(asking(j.id) for j in jobs) == 2, timeout=30000
    )
    QApplication.processEvents()
    assert small_window.current_page() == "jobs"
    assert not page.none_label.isVisible()
    # The cards are in a scroll area: together taller than the window, each at its full height.
    assert page.cards_scroll.widget().height() > page.cards_scroll.viewport().height()
    for job in jobs:
        card = page.cards[job.id]
        assert too_small(card) == [], job.id
        assert card.height() >= card.minimumSizeHint().height()
    assert too_small(small_window) == []
    shot(small_window, screens, "three-cards-1024x700")

    # Each downloads into its own folder (the third asks once a worker is free); the finished
    # cards collapse to their outcome.
    for index, job in enumerate(jobs):
        qtbot.waitUntil(lambda job=job: asking(job.id), timeout=60000)
        card = page.cards[job.id]
        assert card.destination is not None
        card.destination.folder.setText(str(tmp_path / f"dossier {index}"))
        card.destination.launch()
    for job in jobs:
        final = demo_engine.wait(job.id, timeout=90)
        assert final is not None and final.state is JobState.SUCCEEDED, final and final.error
    qtbot.waitUntil(lambda: all(page.cards[j.id].outcome.isVisible() for j in jobs), timeout=10000)
    QApplication.processEvents()
    for index, job in enumerate(jobs):
        card = page.cards[job.id]
        assert card.outcome.text().splitlines()[0].startswith("15 fichiers téléchargés")
        assert card.folder == str(tmp_path / f"dossier {index}")
        assert not card.body.isVisible()
    assert page.none_label.isVisible()  # nothing running any more: said above the finished cards
    assert too_small(small_window) == []
    shot(small_window, screens, "three-cards-done")
